/**
 * pg-tasks — task-queue claim+complete throughput with 8 concurrent workers on the real PostgreSQL
 * server (issue 4), against a same-run baseline: 8 raw `pg` clients, each looping a one-statement
 * autocommit `UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED) RETURNING` claim and a fenced
 * one-statement complete, on a table of the same shape (a second schema migrated identically).
 *
 * Contenders (each worker has its own connection, so 8 connections compete for every claim):
 * - "memstrate TaskQueue": 8 SqlTaskQueue instances, each on its own PostgresEngine with a pool of
 *   one (what `backend = "postgres"` runs: expire-then-claim transaction, fenced complete).
 * - "memstrate facade": 8 MemorySubstrates (`mem.tasks`), which also append an audit entry per
 *   claim and per complete; those appends are serialised across connections by an advisory lock,
 *   so this is reported for information (no target).
 * Every run starts from BENCH_PG_TASKS pending tasks (bulk-inserted, untimed) and ends when the
 * queue is drained; the rate is tasks claimed and completed per second.
 *
 * Env: BENCH_PG_URL (default MEMSTRATE_TEST_PG_URL, then postgres://postgres@127.0.0.1:5432/test),
 *      BENCH_PG_TASKS (default 2000), BENCH_PG_WORKERS (default 8), BENCH_RUNS.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import pg from 'pg';
import { postgresMigrations } from '../migrations/postgres/index.js';
import { PostgresEngine } from '../src/backends/postgres/postgres-engine.js';
import { SqlTaskQueue } from '../src/backends/sql/sql-task-queue.js';
import { newId } from '../src/core/ids.js';
import { redactUrl } from '../src/core/redact.js';
import { MemorySubstrate } from '../src/index.js';
import { compareThroughput, envInt, progress, RUNS, tempDir, type BenchResult } from './lib.js';

const LEASE_MS = 60_000;
const silent = { debug() {}, info() {}, warn() {}, error() {} };

const RAW_CLAIM = `update tasks set status = 'in_progress', claimed_by = $1, lease_token = $2, lease_expires_at = $3,
    attempts = attempts + 1, updated_at = $4
  where id = (select id from tasks
    where (status = 'pending' or (status = 'in_progress' and lease_expires_at <= $4)) and (assigned_to is null or assigned_to = $1)
    order by priority desc, created_at asc, id asc limit 1 for update skip locked)
  returning *`;
const RAW_COMPLETE = `update tasks set status = 'completed', result = $1, completed_at = $2, updated_at = $2, lease_token = null, lease_expires_at = null
  where id = $3 and status = 'in_progress' and lease_token = $4 and lease_expires_at > $2`;

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Empties the schema's task table and bulk-inserts `n` pending tasks (priorities 0..4). */
async function fill(admin: pg.Client, schema: string, n: number): Promise<void> {
  const now = Date.now();
  const ids = Array.from({ length: n }, () => newId());
  await admin.query(`truncate ${quoteIdent(schema)}.tasks`);
  await admin.query(
    `insert into ${quoteIdent(schema)}.tasks (id, title, description, status, priority, attempts, max_attempts, created_at, updated_at)
     select id, 'task ' || ord, '', 'pending', ord % 5, 0, 3, $2::bigint + ord, $2::bigint + ord
     from unnest($1::text[]) with ordinality as t(id, ord)`,
    [ids, now],
  );
  await admin.query(`analyze ${quoteIdent(schema)}.tasks`);
}

