/**
 * ann-probe — groundwork for approximate vector search on SQLite (issue 13), measured before a
 * design is chosen: a binary-quantised coarse KNN inside sqlite-vec (a `bit[D]` column of the same
 * vec0 table, `vec_quantize_binary`) over-fetching k′ candidates, then an exact rerank of those from
 * the float vectors (a plain rowid → blob table, dot products in JS), against the exact vec0 KNN in
 * the same run. Prints, per k′, the coarse and rerank p50/p95 and recall@10 against the exact result.
 * Raw sqlite-vec on a file configured like the substrate's engine; one agent (vec0 partition key).
 * Second probe, IVF-style: k-means cells (√N centroids trained in JS on a sample) as a second vec0
 * partition key, the query searching its `nprobe` nearest cells (`cell in (…)`, one statement: vec0
 * runs the KNN per cell, SQL keeps the best k) — exact distances inside the probed cells.
 *
 * Env: BENCH_N (vectors, default 200000), BENCH_DIM (384), BENCH_QUERIES (40).
 */
import { assignCell, dotRow, probeCells, sampleSizeFor, SignCoder, trainIvf } from '../src/core/ivf.js';
import { LatentModel } from './data.js';
import { engineDescription, envInt, openRawSqlite, percentile, progress, tempDir, type BenchResult } from './lib.js';

const K = 10;
const LOAD_BATCH = 10_000;

