/**
 * A pgvector server for tests and benchmarks: PGlite (PostgreSQL 18 in WASM) with the pgvector
 * extension, served over a loopback TCP socket so the real `pg` driver (and child processes)
 * connect to it like to any server. One per process, started lazily on first use and stopped when
 * the process exits.
 *
 * PGlite is ONE database session shared by every connection. The wire protocol is handled by
 * `@electric-sql/pglite-socket`'s PGLiteSocketHandler (one per TCP connection), fed through
 * `SessionQueue` below instead of the package's own queue, because that queue (as of 0.2.17)
 * interleaves the Parse/Bind/Execute/Sync messages of concurrent connections outside transactions
 * (seen as `portal "" cannot be run`) and lets connections overwrite each other's `search_path`.
 * SessionQueue gives one connection the session from its first message until the end of its
 * protocol unit (Sync or simple Query) outside a transaction, and restores each connection's own
 * `search_path` when the session changes hands. Still: while one connection has a transaction open
 * the others wait, so never hold a transaction while awaiting a query on another connection, and
 * keep pools small.
 *
 * When the real PostgreSQL server (MEMSTRATE_TEST_PG_URL, default postgres://postgres@127.0.0.1:5432/test)
 * offers the `vector` extension, `pgvectorTarget()` uses it instead of PGlite. MEMSTRATE_TEST_PGVECTOR
 * overrides that choice: `pglite` (PGlite even then: .ci/run covers both engines that way) or
 * `server` (the server, failing when it lacks the extension — never a silent fallback).
 */
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { pageinspect } from '@electric-sql/pglite/contrib/pageinspect';
import { PGLiteSocketHandler } from '@electric-sql/pglite-socket';
import { createServer, type Server } from 'node:net';
import pg from 'pg';
import { TEST_PG_URL } from './pg-tools.js';


export interface PgvectorTarget {
  /** Connection URL (no password). */
  url: string;
  /** Which engine it is, for reports: `PGlite 0.5.14 (PostgreSQL 18.6 wasm) + pgvector 0.8.7 over 127.0.0.1:port`. */
  engine: string;
  kind: 'pglite' | 'server';
}

interface RunningPglite {
  url: string;
  engine: string;
  db: PGlite;
  stop(): Promise<void>;
}

let pglite: Promise<RunningPglite> | undefined;
let target: Promise<PgvectorTarget> | undefined;

const DEFAULT_SEARCH_PATH = '"$user", public';
const SET_SEARCH_PATH = /^\s*set\s+(?:session\s+)?search_path\s*(?:to|=)\s*(.+?)\s*;?\s*$/is;
const decoder = new TextDecoder();

interface QueuedMessage {
  handlerId: number;
  message: Uint8Array;
  onData: (data: Uint8Array) => void;
  resolve: (size: number) => void;
  reject: (error: Error) => void;
}

/**
 * The query queue PGLiteSocketHandler feeds (same interface as pglite-socket's own): it runs one
 * message at a time on PGlite, keeps the session with one connection for a whole protocol unit
 * (through Sync / a simple Query, and for as long as a transaction is open), and gives every
 * connection its own search_path.
 */
export class SessionQueue {
  private queue: QueuedMessage[] = [];
  private running = false;
  /** The connection holding the session (mid protocol unit or in a transaction), if any. */
  private owner: number | undefined;
  private readonly paths = new Map<number, string>();
  /** Connections that went away (their session, if held, is released as soon as nothing of theirs runs). */
  private readonly closed = new Set<number>();
  private sessionPath = DEFAULT_SEARCH_PATH;

  constructor(private readonly db: PGlite) {}

  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ handlerId, message, onData, resolve, reject });
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        if (this.owner !== undefined && this.closed.has(this.owner)) await this.release(this.owner);
        const i = this.owner === undefined ? 0 : this.queue.findIndex((q) => q.handlerId === this.owner);
        if (i < 0 || i >= this.queue.length) break;
        const item = this.queue.splice(i, 1)[0] as QueuedMessage;
        await this.run(item);
      }
    } finally {
      this.running = false;
    }
  }

  private async run(item: QueuedMessage): Promise<void> {
    const type = item.message[0];
    // Terminate: the client is leaving; PGlite's session must not end with it.
    if (type === 0x58) {
      await this.release(item.handlerId);
      item.resolve(0);
      return;
    }
    try {
      this.owner = item.handlerId;
      const wanted = this.paths.get(item.handlerId) ?? DEFAULT_SEARCH_PATH;
      if (wanted !== this.sessionPath && !this.db.isInTransaction()) {
        await this.db.exec(`set search_path to ${wanted}`);
        this.sessionPath = wanted;
      }
      let size = 0;
      await this.db.runExclusive(() =>
        this.db.execProtocolRawStream(item.message, {
          onRawData: (data) => {
            size += data.length;
            item.onData(data);
          },
        }),
      );
      if (type === 0x51) this.trackSearchPath(item.handlerId, item.message);
      // Sync (S), simple Query (Q) and the startup message (no type byte: 0) end a protocol unit.
      if ((type === 0x53 || type === 0x51 || type === 0x00) && !this.db.isInTransaction()) this.owner = undefined;
      item.resolve(size);
    } catch (error) {
      this.owner = undefined;
      item.reject(error as Error);
    }
  }

  private trackSearchPath(handlerId: number, message: Uint8Array): void {
    const text = decoder.decode(message.subarray(5, message.length - 1));
    const match = SET_SEARCH_PATH.exec(text);
    if (match?.[1]) {
      this.paths.set(handlerId, match[1]);
      this.sessionPath = match[1];
    }
  }

  /** Gives the session up for a leaving connection, rolling back what it left open. */
  private async release(handlerId: number): Promise<void> {
    this.paths.delete(handlerId);
    this.closed.delete(handlerId);
    if (this.owner !== handlerId) return;
    if (this.db.isInTransaction()) await this.db.exec('rollback').catch(() => {});
    this.owner = undefined;
  }

  clearQueueForHandler(handlerId: number): void {
    this.queue = this.queue.filter((q) => {
      if (q.handlerId !== handlerId) return true;
      q.reject(new Error('connection closed'));
      return false;
    });
  }

  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.running) {
      // A message is in flight (maybe this connection's): the pump releases the session after it.
      this.closed.add(handlerId);
      return;
    }
    await this.release(handlerId);
    void this.pump();
  }

  getQueueLength(): number {
    return this.queue.length;
  }
}

