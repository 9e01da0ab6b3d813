/**
 * scale — the embedded default at a million memories (issue 13): SQLite with sqlite-vec, one file,
 * `rememberMany` in batches of 1000, in three layouts run one after the other:
 *
 *   one    one agent of N memories (default 1,000,000): its approximate index built (timed), then
 *          vector recall through it against the exact scan of the same store (a second substrate
 *          on the same file with vector_search = "exact"): p50/p95 of both, their ratio, recall@10
 *          of the approximate path against the exact results; hybrid against vector-only; keyword
 *          recall of 2–3 mid-frequency terms;
 *   many   100 agents of N/100 each: below approximate_min_rows, so recall scans each agent exactly
 *          (what `auto` does) — the same figures;
 *   small  one agent of 100,000 (approximate_min_rows, where `auto` switches): approximate against
 *          exact, which must not be slower.
 *
 * Also: load rate against raw batched inserts of the same rows into memstrate's own schema (memory
 * row, indexes, vec0, keyword terms; the first min(N, 100k) rows, same run); the file's size; the
 * process's peak RSS while recalling. Vectors: bench/data.ts's latent model (384 dims).
 *
 * Env: BENCH_SCALE_N (1000000), BENCH_SCALE_LAYOUTS ("one,many,small"), BENCH_DIM (384),
 * BENCH_QUERIES (40), BENCH_RUNS (3), BENCH_SCALE_KEEP (a folder: each layout's file is kept there
 * as <layout>-<N>.db and, when a later run finds it complete, reused: the load and the index build
 * are skipped and their figures not reported — for re-measuring recall without a 15-minute load).
 */
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { v7 as uuidv7 } from 'uuid';
import { MemorySubstrate } from '../src/index.js';
import { LatentModel, makeTexts, queryTerms, row, Vocabulary } from './data.js';
import { compareLatency, engineDescription, envInt, openRawSqlite, percentile, progress, rawKeywordWriter, Rng, tempDir, type BenchResult } from './lib.js';
import { InsertedPerAgent } from '../src/backends/sqlite/sqlite-agent-counts.js';
import { memstrateSchema } from './load.bench.js';

const K = 10;
const BATCH = 1000;
const RAW_ROWS = 100_000;

interface Layout {
  name: string;
  agents: number;
  perAgent: number;
  /** Build each agent's approximate index (the `auto` outcome at this size). */
  indexed: boolean;
}

export async function scale(results: BenchResult[]): Promise<void> {
  const n = envInt('BENCH_SCALE_N', 1_000_000, 100_000);
  const dim = envInt('BENCH_DIM', 384, 384);
  const nq = envInt('BENCH_QUERIES', 40, 20);
  const runs = envInt('BENCH_RUNS', 3, 1);
  const wanted = (process.env.BENCH_SCALE_LAYOUTS ?? 'one,many,small').split(',');
  const layouts: Layout[] = [
    { name: 'one', agents: 1, perAgent: n, indexed: true },
    { name: 'many', agents: 100, perAgent: Math.round(n / 100), indexed: false },
    { name: 'small', agents: 1, perAgent: Math.min(n, 100_000), indexed: true },
  ].filter((l) => wanted.includes(l.name));
  const started = performance.now();
  console.log(`scale: ${n.toLocaleString('en-US')} × ${dim}, layouts ${layouts.map((l) => `${l.name} (${l.agents} × ${l.perAgent.toLocaleString('en-US')})`).join(', ')}; ${nq} queries, k=${K}, ${runs} runs; load ${loadavg()[0]?.toFixed(2)}`);
  const model = new LatentModel(dim, 0x5eed);
  const vocab = new Vocabulary(20_000, 3);
  for (const layout of layouts) await runLayout(results, layout, model, vocab, dim, nq, runs, started);
}

