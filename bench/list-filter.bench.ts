/**
 * list-filter — managing memories at scale (issue 10): paging through every memory of an agent
 * with `semantic.list` (keyset cursor, 1,000 per page), and a vector recall under a 3-clause filter
 * (scope, confidence and a metadata path), each against a hand-written raw query of the same shape
 * on the same SQLite file (a second, read-only better-sqlite3 connection: same data, same indexes).
 * Target: each at least half as fast as its raw query (time ratio ≤ 2).
 *
 * Env: BENCH_N (memories, default 100000), BENCH_DIM (384), BENCH_QUERIES (30), BENCH_RUNS (5).
 */
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { MemorySubstrate, type MemoryFilter } from '../src/index.js';
import { LatentModel, makeTexts, row, Vocabulary } from './data.js';
import { compareLatency, engineDescription, envInt, progress, RUNS, tempDir, type BenchResult } from './lib.js';

const AGENT = 'bench-agent';
const OTHER = 'other-agent';
const BATCH = 1000;
const PAGE = 1000;
const K = 10;
const SCOPES = ['work', 'home', 'travel', 'health'];

/** The 3-clause filter: scope, a confidence floor and a metadata range. */
const FILTER: MemoryFilter = { scope: 'work', minConfidence: 0.5, where: { 'metadata.n': { $gte: 50 } } };