export async function annProbe(results: BenchResult[]): Promise<void> {
  const n = envInt('BENCH_N', 200_000);
  const dim = envInt('BENCH_DIM', 384, 384);
  const nq = envInt('BENCH_QUERIES', 40, 20);
  const engine = engineDescription();
  const started = performance.now();
  console.log(`ann-probe: ${n} × ${dim}, ${nq} queries, k=${K}`);
  const { dir, cleanup } = tempDir('ann-probe');
  const db = openRawSqlite(`${dir}/probe.db`);
  try {
    const model = new LatentModel(dim, 0xa2c);
    db.exec(`create virtual table v using vec0(agent_id text partition key, embedding float[${dim}], bq bit[${dim}], scope text)`);
    db.exec('create table f (rowid integer primary key, e blob not null)');
    const insV = db.prepare("insert into v (rowid, agent_id, embedding, bq, scope) values (?, 'a', ?, vec_quantize_binary(?), 's')");
    const insF = db.prepare('insert into f (rowid, e) values (?, ?)');
    loadAll(db, model, n, dim, (rowid, v, b) => {
      insV.run(BigInt(rowid), b, b);
      insF.run(rowid, b);
    });
    progress(started, `loaded ${n}`);
    const queries = model.sample(nq, 999);
    const exact = db.prepare("select rowid from v where embedding match ? and k = ? and agent_id = 'a'");
    const coarse = db.prepare("select rowid from v where bq match vec_quantize_binary(?) and k = ? and agent_id = 'a'");
    const fetch = db.prepare('select rowid, e from f where rowid in (select value from json_each(?))');
    const buf = (q: number) => Buffer.from(queries.buffer, q * dim * 4, dim * 4);

    const truth: number[][] = [];
    const exactMs: number[] = [];
    for (let q = 0; q < nq; q++) {
      const t = performance.now();
      truth.push((exact.all(buf(q), K) as { rowid: number | bigint }[]).map((r) => Number(r.rowid)));
      exactMs.push(performance.now() - t);
    }
    exactMs.sort((a, b) => a - b);
    const exactP50 = percentile(exactMs, 50);
    progress(started, `exact KNN p50 ${exactP50.toFixed(1)} ms, p95 ${percentile(exactMs, 95).toFixed(1)} ms`);
    results.push({ bench: 'ann-probe', metric: `exact vec0 KNN p50 (${n / 1000}k×${dim})`, measured: exactP50, unit: 'ms', engine });

    const probes = (process.env.BENCH_ANN_PROBES ?? 'bit,ivf,ivfbit').split(',');
    if (probes.includes('ivfbit')) await ivfBit(db, model, n, dim, nq, queries, truth, exactP50, results, started);
    for (const over of probes.includes('bit') ? [100, 200, 400, 800] : []) {
      const coarseMs: number[] = [];
      const rerankMs: number[] = [];
      let hits = 0;
      for (let q = 0; q < nq; q++) {
        const qv = queries.subarray(q * dim, (q + 1) * dim);
        let t = performance.now();
        const candidates = (coarse.all(buf(q), over) as { rowid: number | bigint }[]).map((r) => Number(r.rowid));
        coarseMs.push(performance.now() - t);
        t = performance.now();
        const rows = fetch.all(JSON.stringify(candidates)) as { rowid: number | bigint; e: Buffer }[];
        const top = rows
          .map((r) => {
            const v = new Float32Array(r.e.buffer, r.e.byteOffset, dim);
            let d = 0;
            for (let i = 0; i < dim; i++) d += (v[i] as number) * (qv[i] as number);
            return { id: Number(r.rowid), d };
          })
          .sort((a, b) => b.d - a.d)
          .slice(0, K);
        rerankMs.push(performance.now() - t);
        const want = new Set(truth[q]);
        hits += top.filter((r) => want.has(r.id)).length;
      }
      coarseMs.sort((a, b) => a - b);
      rerankMs.sort((a, b) => a - b);
      const total = percentile(coarseMs, 50) + percentile(rerankMs, 50);
      const recall = hits / (nq * K);
      progress(
        started,
        `k′=${over}: coarse p50 ${percentile(coarseMs, 50).toFixed(1)} ms (p95 ${percentile(coarseMs, 95).toFixed(1)}), rerank p50 ${percentile(rerankMs, 50).toFixed(2)} ms, recall@${K} ${recall.toFixed(3)}`,
      );
      results.push({
        bench: 'ann-probe',
        metric: `bit KNN k′=${over} + rerank p50 (recall@${K} ${recall.toFixed(3)})`,
        measured: total,
        unit: 'ms',
        baseline: { name: 'exact vec0 KNN p50', value: exactP50 },
        engine,
      });
    }

    // ── IVF-style: cells as a second partition key ──
    if (!probes.includes('ivf')) return;
    const cells = Math.max(4, Math.round(Math.sqrt(n)));
    const sample = model.sample(Math.min(n, cells * 32), 1);
    const centroids = kMeans(sample, dim, cells, 6);
    progress(started, `k-means: ${cells} cells trained on ${sample.length / dim} vectors`);
    db.exec(`create virtual table w using vec0(agent_id text partition key, cell integer partition key, embedding float[${dim}])`);
    const insW = db.prepare("insert into w (rowid, agent_id, cell, embedding) values (?, 'a', ?, ?)");
    loadAll(db, model, n, dim, (rowid, v, b) => insW.run(BigInt(rowid), BigInt(nearest(centroids, dim, v, 1)[0] as number), b));
    progress(started, `IVF table loaded`);
    for (const nprobe of [4, 8, 16, 32, 64]) {
      const ms: number[] = [];
      let hits = 0;
      for (let q = 0; q < nq; q++) {
        const qv = queries.subarray(q * dim, (q + 1) * dim);
        const t = performance.now();
        const probe = nearest(centroids, dim, qv, nprobe);
        const rows = db
          .prepare(`with knn as materialized (select rowid, distance from w where embedding match ? and k = ? and agent_id = 'a' and cell in (${probe.join(', ')})) select rowid from knn order by distance limit ?`)
          .all(buf(q), K, K) as { rowid: number | bigint }[];
        ms.push(performance.now() - t);
        const want = new Set(truth[q]);
        hits += rows.filter((r) => want.has(Number(r.rowid))).length;
      }
      ms.sort((a, b) => a - b);
      const recall = hits / (nq * K);
      progress(started, `IVF nprobe=${nprobe}/${cells}: p50 ${percentile(ms, 50).toFixed(1)} ms (p95 ${percentile(ms, 95).toFixed(1)}), recall@${K} ${recall.toFixed(3)}`);
      results.push({
        bench: 'ann-probe',
        metric: `IVF nprobe ${nprobe}/${cells} p50 (recall@${K} ${recall.toFixed(3)})`,
        measured: percentile(ms, 50),
        unit: 'ms',
        baseline: { name: 'exact vec0 KNN p50', value: exactP50 },
        engine,
      });
    }
  } finally {
    db.close();
    cleanup();
  }
}

