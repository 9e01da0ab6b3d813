/**
 * remember — insert throughput, one at a time (`remember`, sequential awaits) and batched
 * (`rememberMany`, 1000 per call), against raw better-sqlite3 inserts of the same rows into an
 * equivalent schema: memstrate's own memories table, indexes, agent counts and keyword tables (DDL
 * read from a migrated file), the keyword index written by memstrate's own writer (a doc row per
 * memory, each transaction's postings as one sorted run: sqlite-keyword-runs.ts), and a plain
 * `vec0(embedding float[D])` keyed by the memory rowid — one transaction
 * per memory, and 1000 memories per transaction. Target (anchors §6.6): ≥ 0.5× raw rows/s.
 * A vec0-only insert rate is printed for context (the anchors' 17k/s single, 73k/s batched).
 *
 * Every run starts from a fresh database file (open/close untimed).
 * Env: BENCH_REMEMBER_SINGLE_N (rows per single-insert run, default 5000),
 *      BENCH_REMEMBER_BATCH_N (rows per batched run, default 20000), BENCH_DIM (384), BENCH_RUNS.
 */
import { v7 as uuidv7 } from 'uuid';
import { MemorySubstrate } from '../src/index.js';
import { LatentModel, makeTexts, row, Vocabulary } from './data.js';
import { compareThroughput, engineDescription, envInt, openRawSqlite, progress, rawKeywordWriter, RUNS, tempDir, type BenchResult, type ThroughputContender } from './lib.js';
import type Database from 'better-sqlite3';
import { InsertedPerAgent } from '../src/backends/sqlite/sqlite-agent-counts.js';
import { memstrateSchema, type Schema } from './load.bench.js';

const AGENT = 'bench-agent';
const BATCH = 1000;

/**
 * The raw side's schema: memstrate's own memory tables, indexes, agent counts and keyword tables
 * (their DDL read from a file memstrate migrated: load.bench.ts memstrateSchema), and a plain
 * `vec0(embedding float[D])` table in place of memstrate's partitioned one; `withText` false: the
 * vec0 table alone.
 */
function createRawSchema(db: Database.Database, schema: Schema, dim: number, withText: boolean): void {
  if (withText) for (const sql of [schema.memories, ...schema.listIndexes, ...schema.counts, ...schema.terms]) db.exec(sql);
  db.exec(`create virtual table memories_vec using vec0(embedding float[${dim}])`);
}