async function startPglite(): Promise<RunningPglite> {
  // pageinspect: the erasure test reads raw pages (test/postgres/pg-erasure-scan.test.ts).
  const db = await PGlite.create({ extensions: { vector, pageinspect } });
  const queue = new SessionQueue(db);
  const handlers = new Set<PGLiteSocketHandler>();
  const server: Server = createServer((socket) => {
    const handler = new PGLiteSocketHandler({ queryQueue: queue as never, closeOnDetach: true });
    handlers.add(handler);
    socket.on('close', () => handlers.delete(handler));
    void handler.attach(socket).catch(() => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  // Do not keep the process alive just because the listener is open.
  server.unref();
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('PGlite server has no TCP address');
  const hostPort = `127.0.0.1:${address.port}`;
  const url = `postgres://postgres@${hostPort}/postgres`;
  const { rows } = await db.query<{ pg: string; full: string; vec: string }>(
    "select current_setting('server_version') as pg, version() as full, (select default_version from pg_available_extensions where name = 'vector') as vec",
  );
  const info = rows[0] as { pg: string; full: string; vec: string };
  const pgliteVersion = /PGlite ([\d.]+)/.exec(info.full)?.[1] ?? '?';
  const engine = `PGlite ${pgliteVersion} (PostgreSQL ${info.pg} wasm) + pgvector ${info.vec}, over a loopback socket (pglite-socket) on ${hostPort}`;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const handler of handlers) await handler.detach(true).catch(() => {});
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await db.close().catch(() => {});
  };
  process.once('exit', () => {
    for (const handler of handlers) void handler.detach(true).catch(() => {});
    server.close();
  });
  return { url, engine, db, stop };
}

/** The process's PGlite + pgvector server (started on first call). */
export function pgliteServer(): Promise<{ url: string; engine: string }> {
  pglite ??= startPglite().catch((error: unknown) => {
    pglite = undefined;
    throw error;
  });
  return pglite.then(({ url, engine }) => ({ url, engine }));
}

/** Stops the process's PGlite server, if one was started (benchmarks call this; tests rely on process exit). */
export async function stopPgliteServer(): Promise<void> {
  if (!pglite) return;
  const running = await pglite.catch(() => undefined);
  pglite = undefined;
  target = undefined;
  await running?.stop();
}

/** Whether the real server at `url` answers and offers the `vector` extension (false when unreachable). */
async function serverHasVector(url: string): Promise<{ ok: boolean; version?: string; server?: string }> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    const { rows } = await client.query<{ v: string | null; s: string }>(
      "select (select default_version from pg_available_extensions where name = 'vector') as v, current_setting('server_version') as s",
    );
    const row = rows[0];
    return row?.v ? { ok: true, version: row.v, server: row.s } : { ok: false };
  } catch {
    return { ok: false };
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Where pgvector tests run: the real server when it offers `vector`, else PGlite (or as
 * MEMSTRATE_TEST_PGVECTOR says). Decided once per process.
 */
export function pgvectorTarget(): Promise<PgvectorTarget> {
  target ??= (async (): Promise<PgvectorTarget> => {
    const url = TEST_PG_URL;
    const wanted = process.env.MEMSTRATE_TEST_PGVECTOR ?? 'auto';
    if (!['auto', 'pglite', 'server'].includes(wanted)) throw new Error(`MEMSTRATE_TEST_PGVECTOR must be auto, pglite or server (got ${JSON.stringify(wanted)})`);
    const real = wanted === 'pglite' ? { ok: false } : await serverHasVector(url);
    if (wanted === 'server' && !real.ok) throw new Error(`MEMSTRATE_TEST_PGVECTOR=server, but the PostgreSQL server at ${new URL(url).host} offers no \`vector\` extension`);
    if (real.ok) {
      return { url, kind: 'server', engine: `PostgreSQL ${real.server} server + pgvector ${real.version} (${new URL(url).host})` };
    }
    const p = await pgliteServer();
    return { url: p.url, engine: p.engine, kind: 'pglite' };
  })().catch((error: unknown) => {
    target = undefined;
    throw error;
  });
  return target;
}

/** Runs one statement on `url` with a short-lived client (admin work: create/drop schemas). */
export async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end().catch(() => {});
  }
}
