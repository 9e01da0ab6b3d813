/**
 * langgraph — MemstrateCheckpointSaver (memstrate/langgraph) against LangGraph's own savers in the
 * same run: on SQLite against SqliteSaver (@langchain/langgraph-checkpoint-sqlite, on a raw
 * better-sqlite3 file with the substrate's pragmas), on the PostgreSQL server against PostgresSaver
 * (@langchain/langgraph-checkpoint-postgres, its own schema).
 *
 * Workload, the same for every contender: BENCH_LG_THREADS threads; a `put` saves the next
 * checkpoint of a thread (channels `messages` ≈ 1 KB, changed every step, `config` ≈ 300 bytes,
 * changed every 10th step — so the savers that store only changed channels do so) and then its
 * task's 2 pending writes (`putWrites`); a `getTuple` reads a random thread's latest checkpoint with
 * its writes. Interleaved in chunks (compareRate). memstrate's put and putWrites each also append
 * an audit entry in the same transaction, and a getTuple is three indexed reads (checkpoint, writes,
 * channel values) where SqliteSaver reads one row holding everything. No target: reported for information.
 *
 * Env: BENCH_LG_PUTS (checkpoints per run, default 2000), BENCH_LG_GETS (default 5000),
 *      BENCH_LG_THREADS (default 20), BENCH_PG_URL, BENCH_RUNS.
 */
import { randomBytes } from 'node:crypto';
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import { emptyCheckpoint, uuid6, type BaseCheckpointSaver, type Checkpoint } from '@langchain/langgraph-checkpoint';
import pg from 'pg';
import { MemorySubstrate } from '../src/index.js';
import { MemstrateCheckpointSaver } from '../src/langgraph/index.js';
import { compareRate, envInt, openRawSqlite, progress, Rng, RUNS, tempDir, type BenchResult } from './lib.js';

const MESSAGE = 'x'.repeat(1000);

interface Contender {
  name: string;
  saver: BaseCheckpointSaver;
}

/** A thread's state: the last checkpoint's config and step. */
interface ThreadState {
  config: { configurable: Record<string, unknown> };
  step: number;
  versions: Record<string, number>;
}

function checkpointOf(state: ThreadState): { checkpoint: Checkpoint; newVersions: Record<string, number> } {
  const step = state.step + 1;
  const newVersions: Record<string, number> = { messages: step };
  if (step % 10 === 1) newVersions['config'] = step;
  const versions = { ...state.versions, ...newVersions };
  const checkpoint: Checkpoint = {
    ...emptyCheckpoint(),
    id: uuid6(-1),
    channel_values: { messages: [`${MESSAGE}${step}`], config: { model: 'm', temperature: 0.2, notes: 'y'.repeat(250) } },
    channel_versions: versions,
  };
  return { checkpoint, newVersions };
}

async function putStep(saver: BaseCheckpointSaver, threads: ThreadState[], i: number): Promise<void> {
  const state = threads[i % threads.length] as ThreadState;
  const { checkpoint, newVersions } = checkpointOf(state);
  const config = await saver.put(state.config, checkpoint, { source: 'loop', step: state.step + 1, parents: {} }, newVersions);
  await saver.putWrites(config, [['messages', [`reply ${i}`]], ['next', 'agent']], `task-${i}`);
  state.config = config as ThreadState['config'];
  state.step += 1;
  Object.assign(state.versions, newVersions);
}

