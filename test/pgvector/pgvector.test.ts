/**
 * pgvector-specific behaviour of `semantic_backend = "postgres"` (the conformance suite covers the
 * contract in the `sqlite × postgres` and `postgres × postgres` cells): filtered ANN through the
 * HNSW index with an iterative scan, halfvec above 2,000 dimensions, the missing-extension error,
 * hybrid recall as one SQL statement, concurrent first opens. Runs on the PostgreSQL server when it
 * offers `vector`, else on PGlite + pgvector (test/harness/pglite-server.ts). The missing-extension
 * test always targets the plain PostgreSQL test server, and is skipped (saying so in its title) only
 * when that server offers `vector`.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { postgresMigrations } from '../../migrations/postgres/index.js';
import { HNSW_INDEX, searchSettings, semanticTables, vectorSearchSql } from '../../src/backends/postgres/postgres-semantic-sql.js';
import { openPostgresSemanticBackend } from '../../src/backends/postgres/postgres-semantic-backend.js';
import type { PostgresOptions } from '../../src/backends/postgres/postgres-options.js';
import type { FusedHit } from '../../src/contracts/semantic-backend.js';
import type { MemoryFilter, RecalledMemory, RememberInput } from '../../src/contracts/semantic-store.js';
import { parseMemoryFilter } from '../../src/core/filter-parse.js';
import { defaultLogger } from '../../src/core/logger.js';
import { Validator } from '../../src/core/validate.js';
import { reciprocalRankFusion, RRF_K } from '../../src/core/rrf.js';
import { loadConfig, MemorySubstrate, type MemoryConfigInput } from '../../src/index.js';
import { rng } from '../../src/testing/vectors.js';
import { tempDir } from '../harness/cells/sqlite.js';
import { adminQuery, pgvectorTarget } from '../harness/pglite-server.js';
import { TEST_PG_URL } from '../harness/pg-tools.js';

function unitVectors(n: number, dim: number, seed: number): Float32Array[] {
  const next = rng(seed);
  return Array.from({ length: n }, () => {
    const v = Float32Array.from({ length: dim }, () => next() * 2 - 1);
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

interface Opened {
  mem: MemorySubstrate;
  schema: string;
  url: string;
  config: MemoryConfigInput;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

/** A substrate with SQLite main and pgvector semantic memory on a fresh schema (dropped after the test). */
async function openPgvector(config: Partial<MemoryConfigInput> = {}): Promise<Opened> {
  const target = await pgvectorTarget();
  const dir = tempDir();
  const schema = `mst_${randomBytes(6).toString('hex')}`;
  const full: MemoryConfigInput = {
    backend: 'sqlite',
    sqlitePath: join(dir, 'main.db'),
    auditAnchorPath: join(dir, 'anchor'),
    semanticBackend: 'postgres',
    semanticPostgresUrl: target.url,
    postgresSchema: schema,
    postgresPoolSize: 2,
    ...config,
  };
  const opened: MemorySubstrate[] = [];
  cleanups.push(async () => {
    for (const m of opened) await m.close().catch(() => {});
    await adminQuery(target.url, `drop schema if exists "${schema}" cascade`);
    rmSync(dir, { recursive: true, force: true });
  });
  const mem = await MemorySubstrate.open(full, { env: {} });
  opened.push(mem);
  return { mem, schema, url: target.url, config: full };
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

describe('pgvector semantic backend', () => {
  afterAll(async () => {
    const target = await pgvectorTarget();
    console.log(`pgvector tests ran on: ${target.engine}`);
  });

  it('filtered ANN through the HNSW index returns k rows when at least k match (iterative scan)', async () => {
    const { mem, schema, url } = await openPgvector();
    const dim = 16;
    const n = 2000;
    const vectors = unitVectors(n, dim, 7);
    // One in five is an `inference`: 400 match the filter, k = 50.
    const inputs: RememberInput[] = vectors.map((v, i) => ({
      agentId: `agent-${i % 3}`,
      content: `memory ${i}`,
      source: i % 5 === 0 ? 'inference' : 'observation',
      embedding: Array.from(v),
    }));
    const ids = await mem.semantic.rememberMany(inputs);
    const [query] = unitVectors(1, dim, 99) as [Float32Array];
    const k = 50;
    const exact = ids
      .map((id, i) => ({ id, i, score: dot(vectors[i] as Float32Array, query) }))
      .filter((r) => r.i % 5 === 0)
      .sort((a, b) => b.score - a.score)
      .slice(0, k)
      .map((r) => r.id);

    // Through the public API (the planner picks the path): k rows, all matching, best first.
    const recalled = await mem.semantic.recall({ allAgents: true, embedding: Array.from(query), mode: 'vector', filter: { source: 'inference' }, limit: k });
    expect(recalled).toHaveLength(k);
    expect(recalled.every((r) => r.memory.source === 'inference')).toBe(true);
    for (let i = 1; i < recalled.length; i++) expect((recalled[i - 1] as RecalledMemory).score).toBeGreaterThanOrEqual((recalled[i] as RecalledMemory).score);

    // The backend's own statement and settings, with the planner kept on the HNSW index (on a table
    // this small it would otherwise scan exactly).
    const statement = vectorSearchSql(semanticTables(schema), 'vector', { agentId: undefined, filter: parseMemoryFilter(new Validator('postgres'), { source: 'inference' }), k, now: Date.now() }, query);
    const run = (settings: string) =>
      withClient(url, async (c) => {
        await c.query('begin');
        try {
          await c.query(`${settings}; set local enable_seqscan = off; set local enable_bitmapscan = off`);
          const plan = (await c.query(`explain ${statement.text}`, statement.values)).rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
          const rows = (await c.query<{ id: string }>(statement.text, statement.values)).rows.map((r) => r.id);
          return { plan, rows };
        } finally {
          await c.query('rollback');
        }
      });
    const withIterative = await run(searchSettings(k, true));
    expect(withIterative.plan).toContain(HNSW_INDEX);
    expect(withIterative.rows).toHaveLength(k);
    const found = withIterative.rows.filter((id) => exact.includes(id)).length;
    expect(found / k).toBeGreaterThanOrEqual(0.9);

    // Control: without the iterative scan the index stops at ef_search candidates, most filtered out.
    const without = await run('set local hnsw.ef_search = 40; set local hnsw.iterative_scan = off');
    expect(without.plan).toContain(HNSW_INDEX);
    expect(without.rows.length).toBeLessThan(k);
  }, 60_000);

  it('stores vectors above 2,000 dimensions as halfvec with an HNSW halfvec_cosine_ops index; 2,000 stay vector', async () => {
    const dim = 2048;
    const { mem, schema, url } = await openPgvector();
    const vectors = unitVectors(12, dim, 3);
    const ids = await mem.semantic.rememberMany(vectors.map((v, i) => ({ agentId: 'A', content: `wide ${i}`, embedding: Array.from(v) })));
    const columnType = (s: string) =>
      withClient(url, async (c) => {
        const { rows } = await c.query<{ type: string }>(
          `select format_type(atttypid, atttypmod) as type from pg_attribute where attrelid = '"${s}".memories'::regclass and attname = 'embedding' and not attisdropped`,
        );
        const index = await c.query<{ def: string }>('select indexdef as def from pg_indexes where schemaname = $1 and indexname = $2', [s, HNSW_INDEX]);
        return { type: rows[0]?.type, index: index.rows[0]?.def ?? '' };
      });
    const wide = await columnType(schema);
    expect(wide.type).toBe(`halfvec(${dim})`);
    expect(wide.index).toMatch(/using hnsw \(embedding halfvec_cosine_ops\)/i);
    expect(wide.index).toMatch(/m='?16'?, ef_construction='?64'?/i);

    // Recall is right at half precision: each stored vector finds itself first.
    for (const i of [0, 5, 11]) {
      const [top] = await mem.semantic.recall({ agentId: 'A', embedding: Array.from(vectors[i] as Float32Array), mode: 'vector', limit: 3 });
      expect(top?.memory.id).toBe(ids[i]);
      expect(top?.score).toBeCloseTo(1, 2);
    }
    const record = await mem.semantic.get(ids[0] as string);
    expect(record?.embedding).toHaveLength(dim);
    expect(record?.embedding?.[7]).toBeCloseTo((vectors[0] as Float32Array)[7] as number, 3);

    const narrow = await openPgvector();
    await narrow.mem.semantic.remember({ agentId: 'A', content: 'narrow', embedding: Array.from((unitVectors(1, 2000, 4)[0] as Float32Array)) });
    const n2000 = await columnType(narrow.schema);
    expect(n2000.type).toBe('vector(2000)');
    expect(n2000.index).toMatch(/vector_cosine_ops/);
  }, 60_000);

  it('hybrid search is ONE SQL statement (vector CTE + keyword CTE) whose fusion equals core RRF of the two searches', async () => {
    const { mem, config } = await openPgvector();
    await mem.close();
    // The backend itself, on the same schema: hybridSearch is what core calls instead of fusing.
    const resolved = await loadConfig(config, { env: {} });
    const backend = await openPostgresSemanticBackend(resolved.backendOptions['postgres'] as PostgresOptions, {
      clock: () => Date.now(),
      logger: defaultLogger(),
      env: {},
      embedder: undefined,
      settings: { embeddingDimensions: undefined, decayRate: resolved.decayRate },
    });
    cleanups.push(() => backend.close());
    expect(typeof backend.hybridSearch).toBe('function');
    const dim = 8;
    const vectors = unitVectors(300, dim, 11);
    const words = ['amber', 'basalt', 'cobalt', 'dune', 'ember', 'fjord', 'granite', 'harbor'];
    await backend.fixVectorSpace({ dimensions: dim, embedderId: 'caller' });
    await backend.insert(
      vectors.map((v, i) => ({
        id: `m-${String(i).padStart(4, '0')}`,
        agentId: i % 7 === 0 ? 'B' : 'A',
        content: `${words[i % 8]} ${words[(i * 3) % 8]} note ${i}${i % 5 === 0 ? ' cobalt' : ''}`,
        source: 'observation',
        scope: i % 4 === 0 ? 'work' : 'home',
        metadata: { n: i % 3 },
        confidence: 1,
        createdAt: 1_000 + i,
        embedding: v,
        key: undefined,
        expiresAt: undefined,
        dedupe: false,
      })),
      Date.now(),
    );
    const [q] = unitVectors(1, dim, 12) as [Float32Array];
    const text = 'cobalt fjord';

    const ast = (filter: MemoryFilter) => parseMemoryFilter(new Validator('postgres'), filter);
    for (const scope of [
      { agentId: 'A', filter: ast({ scope: 'home' }), k: 50, now: Date.now() },
      { agentId: undefined, filter: ast({}), k: 20, now: Date.now() },
      { agentId: 'A', filter: ast({ metadata: { n: 1 }, after: 1_050 }), k: 30, now: Date.now() },
    ]) {
      // Log every statement the pg driver sends during one hybrid search.
      const seen: string[] = [];
      const original = pg.Client.prototype.query;
      pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
        const first = args[0];
        seen.push(typeof first === 'string' ? first : String((first as { text?: string } | undefined)?.text ?? ''));
        return (original as (...a: unknown[]) => unknown).apply(this, args);
      } as typeof original;
      let hybrid: FusedHit[];
      try {
        hybrid = await (backend.hybridSearch as NonNullable<typeof backend.hybridSearch>)(scope, q, text, RRF_K);
      } finally {
        pg.Client.prototype.query = original;
      }
      const searches = seen.filter((sql) => sql.includes('<=>') || sql.includes('sum(mt.weight'));
      expect(searches).toHaveLength(1);
      expect(searches[0]).toMatch(/full outer join/i);
      expect(searches[0]).toContain('<=>');
      expect(searches[0]).toContain('sum(mt.weight');
      // Before it, one statement counts the agent's keyword statistics (N and df), index-only.
      expect(seen.filter((sql) => sql.includes('memory_agent_counts') && sql.includes('union all'))).toHaveLength(1);
      expect(seen.some((sql) => /set local hnsw\.ef_search = 100; set local hnsw\.iterative_scan = relaxed_order/i.test(sql))).toBe(true);

      // Core's fusion of the two single-signal searches gives the same hits, ranks and scores.
      const fused = reciprocalRankFusion(await backend.vectorSearch(scope, q), await backend.keywordSearch(scope, text)).slice(0, scope.k);
      expect(hybrid.map((h) => h.id)).toEqual(fused.map((h) => h.id));
      hybrid.forEach((h, i) => {
        const f = fused[i] as FusedHit;
        expect(h.score).toBeCloseTo(f.score, 12);
        expect(h.vectorRank).toBe(f.vectorRank);
        expect(h.keywordRank).toBe(f.keywordRank);
        if (f.vectorScore !== undefined) expect(h.vectorScore).toBeCloseTo(f.vectorScore, 6);
        if (f.keywordScore !== undefined) expect(h.keywordScore).toBeCloseTo(f.keywordScore, 6);
      });
      expect(hybrid.some((h) => h.vectorRank !== undefined && h.keywordRank !== undefined)).toBe(true);
    }
  }, 60_000);

  it('the HNSW parameters are settings: m and ef_construction shape the index (and a re-embedding\'s), ef_search each query; a bad pair is CONFIG_INVALID', async () => {
    const own = `mst_${randomBytes(6).toString('hex')}`;
    const target = await pgvectorTarget();
    cleanups.push(() => adminQuery(target.url, `drop schema if exists "${own}" cascade`).then(() => {}));
    // The [memory.postgres] table instead of the flat keys openPgvector sets.
    const { mem, url } = await openPgvector({ postgresSchema: undefined, semanticPostgresUrl: undefined, postgresPoolSize: undefined, postgres: { semanticUrl: target.url, schema: own, poolSize: 2, hnswM: 8, hnswEfConstruction: 32, hnswEfSearch: 40 } } as Partial<MemoryConfigInput>);
    await mem.semantic.remember({ agentId: 'a', content: 'x', embedding: [1, 0, 0] });
    const options = async () =>
      withClient(url, async (c) =>
        (await c.query<{ name: string; opts: string[] }>("select c.relname as name, c.reloptions as opts from pg_class c where c.relname like 'memories_embedding%hnsw' and c.relnamespace = $1::regnamespace order by 1", [own])).rows,
      );
    expect(await options()).toEqual([{ name: HNSW_INDEX, opts: ['m=8', 'ef_construction=32'] }]);
    // ef_search: max(setting, k), at most 1,000.
    expect(searchSettings(10, true, 40)).toContain('hnsw.ef_search = 40');
    expect(searchSettings(64, true, 40)).toContain('hnsw.ef_search = 64');
    expect(searchSettings(5000, true, 40)).toContain('hnsw.ef_search = 1000');
    expect((await mem.semantic.recall({ agentId: 'a', embedding: [1, 0, 0], mode: 'vector', limit: 1 }))[0]?.score).toBeCloseTo(1, 5);
    // A re-embedding's pending space gets an index of the same shape.
    const stop = new AbortController();
    await mem.reembed({ embedder: { id: 'test:4', dimensions: 4, embed: async (t: readonly string[]) => t.map(() => new Float32Array([0, 1, 0, 0])) }, signal: stop.signal, onProgress: () => stop.abort() }).catch(() => {});
    expect(await options()).toEqual([
      { name: 'memories_embedding_hnsw', opts: ['m=8', 'ef_construction=32'] },
      { name: 'memories_embedding_pending_hnsw', opts: ['m=8', 'ef_construction=32'] },
    ]);
    await expect(loadConfig({ backend: 'sqlite', semanticBackend: 'postgres', postgres: { url: 'postgres://h/db', hnswM: 40, hnswEfConstruction: 64 } } as MemoryConfigInput, { env: {} })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('at least 2 × hnsw_m'),
    });
  });

  it('two substrates opening an empty schema at once both succeed (migrations applied once)', async () => {
    const first = await openPgvector();
    await first.mem.close();
    const schema = `mst_${randomBytes(6).toString('hex')}`;
    const dirs = [tempDir(), tempDir()];
    const configs = dirs.map((dir) => ({ ...first.config, postgresSchema: schema, sqlitePath: join(dir, 'main.db'), auditAnchorPath: join(dir, 'anchor') }));
    cleanups.push(async () => {
      await adminQuery(first.url, `drop schema if exists "${schema}" cascade`);
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    });
    const [a, b] = await Promise.all(configs.map((c) => MemorySubstrate.open(c, { env: {} })));
    try {
      const id = await (a as MemorySubstrate).semantic.remember({ agentId: 'A', content: 'shared pelican', embedding: [1, 0, 0] });
      expect((await (b as MemorySubstrate).semantic.recall({ agentId: 'A', text: 'pelican' })).map((r) => r.memory.id)).toEqual([id]);
      const migrations = await withClient(first.url, async (c) => (await c.query(`select count(*)::int as n from "${schema}".kysely_migration`)).rows[0] as { n: number });
      expect(migrations.n).toBe(Object.keys(postgresMigrations).length);
    } finally {
      await a?.close();
      await b?.close();
    }
  }, 60_000);
});

