/**
 * semantic-matrix — the same recall workload (N memories × D dims of one agent: vector, keyword and
 * hybrid recall, k = 10) on every semantic backend available in this run, each side by side with
 * the JS brute-force scan over the same vectors measured in the same interleaved passes. Every line
 * names its engine: a SQLite file; pgvector on the PostgreSQL server or PGlite; Qdrant at QDRANT_URL,
 * in Docker, or the Qdrant REST emulator (in this process: it shares the event loop, so its times
 * are the emulator's, not Qdrant's); the gateway (in this process, over a SQLite file).
 * Targets: none (info) except recall@10 of vector recall vs the brute-force truth, ≥ 0.95 on
 * approximate engines and = 1 on exact ones.
 *
 * Env: BENCH_N (default 100000), BENCH_DIM (384), BENCH_QUERIES (50), BENCH_RUNS (5),
 * BENCH_BACKENDS (comma-separated subset of sqlite,postgres,qdrant,http).
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { hnswIndexDdl, HNSW_INDEX, semanticTables } from '../src/backends/postgres/postgres-semantic-sql.js';
import { MemorySubstrate, registeredBackends, type MemoryConfigInput } from '../src/index.js';
import { createGateway } from '../src/server/app.js';
import { pgvectorTarget, stopPgliteServer } from '../test/harness/pglite-server.js';
import { dropCollection, qdrantTarget } from '../test/harness/qdrant-target.js';
import { bruteForceTopK, LatentModel, makeTexts, queryTerms, row, Vocabulary, memoryBatch, vectorRecallAtK } from './data.js';
import { compareLatency, envInt, progress, Rng, RUNS, tempDir, type BenchResult } from './lib.js';

const AGENT = 'bench-agent';
const K = 10;
const BATCH = 1000;

interface Contender {
  name: string;
  engine: string;
  config: MemoryConfigInput;
  env?: NodeJS.ProcessEnv;
  /** Memories per rememberMany (default 1,000). */
  batch?: number;
  /** After the first batch fixed the space and before the rest loads (pgvector: drop the HNSW index). */
  beforeBulk?: () => Promise<void>;
  /** After the load (pgvector: build the index once). */
  afterBulk?: () => Promise<void>;
  cleanup: () => Promise<void>;
}

async function sqliteContender(dir: string): Promise<Contender> {
  return { name: 'sqlite', engine: 'SQLite file (sqlite-vec exact KNN + FTS5)', config: { sqlitePath: `${dir}/sqlite.db` }, cleanup: async () => {} };
}

async function postgresContender(dir: string, dim: number): Promise<Contender> {
  const target = await pgvectorTarget();
  const schema = `bench_${randomBytes(5).toString('hex')}`;
  const t = semanticTables(schema);
  const client = new pg.Client({ connectionString: target.url });
  client.on('error', () => {});
  await client.connect();
  return {
    name: 'postgres',
    engine: `${target.engine}; HNSW m=16 ef_construction=64`,
    config: { sqlitePath: `${dir}/pg-main.db`, semanticBackend: 'postgres', semanticPostgresUrl: target.url, postgresSchema: schema, postgresPoolSize: 2 },
    beforeBulk: async () => void (await client.query(`drop index "${schema}".${HNSW_INDEX}`)),
    afterBulk: async () => {
      await client.query('begin');
      await client.query("set local maintenance_work_mem = '1GB'");
      await client.query(hnswIndexDdl(t, dim));
      await client.query('commit');
      await client.query(`analyze ${t.memories}`);
    },
    cleanup: async () => {
      await client.query(`drop schema if exists "${schema}" cascade`).catch(() => {});
      await client.end();
      if (target.kind === 'pglite') await stopPgliteServer();
    },
  };
}

async function qdrantContender(dir: string): Promise<Contender> {
  const target = await qdrantTarget();
  const collection = `bench_${randomBytes(5).toString('hex')}`;
  return {
    name: 'qdrant',
    engine: target.engine,
    config: { sqlitePath: `${dir}/qdrant-main.db`, semanticBackend: 'qdrant', qdrantUrl: target.url, qdrantCollection: collection, ...(target.apiKeyEnv ? { qdrantApiKeyEnv: target.apiKeyEnv } : {}) },
    env: target.apiKeyEnv ? { [target.apiKeyEnv]: process.env[target.apiKeyEnv] } : {},
    cleanup: () => dropCollection(target, collection),
  };
}

async function httpContender(dir: string): Promise<Contender> {
  const store = await MemorySubstrate.open({ sqlitePath: `${dir}/gateway.db` }, { env: {} });
  const app = createGateway(store, { token: undefined });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    name: 'http',
    engine: `memstrate gateway in this process (${url}) over a SQLite file`,
    // 100 × 384-dim memories per request stay under the gateway's 1 MiB body limit.
    batch: 100,
    config: { sqlitePath: `${dir}/http-main.db`, semanticBackend: 'http', httpUrl: url },
    cleanup: async () => {
      await app.close();
      await store.close();
    },
  };
}

