import { CompiledQuery } from 'kysely';
import type { BackendHealth } from '../../contracts/health.js';
import type { MainBackend, MainErasureCounts } from '../../contracts/main-backend.js';
import type { Clock, Logger } from '../../contracts/types.js';
import type { SqlStoreContext } from './context.js';
import type { SqlEngine } from './engine.js';
import { SqlAuditStorage } from './sql-audit-storage.js';
import { SqlCheckpointStore } from './sql-checkpoint-store.js';
import { SqlDeviceStore } from './sql-device-store.js';
import { SqlKnowledgeStore } from './sql-knowledge-store.js';
import { SqlSessionStore } from './sql-session-store.js';
import { SqlStructuredStore } from './sql-structured-store.js';
import { SqlTaskQueue } from './sql-task-queue.js';
import { SqlUsageStore } from './sql-usage-store.js';
import { eraseAgentRows } from './sql-erasure.js';
import { SqlArchive } from './sql-archive.js';

const PROBE = CompiledQuery.raw('select 1');

/**
 * The eight main stores (and the checkpoint store) on any SqlEngine: the same shared store classes for SQLite and PostgreSQL.
 * An engine folder only opens and migrates its engine and says how to describe itself.
 */
export class SqlMainBackend<E extends SqlEngine = SqlEngine> implements MainBackend {
  readonly name: string;
  readonly structured: SqlStructuredStore;
  readonly knowledge: SqlKnowledgeStore;
  readonly sessions: SqlSessionStore;
  readonly usage: SqlUsageStore;
  readonly devices: SqlDeviceStore;
  readonly tasks: SqlTaskQueue;
  readonly auditStorage: SqlAuditStorage;
  readonly checkpoints: SqlCheckpointStore;
  readonly archive: SqlArchive;
  private readonly undo: (() => Promise<void>) | undefined;

  constructor(
    readonly engine: E,
    readonly schemaVersion: string,
    /** Shown as the health `detail` (a file path, a redacted URL — never a secret). */
    readonly location: string,
    options: { clock: Clock; logger: Logger; discard?: () => Promise<void> },
  ) {
    this.undo = options.discard;
    this.name = engine.dialect;
    const ctx: SqlStoreContext = { engine, clock: options.clock, logger: options.logger };
    this.structured = new SqlStructuredStore(ctx);
    this.knowledge = new SqlKnowledgeStore(ctx);
    this.sessions = new SqlSessionStore(ctx);
    this.usage = new SqlUsageStore(ctx);
    this.devices = new SqlDeviceStore(ctx);
    this.tasks = new SqlTaskQueue(ctx);
    this.auditStorage = new SqlAuditStorage(ctx);
    this.checkpoints = new SqlCheckpointStore(ctx);
    this.archive = new SqlArchive(engine);
  }

  /** Times `select 1`; on failure `detail` is the mapped (secret-free) error. */
  async health(): Promise<BackendHealth> {
    const name = `main:${this.name}`;
    const started = performance.now();
    try {
      await this.engine.first(PROBE);
      return { name, ok: true, latencyMs: performance.now() - started, detail: this.location };
    } catch (error) {
      return { name, ok: false, latencyMs: performance.now() - started, detail: this.engine.mapError(error, 'health check').message };
    }
  }

  async close(): Promise<void> {
    await this.engine.close();
  }

  async eraseAgent(agentId: string, options: { usage: boolean }): Promise<MainErasureCounts> {
    try {
      return await eraseAgentRows(this.engine, agentId, options);
    } catch (error) {
      throw this.engine.mapError(error, 'erase agent');
    }
  }

  securely<T>(fn: () => Promise<T>): Promise<T> {
    return this.engine.securely ? this.engine.securely(fn) : fn();
  }

  /** One transaction around `fn` on the engine (see MainBackend.atomically). */
  atomically<T>(fn: () => Promise<T>): Promise<T> {
    return this.engine.atomically(fn);
  }

  /** Closes, then removes what open() created (the engine's `discard` option), if anything. */
  async discard(): Promise<void> {
    if (this.undo) await this.undo();
    else await this.close();
  }
}
