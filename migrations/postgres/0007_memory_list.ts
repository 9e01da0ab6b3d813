import { sql, type Kysely } from 'kysely';

/**
 * 0007 — indexes for `semantic.list` keyset paging, ordered by (created_at, id): one agent's
 * memories (agent_id, created_at, id) and every agent's (created_at, id). Mirrored on both engines.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index memories_agent_created on memories (agent_id, created_at, id)`.execute(db);
  await sql`create index memories_created on memories (created_at, id)`.execute(db);
}