export async function listFilter(results: BenchResult[]): Promise<void> {
  const n = envInt('BENCH_N', 100_000);
  const dim = envInt('BENCH_DIM', 384, 384);
  const nq = envInt('BENCH_QUERIES', 30, 20);
  const runs = RUNS();
  const engine = engineDescription();
  const started = performance.now();
  console.log(`list-filter: ${n} memories × ${dim} dims (plus ${n / 10} of another agent), pages of ${PAGE}, ${nq} filtered recalls, ${runs} runs`);

  const model = new LatentModel(dim, 0x11f7);
  const vectors = model.sample(n, 1);
  const queries = model.sample(nq, 2);
  const { texts } = makeTexts(new Vocabulary(20_000, 3), n, 4);
  const { dir, cleanup } = tempDir('list-filter');
  const path = `${dir}/mem.db`;
  const mem = await MemorySubstrate.open({ sqlitePath: path }, { env: {} });
  let raw: Database.Database | undefined;
  try {
    for (let start = 0; start < n; start += BATCH) {
      const batch = [];
      for (let i = start; i < Math.min(n, start + BATCH); i++) {
        batch.push({
          agentId: AGENT,
          content: texts[i] as string,
          embedding: row(vectors, dim, i),
          scope: SCOPES[i % SCOPES.length] as string,
          confidence: ((i * 7) % 10) / 10 + 0.05,
          metadata: { n: i % 100, tag: ['a', 'b', 'c'][i % 3] as string },
        });
      }
      await mem.semantic.rememberMany(batch);
      // Another agent's memories interleaved: the agent filter must do real work.
      if (start % (BATCH * 10) === 0) {
        await mem.semantic.rememberMany(
          Array.from({ length: BATCH }, (_, j) => ({ agentId: OTHER, content: `other ${start + j}`, embedding: row(vectors, dim, (start + j) % n), scope: 'work', metadata: { n: 99 } })),
        );
      }
    }
    progress(started, 'loaded');

    raw = new Database(path, { readonly: true });
    raw.pragma('cache_size = -65536');
    raw.pragma('mmap_size = 268435456');
    sqliteVec.load(raw);

    // ── list: every memory of the agent, newest first, 1,000 per page ──
    const pageAll = async (): Promise<number> => {
      let seen = 0;
      let cursor: string | undefined;
      do {
        const page = await mem.semantic.list({ agentId: AGENT, limit: PAGE, ...(cursor ? { cursor } : {}) });
        seen += page.items.length;
        cursor = page.nextCursor;
      } while (cursor);
      return seen;
    };
    const firstPage = raw.prepare(
      'select id, agent_id, content, source, scope, metadata, confidence, created_at, accessed_at, access_count, superseded_by, key, expires_at from memories m ' +
        'where m.superseded_by is null and (m.expires_at is null or m.expires_at > ?) and m.agent_id = ? order by m.created_at desc, m.id asc limit ?',
    );
    const nextPage = raw.prepare(
      'select id, agent_id, content, source, scope, metadata, confidence, created_at, accessed_at, access_count, superseded_by, key, expires_at from memories m ' +
        'where m.superseded_by is null and (m.expires_at is null or m.expires_at > ?) and m.agent_id = ? and (m.created_at < ? or (m.created_at = ? and m.id > ?)) ' +
        'order by m.created_at desc, m.id asc limit ?',
    );
    const rawPageAll = (): number => {
      let seen = 0;
      let rows = firstPage.all(Date.now(), AGENT, PAGE) as { id: string; created_at: number; metadata: string }[];
      while (rows.length > 0) {
        for (const r of rows) JSON.parse(r.metadata); // what any reader must do with a row
        seen += rows.length;
        const last = rows[rows.length - 1] as { id: string; created_at: number };
        rows = rows.length < PAGE ? [] : (nextPage.all(Date.now(), AGENT, last.created_at, last.created_at, last.id, PAGE) as typeof rows);
      }
      return seen;
    };
    if ((await pageAll()) !== n || rawPageAll() !== n) throw new Error('paging did not see every memory once');
    const listStats = await compareLatency(
      [
        { name: 'memstrate list', op: () => pageAll() },
        { name: 'raw keyset', op: () => rawPageAll() },
      ],
      { count: 1, runs, warmup: 1 },
    );
    progress(started, 'list timed');

    // ── recall under a 3-clause filter ──
    const qbuf = Array.from({ length: nq }, (_, q) => {
      const v = row(queries, dim, q);
      return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    });
    const rawFiltered = raw.prepare(
      'with knn as materialized (select rowid, distance from memories_vec where embedding match ? and k = ? and agent_id = ? and scope = ? and confidence >= ? ' +
        "and rowid in (select m.rowid from memories m where m.agent_id = ? and json_type(m.metadata, '$.n') in ('integer', 'real') and json_extract(m.metadata, '$.n') >= ?)) " +
        'select m.id, knn.distance from knn join memories m on m.rowid = knn.rowid where m.superseded_by is null order by knn.distance, m.rowid',
    );
    const memstrateIds = (await mem.semantic.recall({ agentId: AGENT, embedding: row(queries, dim, 0), mode: 'vector', limit: K, filter: FILTER })).map((r) => r.memory.id);
    const rawIds = (rawFiltered.all(qbuf[0], K, AGENT, 'work', 0.5, AGENT, 50) as { id: string }[]).map((r) => r.id);
    if (JSON.stringify(memstrateIds) !== JSON.stringify(rawIds)) throw new Error(`filtered recall differs from the raw query: ${memstrateIds.join(',')} vs ${rawIds.join(',')}`);
    const recallStats = await compareLatency(
      [
        { name: 'memstrate filtered recall', op: (q) => mem.semantic.recall({ agentId: AGENT, embedding: row(queries, dim, q), mode: 'vector', limit: K, filter: FILTER }) },
        { name: 'raw filtered KNN', op: (q) => rawFiltered.all(qbuf[q], K, AGENT, 'work', 0.5, AGENT, 50) },
      ],
      { count: nq, runs, warmup: 1 },
    );
    progress(started, 'filtered recall timed');

    const get = <T>(m: Map<string, T>, name: string) => m.get(name) as T;
    const size = `${n / 1000}k`;
    const list = get(listStats, 'memstrate list');
    const rawList = get(listStats, 'raw keyset');
    const rec = get(recallStats, 'memstrate filtered recall');
    const rawRec = get(recallStats, 'raw filtered KNN');
    for (const [name, s] of [...listStats, ...recallStats]) console.log(`    ${name.padEnd(26)} p50 ${s.p50.toFixed(2)} ms  p95 ${s.p95.toFixed(2)} ms`);
    results.push(
      { bench: 'list-filter', metric: `list: page through ${size} (${PAGE}/page)`, measured: list.p50, unit: 'ms', baseline: { name: 'raw keyset SQL', value: rawList.p50 }, target: { on: 'ratio', op: '<=', value: 2 }, engine },
      { bench: 'list-filter', metric: `3-clause filtered vector recall p50 (${size}×${dim})`, measured: rec.p50, unit: 'ms', baseline: { name: 'raw filtered vec0 KNN p50', value: rawRec.p50 }, target: { on: 'ratio', op: '<=', value: 2 }, engine },
      { bench: 'list-filter', metric: `3-clause filtered vector recall p95 (${size}×${dim})`, measured: rec.p95, unit: 'ms', baseline: { name: 'raw filtered vec0 KNN p95', value: rawRec.p95 }, engine },
    );
  } finally {
    raw?.close();
    await mem.close();
    cleanup();
  }
}
