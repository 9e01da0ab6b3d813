import { sqliteMigrations } from '../../../migrations/sqlite/index.js';
import type { BackendHealth } from '../../contracts/health.js';
import type { MainBackend } from '../../contracts/main-backend.js';
import type { Clock, Logger } from '../../contracts/types.js';
import type { SqlStoreContext } from '../sql/context.js';
import { SqlAuditStorage } from '../sql/sql-audit-storage.js';
import { SqlDeviceStore } from '../sql/sql-device-store.js';
import { SqlKnowledgeStore } from '../sql/sql-knowledge-store.js';
import { SqlSessionStore } from '../sql/sql-session-store.js';
import { SqlStructuredStore } from '../sql/sql-structured-store.js';
import { SqlTaskQueue } from '../sql/sql-task-queue.js';
import { SqlUsageStore } from '../sql/sql-usage-store.js';
import { SqliteEngine } from './sqlite-engine.js';

/** Opens a SQLite file (or `:memory:`) and applies the migrations; shared by the main and semantic backends. */
export async function openSqliteEngine(path: string): Promise<{ engine: SqliteEngine; schemaVersion: string }> {
  const engine = SqliteEngine.open(path);
  try {
    const schemaVersion = await engine.migrate(sqliteMigrations);
    return { engine, schemaVersion };
  } catch (error) {
    await engine.close();
    throw error;
  }
}

/** The eight main stores on SQLite. */
export class SqliteMainBackend implements MainBackend {
  readonly name = 'sqlite';
  readonly structured: SqlStructuredStore;
  readonly knowledge: SqlKnowledgeStore;
  readonly sessions: SqlSessionStore;
  readonly usage: SqlUsageStore;
  readonly devices: SqlDeviceStore;
  readonly tasks: SqlTaskQueue;
  readonly auditStorage: SqlAuditStorage;

  constructor(
    readonly engine: SqliteEngine,
    readonly schemaVersion: string,
    private readonly path: string,
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

  async health(): Promise<BackendHealth> {
    const started = performance.now();
    try {
      await this.engine.exclusive((db) => db.prepare('select 1').get());
      return { name: 'main:sqlite', ok: true, latencyMs: performance.now() - started, detail: this.path };
    } catch (error) {
      return { name: 'main:sqlite', ok: false, latencyMs: performance.now() - started, detail: (error as Error).message };
    }
  }

  async close(): Promise<void> {
    await this.engine.close();
  }
}