/**
 * Whether the plain PostgreSQL test server (TEST_PG_URL) offers the `vector` extension, decided before
 * the test is declared. An unreachable server counts as "no": the test then runs and fails on it.
 */
async function testServerOffersVector(): Promise<boolean> {
  try {
    return await withClient(TEST_PG_URL, async (c) => ((await c.query("select 1 from pg_available_extensions where name = 'vector'")).rowCount ?? 0) > 0);
  } catch {
    return false;
  }
}
const serverOffersVector = await testServerOffersVector();

describe('pgvector on a server without the vector extension', () => {
  const title = 'fails open with BACKEND_UNAVAILABLE naming the missing "vector" extension, the URL redacted, nothing created';
  it.skipIf(serverOffersVector)(
    serverOffersVector ? `${title} (skipped: the PostgreSQL test server ${new URL(TEST_PG_URL).host} offers the vector extension, so there is no server without it to point at)` : title,
    async () => {
      const server = new URL(TEST_PG_URL);
      server.username = server.username || 'postgres';
      server.password = 'not-the-password-4242';
      const dir = tempDir();
      const schema = `mst_${randomBytes(6).toString('hex')}`;
      try {
        // The premise: this server really lacks the extension.
        const available = await withClient(TEST_PG_URL, async (c) => (await c.query("select 1 from pg_available_extensions where name = 'vector'")).rowCount);
        expect(available).toBe(0);
        const error = await MemorySubstrate.open(
          { sqlitePath: join(dir, 'main.db'), auditAnchorPath: join(dir, 'anchor'), semanticBackend: 'postgres', semanticPostgresUrl: server.toString(), postgresSchema: schema },
          { env: {} },
        ).catch((e: unknown) => e);
        expect(error).toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
        const message = (error as Error).message;
        expect(message).toMatch(/"vector" extension/);
        expect(message).not.toContain('not-the-password-4242');
        const schemas = await withClient(TEST_PG_URL, async (c) => (await c.query('select 1 from pg_namespace where nspname = $1', [schema])).rowCount);
        expect(schemas).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
