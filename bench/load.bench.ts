/**
 * load — where the time of a batched load goes (issue 13). N memories × D dims, written in batches
 * of 1000 (one transaction each) into a fresh file per run, by a ladder of raw better-sqlite3
 * writers on memstrate's own migrated schema (its DDL read from a file memstrate created, so the
 * steps follow the migrations), each adding one part of what `rememberMany` writes, and finally
 * `rememberMany` itself. Every step is printed as rows/s and as a ratio to the first step (the
 * memory row alone) measured in the same run, runs interleaved:
 *
 *   row              the `memories` row (with its `id unique` key), nothing else
 *   + list indexes   memories_agent_scope, memories_accessed, the key/expiry partial indexes, the 0007 list indexes
 *   + agent counts   `memory_agent_counts` (keyword recall's N): its delete/move triggers and one upsert per batch, as
 *                    memstrate's writers add it (sqlite-agent-counts.ts; migration 0013 dropped the per-row insert trigger)
 *   + vec0           the `memories_vec` row (partitioned by agent, with its metadata columns)
 *   + terms          the keyword index: a `keyword_docs` row per memory and the batch's postings (its
 *                    terms and its content key, which dedupe looks up) as one sorted run, with the
 *                    merge work it pays for (sqlite-keyword-runs.ts's writer; terms precomputed,
 *                    untimed) (= every table and index memstrate writes)
 *   + JS             as above, plus what memstrate computes per row: a UUIDv7 (core/ids.ts), JSON.stringify(metadata) and
 *                    termWeights (fold, split, stem)
 *   memstrate        `semantic.rememberMany` (validation, unit-vector check, one audit entry per batch)
 *
 * and for context: the memory row with its keyword index and nothing else ("terms alone"); every
 * table and index with `wal_autocheckpoint = 8192` instead of SQLite's 1000 pages (what
 * checkpointing after every batch costs); every table plus the b-tree index of the content that
 * dedupe used before migration 0012 (`memories_dedupe` on agent, scope, content: its inserts land at
 * random); every table but with SQLite's own FTS5 (migration 0002's external-content table, porter
 * unicode61, filled by its insert trigger; default merge settings) in place of memstrate's keyword
 * index — the cheapest keyword index SQLite ships, for the floor; a plain
 * `vec0(embedding float[D])` insert alone. Last, the floor it shows: the rows/s of the row, its vector
 * and a keyword index with no JavaScript at all (memstrate's runs, and FTS5), against the target.
 * Env: BENCH_LOAD_N (rows per run, default 100000), BENCH_DIM (384), BENCH_LOAD_RUNS (default 3),
 * BENCH_LOAD_STEPS (comma-separated step names to run, e.g. "row,terms alone,memstrate rememberMany";
 * default all; "row" is always run: it is the baseline).
 */
import { v7 as uuidv7 } from 'uuid';
import Database from 'better-sqlite3';
import { MemorySubstrate } from '../src/index.js';
import { newId } from '../src/core/ids.js';
import { termWeights } from '../src/core/keyword-score.js';
import { LatentModel, makeTexts, row, Vocabulary } from './data.js';
import { compareThroughput, engineDescription, envInt, openRawSqlite, progress, rawKeywordWriter, tempDir, type BenchResult, type ThroughputContender } from './lib.js';
import { InsertedPerAgent } from '../src/backends/sqlite/sqlite-agent-counts.js';

const AGENT = 'bench-agent';
const BATCH = 1000;
/** Contenders off the ladder (their "+µs/row" is not printed): context. */
const CONTEXT = ['terms alone', 'all at checkpoint 8192', 'all + memories_dedupe', 'all, FTS5 for terms', 'vec0 only'];
/** The index dedupe used before migration 0012 (a context step: what it would cost now). */
const OLD_DEDUPE_INDEX = 'create index memories_dedupe on memories (agent_id, scope, content)';
/** SQLite's own keyword index as migration 0002 made it (a context step). */
const FTS5 = [
  "create virtual table memories_fts using fts5(content, content='memories', content_rowid='rowid', tokenize='porter unicode61 remove_diacritics 2')",
  'create trigger memories_fts_insert after insert on memories begin insert into memories_fts(rowid, content) values (new.rowid, new.content); end',
];

export interface Schema {
  memories: string;
  listIndexes: string[];
  counts: string[];
  vec: string;
  terms: string[];
}

