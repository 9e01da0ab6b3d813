import { sql, type Kysely } from 'kysely';

/** 0003 — tasks carry a JSON payload (the work to do), stored as JSON text like `result` (collation "C" as every text column). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('tasks').addColumn('payload', sql`text collate "C"`).execute();
}
