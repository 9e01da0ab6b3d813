import BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, Kysely, SqliteAdapter, SqliteDialect, type DatabaseConnection, type Driver, type DialectAdapter, type Migration, Migrator, sql } from 'kysely';
import * as sqliteVec from 'sqlite-vec';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { BackendUnavailableError, ConflictError, InternalError, MemoryError, ValidationError } from '../../errors.js';
import { ScopeRunner } from '../sql/scope-runner.js';
import type { SqlEngine, SqlExecutor, SqlReader } from '../sql/engine.js';
import { SqliteReadPool } from './sqlite-read-pool.js';
import { runReadTask, type ReadTaskName, type ReadTasks } from './sqlite-read-tasks.js';
import type { Database } from '../sql/schema.js';

type Statement = BetterSqlite3.Statement<unknown[], unknown>;

/** An `atomically` scope: its transaction begins at the first statement run inside it. */
interface Scope {
  begun: Promise<void> | undefined;
  release: (() => void) | undefined;
  /** A nested transaction failed: the scope rolls back even if its caller went on. */
  failed: unknown;
  /** Set when the scope ended: work it scheduled and that runs later is outside it. */
  ended: boolean;
}

export interface SqliteEngineOptions {
  durability?: 'normal' | 'full';
  readOnly?: boolean;
  /** Worker threads with read-only connections for long reads (0 = run them on the main connection). */
  readWorkers?: number;
}

export const DEFAULT_READ_WORKERS = 2;

/** The WAL's automatic checkpoint threshold (pages) a bulk write commits under (see deferCheckpoints). */
export const BULK_CHECKPOINT_PAGES = 8192;

/** Prepared statements kept per connection (dynamic queries beyond this are re-prepared). */
const STATEMENT_CACHE_SIZE = 512;

/**
 * SQLite through better-sqlite3: one connection (WAL, busy timeout, foreign keys, sqlite-vec), a
 * prepared-statement cache, and an async write lock so a transaction spanning awaits is never
 * interleaved with another caller's statements.
 */
export class SqliteEngine implements SqlEngine, SqlExecutor {
  readonly dialect = 'sqlite' as const;
  readonly backendName = 'sqlite';
  readonly forUpdate = '';
  readonly db: Kysely<Database>;
  readonly raw: BetterSqlite3.Database;
  private readonly statements = new Map<string, Statement>();
  private locked = false;
  /** Nesting of `securely` calls. */
  private secureDepth = 0;
  /** SQLite's automatic checkpoint threshold (pages); a bulk write raises it until its transaction ends. */
  private readonly checkpointPages: number;
  private checkpointsDeferred = false;
  private lockTail: Promise<void> = Promise.resolve();
  private readonly direct: SqlExecutor;
  private readonly scopes = new ScopeRunner<Scope>();
  /** Read-only connections in worker threads for long reads; undefined for `:memory:` or when disabled. */
  readonly readPool: SqliteReadPool | undefined;
  readonly reader: SqlReader;

  private constructor(raw: BetterSqlite3.Database, readPool: SqliteReadPool | undefined) {
    this.checkpointPages = Number(raw.pragma('wal_autocheckpoint', { simple: true }));
    this.raw = raw;
    this.readPool = readPool;
    this.reader = {
      rows: async (q) => this.readRows(q),
      first: async (q) => (await this.readRows(q))[0],
    };
    this.db = new Kysely<Database>({ dialect: new LockingSqliteDialect({ database: raw }) });
    this.direct = {
      rows: async (q) => this.execRows(q),
      first: async (q) => this.execRows(q)[0],
      run: async (q) => this.execRun(q),
    };
  }