export async function langgraph(results: BenchResult[]): Promise<void> {
  const puts = envInt('BENCH_LG_PUTS', 2000);
  const gets = envInt('BENCH_LG_GETS', 5000);
  const threadCount = envInt('BENCH_LG_THREADS', 20, 20);
  const runs = RUNS();
  const url = process.env['BENCH_PG_URL'] || process.env['MEMSTRATE_TEST_PG_URL'] || 'postgres://postgres@127.0.0.1:5432/test';
  const started = performance.now();
  console.log(`langgraph: ${threadCount} threads, ${puts} put+putWrites and ${gets} getTuple per run, ${runs} runs`);
  const { dir, cleanup } = tempDir('langgraph');
  const tag = randomBytes(4).toString('hex');
  const schemas = { memstrate: `bench_lg_mem_${tag}`, langgraph: `bench_lg_pg_${tag}` };
  const closers: (() => Promise<void>)[] = [];
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    const memLite = await MemorySubstrate.open({ backend: 'sqlite', sqlitePath: `${dir}/mem.db` }, { env: {} });
    closers.push(() => memLite.close());
    const rawLite = openRawSqlite(`${dir}/langgraph.db`);
    closers.push(async () => void rawLite.close());
    const memPg = await MemorySubstrate.open({ backend: 'postgres', semanticBackend: 'sqlite', postgresUrl: url, postgresSchema: schemas.memstrate, sqlitePath: `${dir}/mem-pg-semantic.db` }, { env: {} });
    closers.push(() => memPg.close());
    await admin.query(`create schema ${schemas.langgraph}`);
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    closers.push(() => pool.end());
    const postgresSaver = new PostgresSaver(pool, undefined, { schema: schemas.langgraph });
    await postgresSaver.setup();
    const sqliteSaver = new SqliteSaver(rawLite);
    const engines: { engine: string; ours: Contender; theirs: Contender }[] = [
      {
        engine: 'SQLite file, WAL, synchronous=NORMAL (both)',
        ours: { name: 'MemstrateCheckpointSaver (sqlite)', saver: new MemstrateCheckpointSaver(memLite, { agentId: 'bench' }) },
        theirs: { name: 'SqliteSaver', saver: sqliteSaver },
      },
      {
        engine: 'PostgreSQL server (own schemas)',
        ours: { name: 'MemstrateCheckpointSaver (postgres)', saver: new MemstrateCheckpointSaver(memPg, { agentId: 'bench' }) },
        theirs: { name: 'PostgresSaver', saver: postgresSaver },
      },
    ];
    progress(started, 'stores open (SQLite files, 2 PostgreSQL schemas)');
    for (const { engine, ours, theirs } of engines) {
      const states = new Map<string, ThreadState[]>();
      for (const c of [ours, theirs]) {
        states.set(c.name, Array.from({ length: threadCount }, (_, t) => ({ config: { configurable: { thread_id: `thread-${t}`, checkpoint_ns: '' } }, step: 0, versions: {} })));
      }
      const putStats = await compareRate(
        [ours, theirs].map((c) => ({
          name: c.name,
          chunk: async (start: number, count: number) => {
            for (let i = start; i < start + count; i++) await putStep(c.saver, states.get(c.name) as ThreadState[], i);
          },
        })),
        { total: puts, chunk: Math.max(1, Math.min(200, puts)), runs },
      );
      progress(started, `${engine}: puts measured`);
      const rng = new Rng(7);
      const order = Array.from({ length: gets }, () => `thread-${rng.int(threadCount)}`);
      const getStats = await compareRate(
        [ours, theirs].map((c) => ({
          name: c.name,
          chunk: async (start: number, count: number) => {
            for (let i = start; i < start + count; i++) {
              const tuple = await c.saver.getTuple({ configurable: { thread_id: order[i], checkpoint_ns: '' } });
              if (!tuple || tuple.pendingWrites?.length !== 2 || !(tuple.checkpoint.channel_values['messages'] as unknown[])?.length) throw new Error(`${c.name}: bad tuple for ${order[i]}`);
            }
          },
        })),
        { total: gets, chunk: Math.max(1, Math.min(500, gets)), runs },
      );
      progress(started, `${engine}: getTuple measured`);
      for (const [metric, stats, unit] of [
        ['put + putWrites (2 writes)', putStats, 'checkpoints/s'],
        ['getTuple (latest, with writes)', getStats, 'reads/s'],
      ] as const) {
        const o = stats.get(ours.name)!;
        const t = stats.get(theirs.name)!;
        results.push({
          bench: 'langgraph',
          metric: `${metric} — ${ours.name}`,
          measured: o.opsPerSec,
          unit,
          baseline: { name: theirs.name, value: t.opsPerSec },
          engine,
          note: `spread ${(o.spread * 100).toFixed(0)} % vs ${(t.spread * 100).toFixed(0)} %${metric.startsWith('put') ? '; memstrate also appends 2 audit entries' : ''}`,
        });
      }
    }
  } finally {
    for (const close of closers.reverse()) await close().catch(() => {});
    for (const schema of Object.values(schemas)) await admin.query(`drop schema if exists "${schema}" cascade`).catch(() => {});
    await admin.end();
    cleanup();
  }
}