export async function semanticMatrix(results: BenchResult[]): Promise<void> {
  const n = envInt('BENCH_N', 100_000);
  const dim = envInt('BENCH_DIM', 384, 384);
  const nq = envInt('BENCH_QUERIES', 50, 20);
  const runs = RUNS();
  const wanted = (process.env['BENCH_BACKENDS'] ?? 'sqlite,postgres,qdrant,http').split(',').map((s) => s.trim());
  const started = performance.now();
  console.log(`semantic-matrix: ${n} memories × ${dim} dims, ${nq} held-out queries, k=${K}, ${runs} runs; backends: ${wanted.join(', ')}`);

  const model = new LatentModel(dim, 0x5eed);
  const vectors = model.sample(n, 1);
  const queries = model.sample(nq, 2);
  const vocab = new Vocabulary(20_000, 3);
  const { texts, ranks } = makeTexts(vocab, n, 4);
  const truth: number[][] = [];
  for (let q = 0; q < nq; q++) truth.push(bruteForceTopK(vectors, n, dim, row(queries, dim, q), K));
  const trng = new Rng(5);
  const qtext = truth.map((t) => queryTerms(vocab, ranks[t[0] as number] as Uint16Array, trng));
  progress(started, 'data generated');

  const { dir, cleanup } = tempDir('semantic-matrix');
  const factories: Record<string, () => Promise<Contender>> = {
    sqlite: () => sqliteContender(dir),
    postgres: () => postgresContender(dir, dim),
    qdrant: () => qdrantContender(dir),
    http: () => httpContender(dir),
  };
  const shape = `${n / 1000}k×${dim}`;
  const bruteEngine = `JS Float32Array dot product, Node ${process.version}`;
  try {
    for (const name of wanted) {
      const factory = factories[name];
      if (!factory) throw new Error(`unknown backend "${name}" in BENCH_BACKENDS`);
      const c = await factory();
      const exact = registeredBackends().find((d) => d.name === name)?.semantic?.capabilities.vectorSearch === 'exact';
      const mem = await MemorySubstrate.open(c.config, { env: c.env ?? {} });
      try {
        const ids: string[] = [];
        const t0 = performance.now();
        const size = c.batch ?? BATCH;
        for (let start = 0; start < n; start += size) {
          ids.push(...(await mem.semantic.rememberMany(memoryBatch(AGENT, texts, vectors, dim, start, start + size))));
          if (start === 0) await c.beforeBulk?.();
        }
        await c.afterBulk?.();
        const loadRate = n / ((performance.now() - t0) / 1000);
        progress(started, `${name}: loaded (${Math.round(loadRate)} rows/s)`);

        const recallAt10 = await vectorRecallAtK((embedding) => mem.semantic.recall({ agentId: AGENT, embedding, mode: 'vector', limit: K }), ids, queries, dim, truth, K);
        const stats = await compareLatency(
          [
            { name: 'vector', op: (q) => mem.semantic.recall({ agentId: AGENT, embedding: row(queries, dim, q), mode: 'vector', limit: K }) },
            { name: 'keyword', op: (q) => mem.semantic.recall({ agentId: AGENT, text: qtext[q] as string, mode: 'keyword', limit: K }) },
            { name: 'hybrid', op: (q) => mem.semantic.recall({ agentId: AGENT, embedding: row(queries, dim, q), text: qtext[q] as string, mode: 'hybrid', limit: K }) },
            { name: 'brute', op: (q) => bruteForceTopK(vectors, n, dim, row(queries, dim, q), K) },
          ],
          { count: nq, runs, warmup: 1 },
        );
        const get = (s: string) => stats.get(s) as NonNullable<ReturnType<typeof stats.get>>;
        const brute = get('brute');
        for (const [metric, s] of stats) console.log(`    ${name.padEnd(8)} ${metric.padEnd(8)} p50 ${s.p50.toFixed(2)} ms  p95 ${s.p95.toFixed(2)} ms`);
        const engine = `${name}: ${c.engine}`;
        const baseline = { name: 'JS brute p50', value: brute.p50 };
        results.push(
          { bench: 'semantic-matrix', metric: `${name} vector p50 (${shape})`, measured: get('vector').p50, unit: 'ms', baseline, engine: `${engine}; baseline ${bruteEngine}` },
          { bench: 'semantic-matrix', metric: `${name} keyword p50`, measured: get('keyword').p50, unit: 'ms', baseline, engine },
          { bench: 'semantic-matrix', metric: `${name} hybrid p50`, measured: get('hybrid').p50, unit: 'ms', baseline, engine },
          {
            bench: 'semantic-matrix',
            metric: `${name} recall@${K} vector vs exact truth`,
            measured: recallAt10,
            unit: '',
            target: { on: 'value', op: '>=', value: exact ? 1 : 0.95 },
            engine,
          },
          { bench: 'semantic-matrix', metric: `${name} load via rememberMany (${size}/batch)`, measured: loadRate, unit: 'rows/s', engine },
        );
      } finally {
        await mem.close();
        await c.cleanup();
      }
    }
  } finally {
    cleanup();
  }
}
