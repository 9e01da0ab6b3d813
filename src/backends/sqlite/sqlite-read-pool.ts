import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import * as sqliteVec from 'sqlite-vec';
import { READ_TASKS_SOURCE, type ReadTaskName, type ReadTasks } from './sqlite-read-tasks.js';

/** A SQLite error as it crosses the thread boundary: the message and SQLite's code (for mapError). */
interface WireError {
  message: string;
  code?: string;
}

type Reply = { id: number; rows: unknown } | { id: number; error: WireError } | { ready: true } | { failed: WireError };

interface Pending {
  resolve: (rows: unknown) => void;
  reject: (error: Error) => void;
}

/** One worker thread holding one read-only connection, and the queries it was sent and has not answered. */
interface Reader {
  worker: Worker;
  pending: Map<number, Pending>;
}

/**
 * The worker's source, run with `eval` (so it loads the same way from the sources under test and
 * from the built package). CommonJS: it requires better-sqlite3 by the absolute path resolved here
 * and loads sqlite-vec from its loadable file, so it never depends on the caller's directory.
 * Statements are prepared once per connection; blobs arrive as Uint8Array and go back the same way.
 * Besides statements it runs read tasks (sqlite-read-tasks.ts) by name.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const toWire = (e) => ({ message: String(e && e.message), code: e && typeof e.code === 'string' ? e.code : undefined });
let db;
try {
  db = new Database(workerData.path, { readonly: true, fileMustExist: true, timeout: 5000 });
  db.pragma('cache_size = -16384');
  db.pragma('mmap_size = 268435456');
  db.loadExtension(workerData.vec);
} catch (e) {
  parentPort.postMessage({ failed: toWire(e) });
  throw e;
}
const statements = new Map();
const prepare = (sql) => {
  let stmt = statements.get(sql);
  if (stmt === undefined) {
    stmt = db.prepare(sql);
    if (!stmt.reader) throw Object.assign(new Error('the read pool runs only statements that return rows'), { code: 'SQLITE_MISUSE' });
    if (statements.size >= 256) statements.delete(statements.keys().next().value);
    statements.set(sql, stmt);
  }
  return stmt;
};
const tasks = ${READ_TASKS_SOURCE};
parentPort.on('message', ({ id, sql, params, task, input }) => {
  try {
    if (task !== undefined) {
      parentPort.postMessage({ id, rows: tasks[task](prepare, input) });
      return;
    }
    const args = params.map((p) => (p instanceof Uint8Array && !Buffer.isBuffer(p) ? Buffer.from(p.buffer, p.byteOffset, p.byteLength) : p));
    parentPort.postMessage({ id, rows: prepare(sql).all(...args) });
  } catch (e) {
    parentPort.postMessage({ id, error: toWire(e) });
  }
});
parentPort.postMessage({ ready: true });
`;

const driverPath = createRequire(import.meta.url).resolve('better-sqlite3');

function fromWire(error: WireError): Error {
  return Object.assign(new Error(error.message), error.code === undefined ? {} : { code: error.code });
}

/** Blobs come back from a worker as Uint8Array; the store code expects Buffers, as on the main connection. */
function withBuffers(row: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(row)) {
    if (value instanceof Uint8Array && !Buffer.isBuffer(value)) row[key] = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  }
  return row;
}

/**
 * Read-only connections to one SQLite file, each in its own worker thread, so that long reads
 * (graph walks, searches, summaries) never hold the event loop: WAL lets them read the last
 * committed state while the main connection writes. Workers start on first use, up to `size`, and
 * stop on close; a worker keeps the process alive only while it has queries outstanding.
 */
export class SqliteReadPool {
  private readonly readers: Reader[] = [];
  private nextId = 0;
  private closed = false;

  constructor(
    private readonly path: string,
    private readonly size: number,
  ) {}

  /** Runs one read statement on the least busy worker (starting one when all are busy and the pool has room). */
  async rows<R>(sql: string, params: readonly unknown[]): Promise<R[]> {
    const rows = await this.post({ sql, params });
    return (rows as Record<string, unknown>[]).map(withBuffers) as R[];
  }

  /** Runs a read task (sqlite-read-tasks.ts) on the least busy worker. */
  async task<N extends ReadTaskName>(task: N, input: Parameters<ReadTasks[N]>[0]): Promise<ReturnType<ReadTasks[N]>> {
    return (await this.post({ task, input })) as ReturnType<ReadTasks[N]>;
  }

  private post(message: { sql: string; params: readonly unknown[] } | { task: ReadTaskName; input: unknown }): Promise<unknown> {
    if (this.closed) return Promise.reject(Object.assign(new Error('the substrate is closed'), { code: 'SQLITE_MISUSE' }));
    // Posted at once: a starting worker buffers its messages until it listens (or fails them all).
    const reader = this.pick();
    const id = this.nextId++;
    return new Promise<unknown>((resolve, reject) => {
      if (reader.pending.size === 0) reader.worker.ref();
      reader.pending.set(id, { resolve, reject });
      reader.worker.postMessage({ id, ...message });
    });
  }

  /** How many worker threads are running (for tests and diagnostics). */
  get threads(): number {
    return this.readers.length;
  }

  private pick(): Reader {
    let best: Reader | undefined;
    for (const reader of this.readers) if (best === undefined || reader.pending.size < best.pending.size) best = reader;
    if (best !== undefined && (best.pending.size === 0 || this.readers.length >= this.size)) return best;
    return this.spawn();
  }

  private spawn(): Reader {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver: driverPath, vec: sqliteVec.getLoadablePath(), path: this.path } });
    worker.unref();
    const pending = new Map<number, Pending>();
    const reader: Reader = { worker, pending };
    const fail = (error: Error) => {
      this.drop(reader);
      for (const p of pending.values()) p.reject(error);
      pending.clear();
    };
    worker.on('message', (reply: Reply) => {
      if ('ready' in reply) return;
      if ('failed' in reply) return fail(fromWire(reply.failed));
      const p = pending.get(reply.id);
      if (p === undefined) return;
      pending.delete(reply.id);
      if (pending.size === 0) worker.unref();
      if ('error' in reply) p.reject(fromWire(reply.error));
      else p.resolve(reply.rows);
    });
    worker.on('error', (error) => fail(Object.assign(error, { code: 'SQLITE_IOERR' })));
    worker.on('exit', (code) => {
      if (pending.size > 0 || !this.closed) fail(Object.assign(new Error(`read worker stopped (exit code ${code})`), { code: 'SQLITE_IOERR' }));
    });
    this.readers.push(reader);
    return reader;
  }

  private drop(reader: Reader): void {
    const at = this.readers.indexOf(reader);
    if (at >= 0) this.readers.splice(at, 1);
  }

  /** Stops every worker; queries still outstanding fail as on a closed substrate. */
  async close(): Promise<void> {
    this.closed = true;
    const readers = this.readers.splice(0);
    for (const { pending } of readers) {
      for (const p of pending.values()) p.reject(Object.assign(new Error('the substrate is closed'), { code: 'SQLITE_MISUSE' }));
      pending.clear();
    }
    await Promise.all(readers.map(({ worker }) => worker.terminate()));
  }
}
