/**
 * recall — exact vector, keyword and hybrid recall over N memories × D dims for one agent,
 * against (a) a raw sqlite-vec `vec0` KNN query on an identical table and (b) a JS brute-force
 * dot-product scan over the same unit vectors. Targets (performance anchors §6.1, §6.10):
 * vector p50 ≤ 1.25× raw vec0 and ≤ 2× brute force, vector p95 ≤ 1.5× raw vec0,
 * hybrid p50 ≤ 1.1× vector, recall@10 = 1.0 (exact).
 *
 * Env: BENCH_N (memories, default 100000), BENCH_DIM (384), BENCH_QUERIES (50), BENCH_RUNS (5).
 */
import { MemorySubstrate } from '../src/index.js';
import { bruteForceTopK, LatentModel, makeTexts, queryTerms, row, Vocabulary, memoryBatch, vectorRecallAtK } from './data.js';
import { compareLatency, engineDescription, envInt, openRawSqlite, progress, Rng, RUNS, tempDir, type BenchResult } from './lib.js';

const AGENT = 'bench-agent';
const K = 10;
const BATCH = 1000;

export async function recall(results: BenchResult[]): Promise<void> {
  const n = envInt('BENCH_N', 100_000);
  const dim = envInt('BENCH_DIM', 384, 384);
  const nq = envInt('BENCH_QUERIES', 50, 20);
  const runs = RUNS();
  const engine = engineDescription();
  const started = performance.now();
  console.log(`recall: ${n} memories × ${dim} dims, ${nq} held-out queries, k=${K}, ${runs} runs`);

  const model = new LatentModel(dim, 0x5eed);
  const vectors = model.sample(n, 1);
  const queries = model.sample(nq, 2);
  const vocab = new Vocabulary(20_000, 3);
  const { texts, ranks } = makeTexts(vocab, n, 4);
  progress(started, 'data generated');

  const { dir, cleanup } = tempDir('recall');
  const mem = await MemorySubstrate.open({ sqlitePath: `${dir}/mem.db` }, { env: {} });
  const raw = openRawSqlite(`${dir}/raw.db`);
  try {
    // ── load: memstrate via rememberMany, raw via 1000-row transactions ──
    const ids: string[] = [];
    const t0 = performance.now();
    for (let start = 0; start < n; start += BATCH) {
      ids.push(...(await mem.semantic.rememberMany(memoryBatch(AGENT, texts, vectors, dim, start, start + BATCH))));
    }
    const loadRate = n / ((performance.now() - t0) / 1000);
    progress(started, `memstrate loaded (${Math.round(loadRate)} rows/s via rememberMany)`);

    raw.exec(`create virtual table v using vec0(embedding float[${dim}])`);
    const ins = raw.prepare('insert into v(rowid, embedding) values (?, ?)');
    const insertBatch = raw.transaction((start: number, end: number) => {
      for (let i = start; i < end; i++) {
        const v = row(vectors, dim, i);
        ins.run(BigInt(i + 1), Buffer.from(v.buffer, v.byteOffset, v.byteLength));
      }
    });
    for (let start = 0; start < n; start += BATCH) insertBatch(start, Math.min(n, start + BATCH));
    progress(started, 'raw vec0 table loaded');

    // ── ground truth and recall@10 ──
    const truth: number[][] = [];
    for (let q = 0; q < nq; q++) truth.push(bruteForceTopK(vectors, n, dim, row(queries, dim, q), K));
    const recallAt10 = await vectorRecallAtK((embedding) => mem.semantic.recall({ agentId: AGENT, embedding, mode: 'vector', limit: K }), ids, queries, dim, truth, K);
    progress(started, `recall@${K} vs brute force = ${recallAt10.toFixed(4)}`);

    // Keyword terms: 2–3 mid-frequency words of the query's nearest document.
    const trng = new Rng(5);
    const qtext = truth.map((t) => queryTerms(vocab, ranks[t[0] as number] as Uint16Array, trng));
    const knn = raw.prepare('select rowid, distance from v where embedding match ? and k = ?');
    const qbuf = Array.from({ length: nq }, (_, q) => {
      const v = row(queries, dim, q);
      return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    });

    const stats = await compareLatency(
      [
        { name: 'vector', op: (q) => mem.semantic.recall({ agentId: AGENT, embedding: row(queries, dim, q), mode: 'vector', limit: K }) },
        {
          name: 'hybrid',
          op: (q) => mem.semantic.recall({ agentId: AGENT, embedding: row(queries, dim, q), text: qtext[q] as string, mode: 'hybrid', limit: K }),
        },
        { name: 'keyword', op: (q) => mem.semantic.recall({ agentId: AGENT, text: qtext[q] as string, mode: 'keyword', limit: K }) },
        { name: 'vector limit 20', op: (q) => mem.semantic.recall({ agentId: AGENT, embedding: row(queries, dim, q), mode: 'vector', limit: 20 }) },
        { name: 'raw vec0', op: (q) => knn.all(qbuf[q], K) },
        { name: 'JS brute force', op: (q) => bruteForceTopK(vectors, n, dim, row(queries, dim, q), K) },
      ],
      { count: nq, runs, warmup: 1 },
    );
    progress(started, 'timed');
    for (const [name, s] of stats) {
      console.log(`    ${name.padEnd(15)} p50 ${s.p50.toFixed(2)} ms  p95 ${s.p95.toFixed(2)} ms  mean ${s.mean.toFixed(2)} ms  spread ${(s.spread * 100).toFixed(0)} %`);
    }
    const get = (name: string) => stats.get(name) as NonNullable<ReturnType<typeof stats.get>>;
    const vec = get('vector');
    const hyb = get('hybrid');
    const kw = get('keyword');
    const rawVec = get('raw vec0');
    const brute = get('JS brute force');
    const size = `${n / 1000}k×${dim}`;
    const bruteEngine = `JS Float32Array dot product, 4 accumulators, Node ${process.version}`;
    results.push(
      { bench: 'recall', metric: `vector p50 (${size})`, measured: vec.p50, unit: 'ms', baseline: { name: 'raw vec0 p50', value: rawVec.p50 }, target: { on: 'ratio', op: '<=', value: 1.25 }, engine },
      { bench: 'recall', metric: `vector p50 (${size})`, measured: vec.p50, unit: 'ms', baseline: { name: 'JS brute p50', value: brute.p50 }, target: { on: 'ratio', op: '<=', value: 2 }, engine: `${engine}; baseline ${bruteEngine}` },
      { bench: 'recall', metric: `vector p95 (${size})`, measured: vec.p95, unit: 'ms', baseline: { name: 'raw vec0 p95', value: rawVec.p95 }, target: { on: 'ratio', op: '<=', value: 1.5 }, engine },
      { bench: 'recall', metric: `hybrid p50 (${size})`, measured: hyb.p50, unit: 'ms', baseline: { name: 'memstrate vector p50', value: vec.p50 }, target: { on: 'ratio', op: '<=', value: 1.1 }, engine },
      { bench: 'recall', metric: `hybrid p95 (${size})`, measured: hyb.p95, unit: 'ms', baseline: { name: 'memstrate vector p95', value: vec.p95 }, engine },
      { bench: 'recall', metric: `keyword p50 (2–3 terms)`, measured: kw.p50, unit: 'ms', engine },
      { bench: 'recall', metric: `keyword p95 (2–3 terms)`, measured: kw.p95, unit: 'ms', engine },
      { bench: 'recall', metric: `vector p50, limit 20 (hybrid's depth)`, measured: get('vector limit 20').p50, unit: 'ms', baseline: { name: 'vector limit 10 p50', value: vec.p50 }, engine, note: 'diagnostic: hybrid ≈ this + keyword + fusion' },
      { bench: 'recall', metric: `recall@${K} vector vs exact truth`, measured: recallAt10, unit: '', target: { on: 'value', op: '>=', value: 1 }, engine },
      { bench: 'recall', metric: 'raw vec0 p50 vs JS brute p50', measured: rawVec.p50, unit: 'ms', baseline: { name: 'JS brute p50', value: brute.p50 }, engine, note: 'context: anchors measured 1.06× (L2) – 1.53× (cosine)' },
      { bench: 'recall', metric: 'load via rememberMany (1000/batch)', measured: loadRate, unit: 'rows/s', engine },
    );
  } finally {
    raw.close();
    await mem.close();
    cleanup();
  }
}
