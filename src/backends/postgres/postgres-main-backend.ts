import { postgresMigrations } from '../../../migrations/postgres/index.js';
import type { BackendHealth } from '../../contracts/health.js';
import type { MainBackend } from '../../contracts/main-backend.js';
import type { Clock, Logger } from '../../contracts/types.js';
import { ConfigError } from '../../errors.js';
import type { BackendContext } from '../open-backends.js';
import type { SqlStoreContext } from '../sql/context.js';
import { SqlAuditStorage } from '../sql/sql-audit-storage.js';
import { SqlDeviceStore } from '../sql/sql-device-store.js';
import { SqlKnowledgeStore } from '../sql/sql-knowledge-store.js';
import { SqlSessionStore } from '../sql/sql-session-store.js';
import { SqlStructuredStore } from '../sql/sql-structured-store.js';
import { SqlTaskQueue } from '../sql/sql-task-queue.js';
import { SqlUsageStore } from '../sql/sql-usage-store.js';
import { PostgresEngine } from './postgres-engine.js';

/**
 * Connects to `postgres_url` (pool of `postgres_pool_size`, connections on `postgres_schema`),
 * probes the server (fails fast with BackendUnavailableError naming the redacted URL), applies the
 * migrations under Kysely's advisory lock and returns the eight main stores on it.
 * @throws ConfigError when `postgres_url` is missing; BackendUnavailableError when the server cannot
 *   be reached or a migration fails. No message contains the password or the user name.
 */
export async function openPostgresMainBackend(ctx: BackendContext): Promise<MainBackend> {
  const { config } = ctx;
  if (!config.postgresUrl) throw new ConfigError('postgres_url: required when backend is "postgres"', { backend: 'postgres' });
  const engine = await PostgresEngine.open({ url: config.postgresUrl, poolSize: config.postgresPoolSize, schema: config.postgresSchema });
  try {
    const schemaVersion = await engine.migrate(postgresMigrations);
    return new PostgresMainBackend(engine, schemaVersion, ctx);
  } catch (error) {
    await engine.close().catch(() => {});
    throw error;
  }
}

/**
 * The eight main stores on PostgreSQL: the same shared SQL store classes as SQLite (src/backends/sql/)
 * on a PostgresEngine. What differs lives in the engine: claims use `FOR UPDATE SKIP LOCKED`, audit
 * and canonical-session appends take a schema-scoped advisory lock in their transaction.
 */
export class PostgresMainBackend implements MainBackend {
  readonly name = 'postgres';
  readonly structured: SqlStructuredStore;
  readonly knowledge: SqlKnowledgeStore;
  readonly sessions: SqlSessionStore;
  readonly usage: SqlUsageStore;
  readonly devices: SqlDeviceStore;
  readonly tasks: SqlTaskQueue;
  readonly auditStorage: SqlAuditStorage;

  constructor(
    readonly engine: PostgresEngine,
    readonly schemaVersion: string,
    options: { clock: Clock; logger: Logger },
  ) {
    const ctx: SqlStoreContext = { engine, clock: options.clock, logger: options.logger };
    this.structured = new SqlStructuredStore(ctx);
    this.knowledge = new SqlKnowledgeStore(ctx);
    this.sessions = new SqlSessionStore(ctx);
    this.usage = new SqlUsageStore(ctx);
    this.devices = new SqlDeviceStore(ctx);
    this.tasks = new SqlTaskQueue(ctx);
    this.auditStorage = new SqlAuditStorage(ctx);
  }

  /** Times `select 1` on the pool; `detail` is the redacted URL and schema (or the scrubbed error). */
  async health(): Promise<BackendHealth> {
    const started = performance.now();
    try {
      await this.engine.execute('select 1');
      return { name: 'main:postgres', ok: true, latencyMs: performance.now() - started, detail: `${this.engine.redacted} schema ${this.engine.schema}` };
    } catch (error) {
      const mapped = this.engine.mapError(error, 'health check');
      return { name: 'main:postgres', ok: false, latencyMs: performance.now() - started, detail: mapped.message };
    }
  }

  async close(): Promise<void> {
    await this.engine.close();
  }
}
