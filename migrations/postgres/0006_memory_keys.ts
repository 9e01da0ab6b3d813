import { sql, type Kysely } from 'kysely';

/**
 * 0006 — memories may carry a natural key, unique per agent (`key`, null = none), and an expiry
 * (`expires_at`, epoch ms, null = never). Mirrors migrations/sqlite/0006_memory_keys.ts.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('memories').addColumn('key', 'text').execute();
  await db.schema.alterTable('memories').addColumn('expires_at', 'bigint').execute();
  await sql`create unique index memories_agent_key on memories (agent_id, key) where key is not null`.execute(db);
  await sql`create index memories_expires on memories (expires_at) where expires_at is not null`.execute(db);
}