/**
 * Third probe (the shipped design's shape): a two-level IVF whose cells partition a `bit[D]` code table; each probed cell's
 * coarse KNN keeps its best `kc` by Hamming distance, and every candidate is reranked exactly from
 * the float vec0 table by rowid.
 */
async function ivfBit(
  db: ReturnType<typeof openRawSqlite>, model: LatentModel, n: number, dim: number, nq: number, queries: Float32Array, truth: number[][], exactP50: number,
  results: BenchResult[], started: number,
): Promise<void> {
  const engine = engineDescription();
  const per = envInt('BENCH_ANN_CELL_ROWS', 4000, 1);
  const cells = Math.max(1, Math.round(n / per));
  const sample = model.sample(Math.min(n, sampleSizeFor(cells)), 1);
  let t = performance.now();
  const ivf = await trainIvf(sample, dim, cells);
  progress(started, `ivfbit: ${cells} cells (${ivf.children.length} tops) trained on ${sample.length / dim} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const chunk = envInt('BENCH_ANN_CHUNK', 1024, 8);
  const coder = new SignCoder(dim, envInt('BENCH_ANN_ROUNDS', 2, 2));
  db.exec(`create virtual table y using vec0(agent_id text partition key, cell integer partition key, code bit[${coder.bits}], +embedding blob, chunk_size=${chunk})`);
  const ins = db.prepare("insert into y (rowid, agent_id, cell, code, embedding) values (?, 'a', ?, vec_bit(?), ?)");
  t = performance.now();
  loadAll(db, model, n, dim, (rowid, v, b) => ins.run(BigInt(rowid), BigInt(assignCell(ivf, v)), coder.encode(v), b));
  progress(started, `ivfbit: loaded in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const perCell = db.prepare("select rowid, distance from y where code match vec_bit(?) and k = ? and agent_id = 'a' and cell = ?");
  const fetchAux = db.prepare('select rowid, embedding from y where rowid = ?');
  const R = envInt('BENCH_ANN_R', 200, 10);
  for (const nprobe of (process.env.BENCH_ANN_NPROBE ?? '8,16,32').split(',').map(Number)) {
    for (const kc of (process.env.BENCH_ANN_KC ?? '10,20,40').split(',').map(Number)) {
      const ms: number[] = [];
      const coarseMs: number[] = [];
      let hits = 0;
      for (let q = 0; q < nq; q++) {
        const qv = queries.subarray(q * dim, (q + 1) * dim);
        const s = performance.now();
        const probe = probeCells(ivf, qv, nprobe);
        const pool: { rowid: number | bigint; distance: number }[] = [];
        const qc = coder.encode(qv);
        for (const cell of probe) pool.push(...(perCell.all(qc, kc, BigInt(cell)) as { rowid: number | bigint; distance: number }[]));
        pool.sort((a, b) => a.distance - b.distance);
        const cand = pool.slice(0, R).map((r) => fetchAux.get(r.rowid) as { rowid: number | bigint; embedding: Buffer });
        coarseMs.push(performance.now() - s);
        const top = cand
          .map((r) => ({ id: Number(r.rowid), d: dotRow(new Float32Array(r.embedding.buffer, r.embedding.byteOffset, dim), 0, qv) }))
          .sort((a, b) => b.d - a.d)
          .slice(0, K);
        ms.push(performance.now() - s);
        const want = new Set(truth[q]);
        hits += top.filter((r) => want.has(r.id)).length;
      }
      ms.sort((a, b) => a - b);
      coarseMs.sort((a, b) => a - b);
      const recall = hits / (nq * K);
      progress(
        started,
        `ivfbit nprobe=${nprobe}/${cells} kc=${kc}: p50 ${percentile(ms, 50).toFixed(1)} ms (p95 ${percentile(ms, 95).toFixed(1)}; coarse p50 ${percentile(coarseMs, 50).toFixed(1)}), recall@${K} ${recall.toFixed(3)}`,
      );
      results.push({
        bench: 'ann-probe',
        metric: `IVF bit nprobe ${nprobe}/${cells} kc=${kc} p50 (recall@${K} ${recall.toFixed(3)})`,
        measured: percentile(ms, 50),
        unit: 'ms',
        baseline: { name: 'exact vec0 KNN p50', value: exactP50 },
        engine,
      });
    }
  }
}

/** Inserts the model's vectors 1..n (rowid, vector, its bytes) in transactions of LOAD_BATCH, sampled as every probe samples them. */
function loadAll(db: ReturnType<typeof openRawSqlite>, model: LatentModel, n: number, dim: number, insert: (rowid: number, v: Float32Array, bytes: Buffer) => void): void {
  for (let start = 0; start < n; start += LOAD_BATCH) {
    const count = Math.min(LOAD_BATCH, n - start);
    const vs = model.sample(count, 1 + start);
    db.transaction(() => {
      for (let i = 0; i < count; i++) {
        const v = vs.subarray(i * dim, (i + 1) * dim);
        insert(start + i + 1, v, Buffer.from(v.buffer, v.byteOffset, v.byteLength));
      }
    })();
  }
}

/** The indexes of the `count` centroids nearest to `v` (largest dot product; vectors are unit length). */
function nearest(centroids: Float32Array, dim: number, v: Float32Array, count: number): number[] {
  const cells = centroids.length / dim;
  const scores: { c: number; s: number }[] = [];
  for (let c = 0; c < cells; c++) {
    let s = 0;
    const base = c * dim;
    for (let i = 0; i < dim; i++) s += (centroids[base + i] as number) * (v[i] as number);
    scores.push({ c, s });
  }
  return scores
    .sort((a, b) => b.s - a.s)
    .slice(0, count)
    .map((x) => x.c);
}

/** Spherical k-means (cosine): `cells` centroids from `data` (rows of `dim`), `iterations` rounds. */
function kMeans(data: Float32Array, dim: number, cells: number, iterations: number): Float32Array {
  const n = data.length / dim;
  const centroids = new Float32Array(cells * dim);
  for (let c = 0; c < cells; c++) centroids.set(data.subarray(((c * 7919) % n) * dim, ((c * 7919) % n) * dim + dim), c * dim);
  for (let it = 0; it < iterations; it++) {
    const sums = new Float64Array(cells * dim);
    for (let r = 0; r < n; r++) {
      const v = data.subarray(r * dim, (r + 1) * dim);
      const c = nearest(centroids, dim, v, 1)[0] as number;
      for (let i = 0; i < dim; i++) sums[c * dim + i] = (sums[c * dim + i] as number) + (v[i] as number);
    }
    for (let c = 0; c < cells; c++) {
      let norm = 0;
      for (let i = 0; i < dim; i++) norm += (sums[c * dim + i] as number) ** 2;
      if (norm === 0) continue;
      const inv = 1 / Math.sqrt(norm);
      for (let i = 0; i < dim; i++) centroids[c * dim + i] = (sums[c * dim + i] as number) * inv;
    }
  }
  return centroids;
}