  /**
   * Opens (creating the directory if needed) and configures the database file. `readWorkers`
   * (default 2; 0 = none) bounds the worker threads that serve `reader`.
   */
  static open(path: string, options: SqliteEngineOptions = {}): SqliteEngine {
    if (path !== ':memory:' && !options.readOnly) mkdirSync(dirname(path), { recursive: true });
    let raw: BetterSqlite3.Database;
    try {
      // Read-only (a forensic open): SQLite itself refuses every write on this connection.
      raw = new BetterSqlite3(path, { timeout: 5000, ...(options.readOnly ? { readonly: true, fileMustExist: true } : {}) });
      if (!options.readOnly) raw.pragma('journal_mode = WAL');
      // NORMAL in WAL mode: durable against a crash of the process, not of the machine; FULL syncs
      // the WAL on every commit.
      raw.pragma(options.durability === 'full' ? 'synchronous = FULL' : 'synchronous = NORMAL');
      raw.pragma('foreign_keys = ON');
      raw.pragma('cache_size = -65536');
      raw.pragma('mmap_size = 268435456');
      sqliteVec.load(raw);
    } catch (cause) {
      throw new BackendUnavailableError(`cannot open SQLite database ${path}: ${(cause as Error).message}`, {
        backend: 'sqlite',
        cause,
      });
    }
    const workers = options.readWorkers ?? DEFAULT_READ_WORKERS;
    return new SqliteEngine(raw, path === ':memory:' || workers === 0 ? undefined : new SqliteReadPool(path, workers));
  }

  async migrate(migrations: Record<string, Migration>): Promise<string> {
    const migrator = new Migrator({ db: this.db, provider: { getMigrations: async () => migrations } });
    const { error, results } = await migrator.migrateToLatest();
    if (error) {
      const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
      throw new BackendUnavailableError(`migration ${failed} failed: ${(error as Error).message}`, {
        backend: 'sqlite',
        cause: error,
      });
    }
    return Object.keys(migrations).sort().at(-1) ?? '';
  }

  private statement(text: string): Statement {
    let stmt = this.statements.get(text);
    if (stmt === undefined) {
      stmt = this.raw.prepare(text);
      if (this.statements.size >= STATEMENT_CACHE_SIZE) {
        // Evict the oldest entry (Map keeps insertion order); hot statements are re-added cheaply.
        const oldest = this.statements.keys().next().value;
        if (oldest !== undefined) this.statements.delete(oldest);
      }
      this.statements.set(text, stmt);
    }
    return stmt;
  }

  private execRows<R>(q: CompiledQuery<R>): R[] {
    const stmt = this.statement(q.sql);
    if (!stmt.reader) {
      stmt.run(...(q.parameters as unknown[]));
      return [];
    }
    return stmt.all(...(q.parameters as unknown[])) as R[];
  }

  /** A read task (sqlite-read-tasks.ts): on a worker's connection, unless the caller's scope must see its own writes (then on this one). */
  async readTask<N extends ReadTaskName>(name: N, input: Parameters<ReadTasks[N]>[0]): Promise<ReturnType<ReadTasks[N]>> {
    if (this.readPool === undefined || this.scope() !== undefined) return this.exclusive(() => runReadTask(name, (text) => this.statement(text), input));
    return this.readPool.task(name, input);
  }

  private async readRows<R>(q: CompiledQuery<R>): Promise<R[]> {
    if (this.readPool === undefined || this.scope() !== undefined) return this.rows(q);
    return this.readPool.rows<R>(q.sql, q.parameters);
  }

  private execRun(q: CompiledQuery<unknown>): number {
    const stmt = this.statement(q.sql);
    if (stmt.reader) return stmt.all(...(q.parameters as unknown[])).length;
    return stmt.run(...(q.parameters as unknown[])).changes;
  }

  private async idle(): Promise<void> {
    while (this.locked) await this.lockTail;
  }

  /** Waits for the write lock; returns its release. */
  private async acquire(): Promise<() => void> {
    const previous = this.lockTail;
    let release!: () => void;
    this.lockTail = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    this.locked = true;
    return () => {
      this.locked = false;
      release();
    };
  }

  /** The live `atomically` scope of the caller, if any. */
  private scope(): Scope | undefined {
    return this.scopes.current();
  }

