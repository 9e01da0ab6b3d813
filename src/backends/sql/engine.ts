import type { CompiledQuery, Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Runs compiled queries. Store code talks to this, never to a driver. */
export interface SqlExecutor {
  rows<R>(query: CompiledQuery<R>): Promise<R[]>;
  first<R>(query: CompiledQuery<R>): Promise<R | undefined>;
  /** Returns the number of rows changed. */
  run(query: CompiledQuery<unknown>): Promise<number>;
}

/** Runs compiled read queries. */
export type SqlReader = Pick<SqlExecutor, 'rows' | 'first'>;

/**
 * One SQL engine (SQLite or PostgreSQL) as the shared store code sees it: a Kysely instance to
 * build queries with, an executor, and the few things that truly differ between engines.
 */
export interface SqlEngine extends SqlExecutor {
  readonly dialect: 'sqlite' | 'postgres';
  /** The backend name used in error messages (`sqlite`, `postgres`). */
  readonly backendName: string;
  /** For building queries (and running migrations). Execute through the engine, not through it. */
  readonly db: Kysely<Database>;
  /**
   * For reads that can take long (graph walks, searches, summaries, scans). SQLite runs them on
   * read-only connections in worker threads, so the event loop keeps serving meanwhile; they see
   * the last committed state. Inside an `atomically` scope, and on engines that never block the
   * event loop (PostgreSQL), it is the engine itself.
   */
  readonly reader: SqlReader;
  /**
   * Runs `fn` in a write transaction, committed when it resolves and rolled back when it throws.
   * `fn` must only use the executor it is given. SQLite: BEGIN IMMEDIATE, which already excludes
   * every other writer across processes. PostgreSQL: a plain transaction; with `lock`, it first takes
   * a transaction-scoped advisory lock of that name (scoped to the schema), serialising every
   * transaction that names the same lock across connections and processes.
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, options?: { lock?: string }): Promise<T>;
  /**
   * Runs `fn` so that every statement it runs on this engine (directly or through `transaction`,
   * which then becomes a savepoint) is in one transaction, begun at its first statement, committed
   * when `fn` resolves, rolled back when it throws. Nested calls join the outer one.
   */
  atomically<T>(fn: () => Promise<T>): Promise<T>;
  /** Optional: runs `fn` so that what it deletes is overwritten on disk (MainBackend.securely). */
  securely?<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Optional: `table` lost rows inside `securely` — an engine whose deleted tuples stay on their
   * pages (PostgreSQL) rewrites it once `securely` is done.
   */
  erasedFrom?(table: string): void;
  /** SQL appended to a SELECT that must lock the rows it reads (empty on SQLite). */
  readonly forUpdate: string;
  /** Maps an engine error to a MemoryError (constraint → ConflictError, busy → BackendUnavailable, …). */
  mapError(error: unknown, action: string): Error;
  close(): Promise<void>;
}
