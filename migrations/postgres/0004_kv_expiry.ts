import type { Kysely } from 'kysely';

/** 0004 — KV entries may expire: `expires_at` (epoch ms, null = never); reads leave expired entries out. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('kv').addColumn('expires_at', 'bigint').execute();
}