  /** Enters the scope's transaction: the write lock and BEGIN IMMEDIATE, once, at its first statement. */
  private enter(scope: Scope): Promise<void> {
    scope.begun ??= (async () => {
      const release = await this.acquire();
      try {
        this.statement('begin immediate').run();
      } catch (error) {
        release();
        throw error;
      }
      scope.release = release;
    })();
    return scope.begun;
  }

  /** Before a statement: inside a scope, its transaction; else wait for any transaction to end. */
  private async ready(): Promise<void> {
    const scope = this.scope();
    if (scope) await this.enter(scope);
    else if (this.locked) await this.idle();
  }

  async rows<R>(q: CompiledQuery<R>): Promise<R[]> {
    await this.ready();
    return this.execRows(q);
  }

  async first<R>(q: CompiledQuery<R>): Promise<R | undefined> {
    await this.ready();
    return this.execRows(q)[0];
  }

  async run(q: CompiledQuery<unknown>): Promise<number> {
    await this.ready();
    return this.execRun(q);
  }

  /** Runs synchronous work outside any other caller's transaction (for batch paths). */
  async exclusive<T>(fn: (db: BetterSqlite3.Database) => T): Promise<T> {
    await this.ready();
    return fn(this.raw);
  }

  /**
   * Runs synchronous writes atomically: inside the caller's `atomically` scope they join its
   * transaction flat (a savepoint would make the commit of vec0 and FTS5 pages markedly slower);
   * otherwise they get a transaction of their own (BEGIN IMMEDIATE).
   */
  async exclusiveTransaction<T>(fn: (db: BetterSqlite3.Database) => T): Promise<T> {
    await this.ready();
    if (this.raw.inTransaction) return fn(this.raw);
    try {
      return this.raw.transaction(() => fn(this.raw)).immediate();
    } finally {
      this.restoreCheckpoints();
    }
  }

  /**
   * Called by a bulk write (a batch of many memories) inside its transaction: that transaction
   * commits with the WAL's automatic checkpoint at BULK_CHECKPOINT_PAGES instead of SQLite's 1000
   * pages, then the threshold goes back. A batch of 1000 memories dirties thousands of index pages
   * (the keyword terms and the dedupe index land at random), so with 1000 pages every batch's
   * commit checkpointed (copied every page into the database file and synced it), and pages
   * touched by consecutive batches were copied once per batch. The commits, the WAL and
   * durability are unchanged: only when its pages are copied back (the next smaller commit, or
   * close, checkpoints the rest).
   */
  deferCheckpoints(): void {
    if (this.checkpointsDeferred || !this.raw.inTransaction) return;
    this.raw.pragma(`wal_autocheckpoint = ${BULK_CHECKPOINT_PAGES}`);
    this.checkpointsDeferred = true;
  }

  private restoreCheckpoints(): void {
    if (!this.checkpointsDeferred) return;
    this.checkpointsDeferred = false;
    if (this.raw.open) this.raw.pragma(`wal_autocheckpoint = ${this.checkpointPages}`);
  }

  /**
   * Runs `fn` so that every statement it runs on this engine — through rows/first/run, exclusive and
   * transaction (which become savepoints) — is in ONE transaction, begun (BEGIN IMMEDIATE, under the
   * write lock) at the first statement, committed when `fn` resolves and rolled back when it throws.
   * Work before the first statement (validation, embedding) holds no lock. Nested calls join.
   */
  async atomically<T>(fn: () => Promise<T>): Promise<T> {
    if (this.scope()) return fn();
    const scope: Scope = { begun: undefined, release: undefined, failed: undefined, ended: false };
    let outcome = await this.scopes.run(scope, fn);
    if (outcome.ok && scope.failed !== undefined) outcome = { ok: false, error: scope.failed };
    if (scope.begun) await scope.begun.catch(() => {});
    if (scope.release) {
      try {
        if (outcome.ok) this.statement('commit').run();
        else if (this.raw.inTransaction) this.statement('rollback').run();
      } catch (error) {
        if (this.raw.inTransaction) this.statement('rollback').run();
        outcome = { ok: false, error: this.mapError(error, 'commit') };
      } finally {
        this.restoreCheckpoints();
        scope.release();
      }
    }
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const scope = this.scope();
    if (scope) {
      // Flat: part of the scope's transaction. No savepoint — on SQLite a savepoint makes the commit
      // of vec0 and FTS5 pages markedly slower — so a failure fails the whole scope, even if caught.
      await this.enter(scope);
      try {
        return await fn(this.direct);
      } catch (error) {
        scope.failed ??= error;
        throw error;
      }
    }
    const release = await this.acquire();
    try {
      this.statement('begin immediate').run();
      try {
        const result = await fn(this.direct);
        this.statement('commit').run();
        return result;
      } catch (error) {
        if (this.raw.inTransaction) this.statement('rollback').run();
        throw error;
      }
    } finally {
      release();
    }
  }