export async function pgTasks(results: BenchResult[]): Promise<void> {
  const url = process.env['BENCH_PG_URL'] || process.env['MEMSTRATE_TEST_PG_URL'] || 'postgres://postgres@127.0.0.1:5432/test';
  const tasks = envInt('BENCH_PG_TASKS', 2000, 400);
  const workers = envInt('BENCH_PG_WORKERS', 8, 8);
  const runs = RUNS();
  const started = performance.now();
  const tag = randomBytes(6).toString('hex');
  const schemas = { store: `bench_store_${tag}`, facade: `bench_facade_${tag}`, raw: `bench_raw_${tag}` };

  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const { dir, cleanup } = tempDir('pg-tasks');
  const closers: (() => Promise<unknown>)[] = [];
  try {
    const version = (await admin.query<{ v: string }>(`select current_setting('server_version') as v`)).rows[0]?.v ?? '?';
    const pgVersion = (createRequire(import.meta.url)('pg/package.json') as { version: string }).version;
    const engine = `PostgreSQL ${version} server at ${redactUrl(url)}, pg ${pgVersion}, ${workers} connections, Node ${process.version}`;
    console.log(`pg-tasks: ${tasks} tasks per run drained by ${workers} workers, ${runs} runs; ${engine}`);

    // Three schemas with the substrate's tables (the raw baseline's too, so table and indexes match).
    for (const schema of Object.values(schemas)) {
      const e = await PostgresEngine.open({ url, poolSize: 2, schema });
      await e.migrate(postgresMigrations);
      await e.close();
    }
    const queues = await Promise.all(
      Array.from({ length: workers }, async () => {
        const e = await PostgresEngine.open({ url, poolSize: 1, schema: schemas.store });
        closers.push(() => e.close());
        return new SqlTaskQueue({ engine: e, clock: Date.now, logger: silent });
      }),
    );
    const facades = await Promise.all(
      Array.from({ length: workers }, async () => {
        const mem = await MemorySubstrate.open(
          {
            backend: 'postgres',
            postgresUrl: url,
            postgresSchema: schemas.facade,
            postgresPoolSize: 1,
            semanticBackend: 'sqlite',
            sqlitePath: `${dir}/semantic.db`,
            auditAnchorPath: `${dir}/anchor.json`,
          },
          { env: {}, logger: silent },
        );
        closers.push(() => mem.close());
        return mem;
      }),
    );
    const clients = await Promise.all(
      Array.from({ length: workers }, async () => {
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        await c.query(`set search_path to ${quoteIdent(schemas.raw)}`);
        closers.push(() => c.end());
        return c;
      }),
    );
    progress(started, 'schemas migrated, 3 × 8 connections open');

    type Queue = Pick<SqlTaskQueue, 'claim' | 'complete'>;
    const drain = async (list: readonly Queue[]) => {
      const counts = await Promise.all(
        list.map(async (q, w) => {
          let n = 0;
          for (;;) {
            const task = await q.claim(`worker-${w}`, { leaseMs: LEASE_MS });
            if (task === null) return n;
            await q.complete(task.id, { w }, { token: task.token });
            n++;
          }
        }),
      );
      return counts.reduce((a, b) => a + b, 0);
    };
    const check = (name: string, done: number) => {
      if (done !== tasks) throw new Error(`${name} completed ${done} of ${tasks} tasks`);
      return done;
    };

    const stats = await compareThroughput(
      [
        { name: 'memstrate TaskQueue', setup: () => fill(admin, schemas.store, tasks), body: async () => check('TaskQueue', await drain(queues)) },
        {
          name: 'memstrate facade',
          setup: () => fill(admin, schemas.facade, tasks),
          body: async () => check('facade', await drain(facades.map((m) => m.tasks))),
        },
        {
          name: 'raw pg',
          setup: () => fill(admin, schemas.raw, tasks),
          body: async () => {
            const counts = await Promise.all(
              clients.map(async (c, w) => {
                let n = 0;
                for (;;) {
                  const now = Date.now();
                  const token = newId();
                  const { rows } = await c.query<{ id: string }>(RAW_CLAIM, [`worker-${w}`, token, now + LEASE_MS, now]);
                  const row = rows[0];
                  if (!row) return n;
                  const changed = await c.query(RAW_COMPLETE, [JSON.stringify({ w }), Date.now(), row.id, token]);
                  if (changed.rowCount !== 1) throw new Error('raw complete lost its lease');
                  n++;
                }
              }),
            );
            return check('raw', counts.reduce((a, b) => a + b, 0));
          },
        },
      ],
      { runs },
    );
    const raw = stats.get('raw pg')!;
    const store = stats.get('memstrate TaskQueue')!;
    const facade = stats.get('memstrate facade')!;
    const spread = (s: { spread: number }) => `spread ${(s.spread * 100).toFixed(0)} %`;
    results.push(
      {
        bench: 'pg-tasks',
        metric: `claim+complete, ${workers} workers (TaskQueue)`,
        measured: store.opsPerSec,
        unit: 'tasks/s',
        baseline: { name: 'raw pg SKIP LOCKED', value: raw.opsPerSec },
        target: { on: 'ratio', op: '>=', value: 0.5 },
        engine,
        note: `${spread(store)}; raw ${spread(raw)}`,
      },
      {
        bench: 'pg-tasks',
        metric: `claim+complete, ${workers} workers (facade, + 2 audit appends per task)`,
        measured: facade.opsPerSec,
        unit: 'tasks/s',
        baseline: { name: 'raw pg SKIP LOCKED', value: raw.opsPerSec },
        engine,
        note: `${spread(facade)}; audit appends serialised by an advisory lock`,
      },
    );
  } finally {
    for (const close of closers.reverse()) await close().catch(() => {});
    for (const schema of Object.values(schemas)) await admin.query(`drop schema if exists ${quoteIdent(schema)} cascade`).catch(() => {});
    await admin.end();
    cleanup();
  }
}