export async function remember(results: BenchResult[]): Promise<void> {
  const dim = envInt('BENCH_DIM', 384, 384);
  const singleN = envInt('BENCH_REMEMBER_SINGLE_N', 5_000, 1_000);
  const batchN = envInt('BENCH_REMEMBER_BATCH_N', 20_000, 4_000);
  const runs = RUNS();
  const engine = engineDescription();
  const started = performance.now();
  console.log(`remember: ${dim} dims; ${singleN} rows one at a time, ${batchN} rows in batches of ${BATCH}; fresh DB per run, ${runs} runs`);

  const total = Math.max(singleN, batchN);
  const vectors = new LatentModel(dim, 0x5eed).sample(total, 11);
  const { texts } = makeTexts(new Vocabulary(20_000, 3), total, 12);
  const vecBuf = (i: number) => {
    const v = row(vectors, dim, i);
    return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  };
  progress(started, 'data generated');

  const { dir, cleanup } = tempDir('remember');
  let mem: MemorySubstrate | undefined;
  let raw: Database.Database | undefined;
  try {
    const schema = await memstrateSchema(`${dir}/template.db`, row(vectors, dim, 0));
    const memContender = (name: string, body: (m: MemorySubstrate) => Promise<number>): ThroughputContender => ({
      name,
      setup: async (run) => {
        mem = await MemorySubstrate.open({ sqlitePath: `${dir}/mem-${name.replace(/\W+/g, "-")}-${run}.db` }, { env: {} });
      },
      body: () => body(mem as MemorySubstrate),
      teardown: async () => {
        await (mem as MemorySubstrate).close();
        mem = undefined;
      },
    });
    const rawContender = (name: string, withText: boolean, body: (db: Database.Database) => number): ThroughputContender => ({
      name,
      setup: (run) => {
        raw = openRawSqlite(`${dir}/raw-${name.replace(/\W+/g, "-")}-${run}.db`);
        createRawSchema(raw, schema, dim, withText);
      },
      body: () => body(raw as Database.Database),
      teardown: () => {
        (raw as Database.Database).close();
        raw = undefined;
      },
    });

    /** Prepared statements of the equivalent schema; `insertOne` writes one memory (row + keyword doc + vector), `flush` the transaction's keyword run. */
    const rawInserter = (db: Database.Database) => {
      const insMem = db.prepare(
        `insert into memories (id, agent_id, content, source, scope, metadata, confidence, created_at, accessed_at, access_count)
         values (?, ?, ?, 'observation', 'episodic', ?, 1, ?, ?, 0)`,
      );
      const insVec = db.prepare('insert into memories_vec(rowid, embedding) values (?, ?)');
      const terms = rawKeywordWriter(db);
      const counts = new InsertedPerAgent();
      return {
        insertOne: (i: number) => {
          const now = Date.now();
          const { lastInsertRowid } = insMem.run(uuidv7(), AGENT, texts[i] as string, JSON.stringify({}), now, now);
          terms.add(lastInsertRowid, AGENT, texts[i] as string);
          counts.inserted(AGENT);
          insVec.run(BigInt(lastInsertRowid), vecBuf(i));
        },
        flush: () => {
          counts.flush((sql) => db.prepare(sql));
          terms.flush();
        },
      };
    };
    const input = (i: number) => ({ agentId: AGENT, content: texts[i] as string, embedding: row(vectors, dim, i) });

    // ── one at a time ──
    const single = await compareThroughput(
      [
        memContender('memstrate remember', async (m) => {
          for (let i = 0; i < singleN; i++) await m.semantic.remember(input(i));
          return singleN;
        }),
        rawContender('raw 1 memory/txn', true, (db) => {
          const raw = rawInserter(db);
          const insertOne = db.transaction((i: number) => {
            raw.insertOne(i);
            raw.flush();
          });
          for (let i = 0; i < singleN; i++) insertOne(i);
          return singleN;
        }),
        rawContender('raw vec0-only autocommit', false, (db) => {
          const ins = db.prepare('insert into memories_vec(rowid, embedding) values (?, ?)');
          for (let i = 0; i < singleN; i++) ins.run(BigInt(i + 1), vecBuf(i));
          return singleN;
        }),
      ],
      { runs, warmup: 1 },
    );
    progress(started, 'one-at-a-time timed');

    // ── batched ──
    const batched = await compareThroughput(
      [
        memContender('memstrate rememberMany', async (m) => {
          for (let start = 0; start < batchN; start += BATCH) {
            const batch = [];
            for (let i = start; i < Math.min(batchN, start + BATCH); i++) batch.push(input(i));
            await m.semantic.rememberMany(batch);
          }
          return batchN;
        }),
        rawContender('raw 1000 memories/txn', true, (db) => {
          const raw = rawInserter(db);
          const insertMany = db.transaction((start: number, end: number) => {
            for (let i = start; i < end; i++) raw.insertOne(i);
            raw.flush();
          });
          for (let start = 0; start < batchN; start += BATCH) insertMany(start, Math.min(batchN, start + BATCH));
          return batchN;
        }),
        rawContender('raw vec0-only 1000/txn', false, (db) => {
          const ins = db.prepare('insert into memories_vec(rowid, embedding) values (?, ?)');
          const insertMany = db.transaction((start: number, end: number) => {
            for (let i = start; i < end; i++) ins.run(BigInt(i + 1), vecBuf(i));
          });
          for (let start = 0; start < batchN; start += BATCH) insertMany(start, Math.min(batchN, start + BATCH));
          return batchN;
        }),
      ],
      { runs, warmup: 1 },
    );
    progress(started, 'batched timed');
    for (const [name, s] of [...single, ...batched]) console.log(`    ${name.padEnd(26)} ${Math.round(s.opsPerSec)} rows/s  spread ${(s.spread * 100).toFixed(0)} %`);

    const rate = (m: Map<string, { opsPerSec: number }>, name: string) => (m.get(name) as { opsPerSec: number }).opsPerSec;
    const tgt = { on: 'ratio', op: '>=', value: 0.5 } as const;
    results.push(
      { bench: 'remember', metric: `remember, 1 at a time (${dim}-d)`, measured: rate(single, 'memstrate remember'), unit: 'rows/s', baseline: { name: 'raw 1 memory/txn', value: rate(single, 'raw 1 memory/txn') }, target: tgt, engine },
      { bench: 'remember', metric: `remember, 1 at a time (${dim}-d)`, measured: rate(single, 'memstrate remember'), unit: 'rows/s', baseline: { name: 'raw vec0 only', value: rate(single, 'raw vec0-only autocommit') }, engine, note: 'context: anchors §6.6 vs vec0 alone' },
      { bench: 'remember', metric: `rememberMany, 1000/batch (${dim}-d)`, measured: rate(batched, 'memstrate rememberMany'), unit: 'rows/s', baseline: { name: 'raw 1000/txn', value: rate(batched, 'raw 1000 memories/txn') }, target: tgt, engine },
      { bench: 'remember', metric: `rememberMany, 1000/batch (${dim}-d)`, measured: rate(batched, 'memstrate rememberMany'), unit: 'rows/s', baseline: { name: 'raw vec0 only', value: rate(batched, 'raw vec0-only 1000/txn') }, engine, note: 'context: anchors §6.6 vs vec0 alone' },
    );
  } finally {
    if (raw) (raw as Database.Database).close();
    if (mem) await (mem as MemorySubstrate).close();
    cleanup();
  }
}
