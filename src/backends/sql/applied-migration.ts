import { CompiledQuery } from 'kysely';
import type { SqlEngine } from './engine.js';

/**
 * The last migration applied to the engine's store ('' when none), read from Kysely's migration
 * table — the same statement on both engines (PostgreSQL's search path starts at the store's
 * schema). Read-only opens report it instead of migrating.
 */
export async function appliedMigration(engine: SqlEngine): Promise<string> {
  const row = await engine.first(CompiledQuery.raw('select name from kysely_migration order by name desc limit 1') as CompiledQuery<{ name: string }>);
  return row?.name ?? '';
}
