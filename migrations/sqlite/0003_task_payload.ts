import type { Kysely } from 'kysely';

/** 0003 — tasks carry a JSON payload (the work to do), stored as JSON text like `result`. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('tasks').addColumn('payload', 'text').execute();
}
