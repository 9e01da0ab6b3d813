import { appliedMigration } from '../sql/applied-migration.js';
import { postgresMigrations } from '../../../migrations/postgres/index.js';
import type { MainBackend } from '../../contracts/main-backend.js';
import { ConfigError, NotFoundError } from '../../errors.js';
import type { BackendContext } from '../../contracts/backend-plugin.js';
import { SqlMainBackend } from '../sql/sql-main-backend.js';
import type { PostgresOptions } from './postgres-options.js';
import { PostgresEngine } from './postgres-engine.js';

/**
 * The eight main stores on PostgreSQL are the shared SQL stores on a PostgresEngine; what differs
 * lives in the engine (claims use `FOR UPDATE SKIP LOCKED`; audit and canonical appends take a
 * schema-scoped advisory lock in their transaction).
 *
 * Connects to `postgres.url` (pool of `postgres.pool_size`, connections on `postgres.schema`),
 * probes the server (fails fast with BackendUnavailableError naming the redacted URL), applies the
 * migrations under Kysely's advisory lock and returns the eight main stores on it.
 * @throws ConfigError when `postgres_url` is missing; BackendUnavailableError when the server cannot
 *   be reached or a migration fails. No message contains the password or the user name.
 */
export async function openPostgresMainBackend(options: PostgresOptions, ctx: BackendContext): Promise<MainBackend> {
  if (!options.url) throw new ConfigError('postgres.url (postgres_url): required when backend is "postgres"', { backend: 'postgres' });
  const engine = await PostgresEngine.open({ url: options.url, poolSize: options.poolSize, schema: options.schema, durability: ctx.settings.durability, readOnly: ctx.settings.readOnly === true });
  try {
    const state = await engine.storeState();
    const existed = state.schema;
    if ((ctx.settings.existingOnly || ctx.settings.readOnly) && !state.migrated) {
      throw new NotFoundError(`no store in schema ${engine.schema} at ${engine.redacted} (this command opens an existing store only; \`memstrate migrate\` creates one)`, { backend: 'postgres' });
    }
    const schemaVersion = ctx.settings.readOnly ? await appliedMigration(engine) : await engine.migrate(postgresMigrations);
    const discard = async () => {
      try {
        if (!existed) await engine.dropSchema();
      } finally {
        await engine.close();
      }
    };
    return new SqlMainBackend(engine, schemaVersion, `${engine.redacted} schema ${engine.schema}`, { ...ctx, discard });
  } catch (error) {
    await engine.close().catch(() => {});
    throw error;
  }
}