/** memstrate's DDL for what a memory write touches, read from a file it migrated (and fixed a vector space on). */
export async function memstrateSchema(path: string, embedding: Float32Array): Promise<Schema> {
  const mem = await MemorySubstrate.open({ sqlitePath: path }, { env: {} });
  await mem.semantic.rememberMany([{ agentId: 'template', content: 'template', embedding }]);
  await mem.close();
  const db = new Database(path, { readonly: true });
  try {
    const ddl = (where: string) => (db.prepare(`select name, sql from sqlite_master where sql is not null and ${where} order by name`).all() as { name: string; sql: string }[]);
    const indexes = ddl("type = 'index' and tbl_name = 'memories'");
    return {
      memories: (ddl("type = 'table' and name = 'memories'")[0] as { sql: string }).sql,
      listIndexes: indexes.map((i) => i.sql),
      counts: [...ddl("type = 'table' and name = 'memory_agent_counts'"), ...ddl("type = 'trigger' and name like 'memory\\_agent\\_counts\\_%' escape '\\'")].map((r) => r.sql),
      vec: (ddl("name = 'memories_vec'")[0] as { sql: string }).sql,
      // the keyword tables, their index and the triggers that keep them (they fire on delete/update only)
      terms: [...ddl("type = 'table' and name like 'keyword\\_%' escape '\\'"), ...ddl("type = 'index' and name like 'keyword\\_%' escape '\\'"), ...ddl("type = 'trigger' and name like 'keyword\\_%' escape '\\'")].map((r) => r.sql),
    };
  } finally {
    db.close();
  }
}

interface Step {
  listIndexes?: boolean;
  counts?: boolean;
  oldDedupe?: boolean;
  fts5?: boolean;
  vec?: boolean;
  terms?: boolean;
  js?: boolean;
  pragmas?: string[];
}