  /**
   * Runs `fn` with `secure_delete` on (deleted content is overwritten with zeros, not only unlinked),
   * then checkpoints the WAL and truncates it, so no older page image of what `fn` deleted remains
   * in the log. Calls nest (the outermost one checkpoints).
   */
  async securely<T>(fn: () => Promise<T>): Promise<T> {
    const outermost = this.secureDepth++ === 0;
    if (outermost) this.raw.pragma('secure_delete = ON');
    try {
      return await fn();
    } finally {
      if (--this.secureDepth === 0) {
        this.raw.pragma('secure_delete = OFF');
        // Inside a transaction scope nothing can be checkpointed: the scope's own caller does it.
        if (outermost && this.raw.open && this.scope() === undefined) {
          await this.idle();
          this.raw.pragma('wal_checkpoint(TRUNCATE)');
        }
      }
    }
  }

  mapError(error: unknown, action: string): Error {
    if (MemoryError.is(error)) return error;
    const code = (error as { code?: string }).code ?? '';
    const message = `${action} failed: ${(error as Error).message}`;
    if (!this.raw.open) return new BackendUnavailableError(`${action} failed: the substrate is closed`, { backend: 'sqlite', cause: error });
    if (code.startsWith('SQLITE_CONSTRAINT')) return new ConflictError(message, { backend: 'sqlite', cause: error });
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code === 'SQLITE_IOERR' || code === 'SQLITE_FULL' || code === 'SQLITE_CANTOPEN') {
      return new BackendUnavailableError(message, { backend: 'sqlite', cause: error });
    }
    if (code === 'SQLITE_TOOBIG' || code === 'SQLITE_MISMATCH') return new ValidationError(message, { backend: 'sqlite', cause: error });
    return new InternalError(message, { backend: 'sqlite', cause: error });
  }

  async close(): Promise<void> {
    await this.idle();
    await this.readPool?.close();
    this.statements.clear();
    if (this.raw.open) this.raw.close();
  }
}

/**
 * Kysely's SQLite adapter does not run migrations in a transaction nor lock; this one does both:
 * the Migrator wraps all pending migrations in one transaction whose first statement is a write,
 * so two processes opening a fresh file at once apply the schema exactly once.
 */
class LockingSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
  override async acquireMigrationLock(db: Kysely<unknown>, options: { lockTable: string; lockRowId: string }): Promise<void> {
    await sql`update ${sql.table(options.lockTable)} set is_locked = 1 where id = ${options.lockRowId}`.execute(db);
  }
  override async releaseMigrationLock(): Promise<void> {}
}

class LockingSqliteDialect extends SqliteDialect {
  override createAdapter(): DialectAdapter {
    return new LockingSqliteAdapter();
  }
  override createDriver(): Driver {
    const driver = super.createDriver();
    // Kysely's SqliteDriver begins transactions with a plain BEGIN; make them immediate so the
    // migration lock is taken with the busy handler instead of failing on a lock upgrade.
    driver.beginTransaction = async (connection: DatabaseConnection) => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    return driver;
  }
}
