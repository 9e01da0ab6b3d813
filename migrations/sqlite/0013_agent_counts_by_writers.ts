import { sql, type Kysely } from 'kysely';

/**
 * 0013 — `memory_agent_counts` no longer counts inserts by trigger: the writers add each write
 * call's memories per agent in one statement (src/backends/sqlite/sqlite-agent-counts.ts). An AFTER
 * INSERT trigger on `memories`, even an empty one, cost a batched load 3.6–6.5 µs per memory
 * (measured on memstrate's schema: 4.7 µs per row without, 8.3 with an empty trigger, 11.2 with the
 * counting one). Deletes and agent moves keep their triggers. The counts themselves do not change.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger memory_agent_counts_insert`.execute(db);
}