export async function load(results: BenchResult[]): Promise<void> {
  const dim = envInt('BENCH_DIM', 384, 384);
  const n = envInt('BENCH_LOAD_N', 100_000, 10_000);
  const runs = envInt('BENCH_LOAD_RUNS', 3, 1);
  const engine = engineDescription();
  const started = performance.now();
  console.log(`load: ${n} rows × ${dim} dims in batches of ${BATCH}; fresh DB per run, ${runs} runs interleaved`);

  const vectors = new LatentModel(dim, 0x5eed).sample(n, 11);
  const { texts } = makeTexts(new Vocabulary(20_000, 3), n, 12);
  const vecBuf = (i: number) => {
    const v = row(vectors, dim, i);
    return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  };
  const precomputed = texts.map((t) => termWeights(t));
  const fixedIds = texts.map((_, i) => uuidv7({ msecs: 1_700_000_000_000 + i }));
  progress(started, 'data generated');

  const { dir, cleanup } = tempDir('load');
  let raw: Database.Database | undefined;
  let mem: MemorySubstrate | undefined;
  try {
    const schema = await memstrateSchema(`${dir}/template.db`, row(vectors, dim, 0));

    const rawStep = (name: string, step: Step): ThroughputContender => ({
      name,
      setup: (run) => {
        raw = openRawSqlite(`${dir}/raw-${name.replace(/\W+/g, '-')}-${run}.db`);
        for (const p of step.pragmas ?? []) raw.pragma(p);
        const ddl = [schema.memories, ...(step.listIndexes ? schema.listIndexes : []), ...(step.counts ? schema.counts : []), ...(step.oldDedupe ? [OLD_DEDUPE_INDEX] : []), ...(step.vec ? [schema.vec] : []), ...(step.terms ? schema.terms : []), ...(step.fts5 ? FTS5 : [])];
        for (const sql of ddl) raw.exec(sql);
      },
      body: () => {
        const db = raw as Database.Database;
        const insMem = db.prepare(
          'insert into memories (id, agent_id, content, source, scope, metadata, confidence, created_at, accessed_at, access_count, key, expires_at) ' +
            "values (?, ?, ?, 'observation', 'episodic', ?, 1, ?, ?, 0, null, null)",
        );
        const insVec = step.vec ? db.prepare('insert into memories_vec (rowid, agent_id, embedding, scope, source, confidence, created_at) values (?, ?, ?, ?, ?, ?, ?)') : undefined;
        const terms = step.terms ? rawKeywordWriter(db) : undefined;
        const counts = step.counts ? new InsertedPerAgent() : undefined;
        const insertBatch = db.transaction((start: number, end: number) => {
          for (let i = start; i < end; i++) {
            const now = Date.now();
            const content = texts[i] as string;
            const id = step.js ? newId() : (fixedIds[i] as string);
            const metadata = step.js ? JSON.stringify({}) : '{}';
            const rowid = Number(insMem.run(id, AGENT, content, metadata, now, now).lastInsertRowid);
            terms?.add(rowid, AGENT, content, step.js ? termWeights(content) : (precomputed[i] as Map<string, number>));
            insVec?.run(BigInt(rowid), AGENT, vecBuf(i), 'episodic', 'observation', 1, BigInt(now));
            counts?.inserted(AGENT);
          }
          counts?.flush((sql) => db.prepare(sql));
          terms?.flush();
        });
        for (let start = 0; start < n; start += BATCH) insertBatch(start, Math.min(n, start + BATCH));
        return n;
      },
      teardown: () => {
        (raw as Database.Database).close();
        raw = undefined;
      },
    });

    const all: ThroughputContender[] = [
      rawStep('row', {}),
      rawStep('+ list indexes', { listIndexes: true }),
      rawStep('+ agent counts', { listIndexes: true, counts: true }),
      rawStep('+ vec0', { listIndexes: true, counts: true, vec: true }),
      rawStep('+ terms', { listIndexes: true, counts: true, vec: true, terms: true }),
      rawStep('+ JS', { listIndexes: true, counts: true, vec: true, terms: true, js: true }),
      {
        name: 'memstrate rememberMany',
        setup: async (run) => {
          mem = await MemorySubstrate.open({ sqlitePath: `${dir}/mem-${run}.db` }, { env: {} });
        },
        body: async () => {
          const m = mem as MemorySubstrate;
          for (let start = 0; start < n; start += BATCH) {
            const batch = [];
            for (let i = start; i < Math.min(n, start + BATCH); i++) batch.push({ agentId: AGENT, content: texts[i] as string, embedding: row(vectors, dim, i) });
            await m.semantic.rememberMany(batch);
          }
          return n;
        },
        teardown: async () => {
          await (mem as MemorySubstrate).close();
          mem = undefined;
        },
      },
      rawStep('terms alone', { terms: true }),
      rawStep('all at checkpoint 8192', { listIndexes: true, counts: true, vec: true, terms: true, pragmas: ['wal_autocheckpoint = 8192'] }),
      rawStep('all + memories_dedupe', { listIndexes: true, counts: true, vec: true, terms: true, oldDedupe: true }),
      rawStep('all, FTS5 for terms', { listIndexes: true, counts: true, vec: true, fts5: true }),
      {
        name: 'vec0 only',
        setup: (run) => {
          raw = openRawSqlite(`${dir}/vec0-${run}.db`);
          raw.exec(`create virtual table memories_vec using vec0(embedding float[${dim}])`);
        },
        body: () => {
          const db = raw as Database.Database;
          const ins = db.prepare('insert into memories_vec(rowid, embedding) values (?, ?)');
          const insertBatch = db.transaction((start: number, end: number) => {
            for (let i = start; i < end; i++) ins.run(BigInt(i + 1), vecBuf(i));
          });
          for (let start = 0; start < n; start += BATCH) insertBatch(start, Math.min(n, start + BATCH));
          return n;
        },
        teardown: () => {
          (raw as Database.Database).close();
          raw = undefined;
        },
      },
    ];
    const only = (process.env.BENCH_LOAD_STEPS ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '');
    if (only.length > 0) {
      const unknown = only.filter((x) => !all.some((c) => c.name === x));
      if (unknown.length > 0) throw new Error(`BENCH_LOAD_STEPS: unknown step(s) ${unknown.join(', ')}; steps: ${all.map((c) => c.name).join(', ')}`);
    }
    const contenders = only.length === 0 ? all : all.filter((c) => c.name === 'row' || only.includes(c.name));
    const stats = await compareThroughput(contenders, { runs, warmup: 0 });
    progress(started, 'timed');

    const base = (stats.get('row') as { opsPerSec: number }).opsPerSec;
    let previous = base;
    console.log(`    ${'step'.padEnd(24)} ${'rows/s'.padStart(9)}  ${'× row'.padStart(7)}  ${'µs/row'.padStart(7)}  ${'+µs/row'.padStart(8)}  spread`);
    for (const c of contenders) {
      const s = stats.get(c.name) as { opsPerSec: number; spread: number };
      const us = 1e6 / s.opsPerSec;
      const ladder = !CONTEXT.includes(c.name);
      const added = ladder ? (us - 1e6 / previous).toFixed(1) : '';
      if (ladder) previous = s.opsPerSec;
      console.log(
        `    ${c.name.padEnd(24)} ${Math.round(s.opsPerSec).toString().padStart(9)}  ${(s.opsPerSec / base).toFixed(3).padStart(7)}  ${us.toFixed(1).padStart(7)}  ${added.padStart(8)}  ${(s.spread * 100).toFixed(0)} %`,
      );
    }
    // The floor: what the row, its vector and a keyword index cost with no JavaScript at all.
    const floor = ['+ terms', 'all, FTS5 for terms'].filter((name) => stats.has(name)).map((name) => `${name} ${Math.round((stats.get(name) as { opsPerSec: number }).opsPerSec)} rows/s`);
    if (floor.length > 0) console.log(`    floor without JavaScript (row, indexes, vec0, a keyword index): ${floor.join('; ')} — the target is 25000 rows/s`);
    for (const c of contenders) {
      if (c.name === 'row') continue;
      const s = stats.get(c.name) as { opsPerSec: number };
      results.push({
        bench: 'load',
        metric: `${c.name}, ${n} × ${dim}-d, 1000/batch`,
        measured: s.opsPerSec,
        unit: 'rows/s',
        baseline: { name: 'row alone', value: base },
        engine,
        ...(c.name === 'memstrate rememberMany' ? { target: { on: 'value', op: '>=', value: 25_000 } as const, note: 'issue 13 target' } : {}),
      });
    }
  } finally {
    if (raw) (raw as Database.Database).close();
    if (mem) await (mem as MemorySubstrate).close();
    cleanup();
  }
}