async function runLayout(results: BenchResult[], layout: Layout, model: LatentModel, vocab: Vocabulary, dim: number, nq: number, runs: number, started: number): Promise<void> {
  const total = layout.agents * layout.perAgent;
  const label = `${layout.name}: ${layout.agents} × ${layout.perAgent.toLocaleString('en-US')}`;
  const engine = `${engineDescription()}; load avg at start ${loadavg()[0]?.toFixed(2)}`;
  const { dir, cleanup } = tempDir(`scale-${layout.name}`);
  const keep = process.env.BENCH_SCALE_KEEP;
  if (keep) mkdirSync(keep, { recursive: true });
  const path = keep ? `${keep}/${layout.name}-${total}.db` : `${dir}/mem.db`;
  // A kept file is complete once its load and builds finished (the marker is written last).
  const reuse = keep !== undefined && existsSync(`${path}.complete`);
  if (keep && !reuse) for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
  const agentOf = (i: number) => `agent-${i % layout.agents}`;
  // Approximate mode: nothing builds by itself during the load; the build is timed on its own.
  const mem = await MemorySubstrate.open({ sqlitePath: path, sqlite: { vectorSearch: 'approximate' } } as never, { env: {} });
  let exact: MemorySubstrate | undefined;
  try {
    // ── load, in slices so the vectors and texts of a million rows are never all in memory ──
    const slice = 50_000;
    const queries = model.sample(nq, 2);
    const queryAgents = Array.from({ length: nq }, (_, q) => agentOf(q * 7));
    let loadMs = 0;
    let firstMs = 0;
    let sampleTexts: { texts: string[]; ranks: Uint16Array[] } | undefined;
    for (let start = 0; start < total; start += slice) {
      const count = Math.min(slice, total - start);
      const { texts, ranks } = makeTexts(vocab, count, 4 + start);
      if (!sampleTexts) sampleTexts = { texts, ranks };
      if (reuse) break;
      const vectors = model.sample(count, 1 + start);
      const t0 = performance.now();
      for (let b = 0; b < count; b += BATCH) {
        const batch = [];
        // Agents fill in turn: each batch belongs to one agent (as an agent's own writes would).
        const agentId = agentOf(Math.floor((start + b) / BATCH));
        for (let i = b; i < Math.min(count, b + BATCH); i++) batch.push({ agentId, content: texts[i] as string, embedding: row(vectors, dim, i) });
        await mem.semantic.rememberMany(batch);
      }
      loadMs += performance.now() - t0;
      if (start + count === Math.min(total, RAW_ROWS)) firstMs = loadMs;
      if (start % 200_000 === 0) progress(started, `${label}: loaded ${(start + count).toLocaleString('en-US')} (${Math.round((start + count) / (loadMs / 1000))} rows/s)`);
    }
    if (reuse) progress(started, `${label}: reusing ${path} (BENCH_SCALE_KEEP): no load or build figures`);
    else await reportLoad(results, label, engine, dir, model, vocab, dim, total, loadMs, firstMs, started);

    let buildMs = 0;
    if (layout.indexed && !reuse) {
      for (let a = 0; a < layout.agents; a++) {
        const built = await mem.buildVectorIndex(`agent-${a}`);
        buildMs += built.ms;
        progress(started, `${label}: index of agent-${a} built in ${(built.ms / 1000).toFixed(1)} s (${built.cells} cells, ${built.codeBits}-bit codes)`);
      }
      results.push({ bench: 'scale', metric: `${label}: index build`, measured: buildMs / 1000, unit: 's', engine });
    }
    if (keep && !reuse) writeFileSync(`${path}.complete`, `${total}\n`);
    const size = ['', '-wal'].reduce((s, suffix) => s + (statSync(path + suffix, { throwIfNoEntry: false })?.size ?? 0), 0);
    results.push({ bench: 'scale', metric: `${label}: database size on disk`, measured: size / 2 ** 20, unit: 'MiB', engine });

    // ── ground truth: the exact scan of the same store, timed once per query ──
    exact = await MemorySubstrate.open({ sqlitePath: path, sqlite: { vectorSearch: 'exact' } } as never, { env: {} });
    const exactMem = exact;
    const truth: string[][] = [];
    const exactMs: number[] = [];
    for (let q = 0; q < nq; q++) {
      const t0 = performance.now();
      const got = await exactMem.semantic.recall({ agentId: queryAgents[q] as string, embedding: row(queries, dim, q), mode: 'vector', limit: K });
      exactMs.push(performance.now() - t0);
      truth.push(got.map((r) => r.memory.id));
    }
    exactMs.sort((a, b) => a - b);
    let hits = 0;
    const paths = new Set<string>();
    for (let q = 0; q < nq; q++) {
      const got = await mem.semantic.recall({ agentId: queryAgents[q] as string, embedding: row(queries, dim, q), mode: 'vector', limit: K, explain: true });
      for (const r of got) paths.add(r.explanation?.vectorSearch ?? '?');
      const want = new Set(truth[q]);
      hits += got.filter((r) => want.has(r.memory.id)).length;
    }
    const recallAt10 = hits / (nq * K);
    progress(started, `${label}: recall@${K} ${recallAt10.toFixed(3)} against the exact scan (path: ${[...paths].join(', ')}); exact p50 ${percentile(exactMs, 50).toFixed(1)} ms`);

    // Keyword terms: 2–3 mid-frequency words of a text of the first slice (present in the store).
    const trng = new Rng(5);
    const texts = sampleTexts as { texts: string[]; ranks: Uint16Array[] };
    const qtext = Array.from({ length: nq }, (_, q) => queryTerms(vocab, texts.ranks[(q * 997) % texts.ranks.length] as Uint16Array, trng));
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 20);
    const stats = await compareLatency(
      [
        { name: 'vector', op: (q) => mem.semantic.recall({ agentId: queryAgents[q] as string, embedding: row(queries, dim, q), mode: 'vector', limit: K }) },
        { name: 'hybrid', op: (q) => mem.semantic.recall({ agentId: queryAgents[q] as string, embedding: row(queries, dim, q), text: qtext[q] as string, mode: 'hybrid', limit: K }) },
        { name: 'keyword', op: (q) => mem.semantic.recall({ agentId: queryAgents[q] as string, text: qtext[q] as string, mode: 'keyword', limit: K }) },
      ],
      { count: nq, runs, warmup: 1 },
    );
    clearInterval(sampler);
    const get = (name: string) => stats.get(name) as NonNullable<ReturnType<typeof stats.get>>;
    const vec = get('vector');
    const hyb = get('hybrid');
    const kw = get('keyword');
    const searched = [...paths].join('/');
    progress(started, `${label}: vector (${searched}) p50 ${vec.p50.toFixed(1)} / p95 ${vec.p95.toFixed(1)} ms; hybrid ${hyb.p50.toFixed(1)} / ${hyb.p95.toFixed(1)}; keyword ${kw.p50.toFixed(1)} / ${kw.p95.toFixed(1)}; peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
    const exactP50 = percentile(exactMs, 50);
    const exactP95 = percentile(exactMs, 95);
    results.push(
      { bench: 'scale', metric: `${label}: vector p95 (${searched})`, measured: vec.p95, unit: 'ms', baseline: { name: 'exact scan p95', value: exactP95 }, target: { on: 'value', op: '<=', value: layout.indexed ? 50 : exactP95 * 1.2 }, engine },
      { bench: 'scale', metric: `${label}: vector p50 (${searched})`, measured: vec.p50, unit: 'ms', baseline: { name: 'exact scan p50', value: exactP50 }, ...(layout.indexed ? { target: { on: 'ratio' as const, op: '<=' as const, value: 1 } } : {}), engine },
      { bench: 'scale', metric: `${label}: recall@${K} vs exact`, measured: recallAt10, unit: '', target: { on: 'value', op: '>=', value: 0.95 }, engine },
      { bench: 'scale', metric: `${label}: hybrid p50`, measured: hyb.p50, unit: 'ms', baseline: { name: 'vector p50', value: vec.p50 }, target: { on: 'ratio', op: '<=', value: 1.1 }, engine },
      { bench: 'scale', metric: `${label}: hybrid p95`, measured: hyb.p95, unit: 'ms', baseline: { name: 'vector p95', value: vec.p95 }, engine },
      { bench: 'scale', metric: `${label}: keyword p95 (2–3 terms)`, measured: kw.p95, unit: 'ms', target: { on: 'value', op: '<=', value: 20 }, engine },
      { bench: 'scale', metric: `${label}: keyword p50 (2–3 terms)`, measured: kw.p50, unit: 'ms', engine },
      { bench: 'scale', metric: `${label}: peak RSS while recalling`, measured: peakRss / 2 ** 20, unit: 'MiB', engine },
    );

    // The probe factor's trade-off on the same index: recall@10 and latency per setting.
    if (layout.indexed) {
      for (const factor of (process.env.BENCH_SCALE_FACTORS ?? '2,2.5,3,4').split(',').map(Number)) {
        const probed = await MemorySubstrate.open({ sqlitePath: path, sqlite: { vectorSearch: 'approximate', approximateProbeFactor: factor } } as never, { env: {} });
        try {
          const ms: number[] = [];
          let found = 0;
          for (let run = 0; run < 2; run++) {
            for (let q = 0; q < nq; q++) {
              const t0 = performance.now();
              const got = await probed.semantic.recall({ agentId: queryAgents[q] as string, embedding: row(queries, dim, q), mode: 'vector', limit: K });
              if (run === 1) ms.push(performance.now() - t0);
              if (run === 1) found += got.filter((r) => (truth[q] as string[]).includes(r.memory.id)).length;
            }
          }
          ms.sort((a, b) => a - b);
          const r = found / (nq * K);
          progress(started, `${label}: approximate_probe_factor ${factor}: p50 ${percentile(ms, 50).toFixed(1)} / p95 ${percentile(ms, 95).toFixed(1)} ms, recall@${K} ${r.toFixed(3)}`);
          results.push({ bench: 'scale', metric: `${label}: probe factor ${factor}: vector p95 (recall@${K} ${r.toFixed(3)})`, measured: percentile(ms, 95), unit: 'ms', baseline: { name: 'exact scan p95', value: exactP95 }, engine });
        } finally {
          await probed.close();
        }
      }
    }
  } finally {
    await exact?.close();
    await mem.close();
    cleanup();
  }
}

/** The load figures: rememberMany over all rows and over the first min(N, 100k), against raw batched inserts of those. */
async function reportLoad(results: BenchResult[], label: string, engine: string, dir: string, model: LatentModel, vocab: Vocabulary, dim: number, total: number, loadMs: number, firstMs: number, started: number): Promise<void> {
  const loadRate = total / (loadMs / 1000);
  const first = Math.min(total, RAW_ROWS);
  const firstRate = first / (firstMs / 1000);
  const rawRate = await rawLoadRate(dir, model, vocab, dim, first);
  progress(started, `${label}: rememberMany ${Math.round(loadRate)} rows/s over all, ${Math.round(firstRate)} over the first ${first.toLocaleString('en-US')}; raw batched inserts of those ${Math.round(rawRate)} rows/s`);
  results.push(
    { bench: 'scale', metric: `${label}: load via rememberMany, first ${first.toLocaleString('en-US')} rows`, measured: firstRate, unit: 'rows/s', baseline: { name: 'raw batched inserts, same rows', value: rawRate }, target: { on: 'value', op: '>=', value: 25_000 }, engine },
    { bench: 'scale', metric: `${label}: load via rememberMany, all ${total.toLocaleString('en-US')} rows`, measured: loadRate, unit: 'rows/s', engine, note: 'the b-trees (keyword postings above all) deepen as the store grows' },
  );
}

/** Raw batched inserts (1000 per transaction) of `count` rows into memstrate's own schema: every table and index a memory write touches. */
async function rawLoadRate(dir: string, model: LatentModel, vocab: Vocabulary, dim: number, count: number): Promise<number> {
  const vectors = model.sample(count, 1);
  const { texts } = makeTexts(vocab, count, 4);
  const schema = await memstrateSchema(`${dir}/template.db`, row(vectors, dim, 0));
  const db = openRawSqlite(`${dir}/raw.db`);
  try {
    for (const sql of [schema.memories, ...schema.listIndexes, ...schema.counts, schema.vec, ...schema.terms]) db.exec(sql);
    const insMem = db.prepare(
      'insert into memories (id, agent_id, content, source, scope, metadata, confidence, created_at, accessed_at, access_count, key, expires_at) ' +
        "values (?, 'raw', ?, 'observation', 'episodic', '{}', 1, ?, ?, 0, null, null)",
    );
    const insVec = db.prepare("insert into memories_vec (rowid, agent_id, embedding, scope, source, confidence, created_at) values (?, 'raw', ?, 'episodic', 'observation', 1.0, ?)");
    const terms = rawKeywordWriter(db);
    const counts = new InsertedPerAgent();
    const batch = db.transaction((start: number, end: number) => {
      for (let i = start; i < end; i++) {
        const now = Date.now();
        const content = texts[i] as string;
        const rowid = Number(insMem.run(uuidv7(), content, now, now).lastInsertRowid);
        terms.add(rowid, 'raw', content);
        counts.inserted('raw');
        const v = row(vectors, dim, i);
        insVec.run(BigInt(rowid), Buffer.from(v.buffer, v.byteOffset, v.byteLength), BigInt(now));
      }
      counts.flush((sql) => db.prepare(sql));
      terms.flush();
    });
    const t0 = performance.now();
    for (let start = 0; start < count; start += BATCH) batch(start, Math.min(count, start + BATCH));
    return count / ((performance.now() - t0) / 1000);
  } finally {
    db.close();
  }
}
