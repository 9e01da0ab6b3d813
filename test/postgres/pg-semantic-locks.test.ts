/**
 * Row locks of semantic memory on the real PostgreSQL server, with several real connections (PGlite,
 * where the pgvector cells run here, is one session and cannot show a deadlock). The vector
 * extension is not needed: access bumps and duplicate merges touch the `memories` rows only, which
 * the migrations create on any server.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { postgresMigrations } from '../../migrations/postgres/index.js';
import { PostgresEngine } from '../../src/backends/postgres/postgres-engine.js';
import { PostgresSemanticBackend } from '../../src/backends/postgres/postgres-semantic-backend.js';
import type { NewMemoryRow } from '../../src/contracts/semantic-backend.js';
import { newId } from '../../src/core/ids.js';
import { dropSchema, freshSchemaName, TEST_PG_URL, withPgClient } from '../harness/pg-tools.js';

const schema = freshSchemaName();
const engines: PostgresEngine[] = [];
const silent = { debug() {}, info() {}, warn() {}, error() {} } as never;

afterAll(async () => {
  for (const e of engines) await e.close().catch(() => {});
  await dropSchema(schema);
});

async function backend(): Promise<PostgresSemanticBackend> {
  const engine = await PostgresEngine.open({ url: TEST_PG_URL, poolSize: 2, schema, backendName: 'semantic:postgres' });
  engines.push(engine);
  await engine.migrate(postgresMigrations);
  // No vectors are stored here, so no pgvector: the extension record only feeds search settings.
  return PostgresSemanticBackend.open(engine, { logger: silent, extension: { version: 'none', iterativeScan: false }, redactedUrl: 'test' });
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

async function seed(b: PostgresSemanticBackend, count: number, distinct: number, prefix: string): Promise<string[]> {
  const rows: NewMemoryRow[] = Array.from({ length: count }, (_, i) => ({
    id: newId(),
    agentId: 'A',
    content: `${prefix} ${i % distinct}`,
    source: 'observation',
    scope: 'episodic',
    metadata: {},
    confidence: 1,
    createdAt: 1000 + i,
    embedding: undefined,
    key: undefined,
    expiresAt: undefined,
    dedupe: false,
  }));
  await b.insert(rows, Date.now());
  return rows.map((r) => r.id);
}

/** Each backend bumps `rounds` batches of 60 ids (10 of them twice), each batch in its own order. */
function bumpAll(backends: PostgresSemanticBackend[], ids: string[], rounds: number, expected: Map<string, number>): Promise<unknown>[] {
  return backends.map(async (b, w) => {
    for (let r = 0; r < rounds; r++) {
      const batch = shuffled(ids, w * 1000 + r + 1).slice(0, 50);
      batch.push(...batch.slice(0, 10));
      for (const id of batch) expected.set(id, (expected.get(id) ?? 0) + 1);
      await b.touch(batch, 5000 + r);
    }
  });
}

function rejections(results: PromiseSettledResult<unknown>[]): string[] {
  return results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => String((r.reason as Error).message));
}

describe('pgvector semantic rows under concurrent writers (real PostgreSQL server, 6 backends × 2 connections)', () => {
  it('access bumps from many connections, in different orders, never deadlock and count every access exactly', async () => {
    const backends = await Promise.all(Array.from({ length: 6 }, () => backend()));
    const ids = await seed(backends[0] as PostgresSemanticBackend, 100, 100, 'bumped');
    const expected = new Map<string, number>();
    expect(rejections(await Promise.allSettled(bumpAll(backends, ids, 25, expected)))).toEqual([]);
    const rows = await withPgClient(schema, (c) => c.query<{ id: string; access_count: string }>('select id, access_count from memories where id = any($1)', [ids]));
    expect(new Map(rows.rows.map((r) => [r.id, Number(r.access_count)]))).toEqual(new Map(ids.map((id) => [id, expected.get(id) ?? 0])));
  }, 60_000);

  it('duplicate merges and decay beside the bumps never deadlock either', async () => {
    const backends = await Promise.all(Array.from({ length: 6 }, () => backend()));
    const first = backends[0] as PostgresSemanticBackend;
    const ids = await seed(first, 120, 60, 'merged'); // 60 exact duplicate pairs
    const work = bumpAll(backends, ids, 15, new Map());
    work.push(first.mergeExactDuplicates({ dryRun: false, now: Date.now() }));
    work.push((backends[1] as PostgresSemanticBackend).decay({ accessedBefore: 10_000, factor: 0.9, floor: 0.1, dryRun: false, now: Date.now() }));
    expect(rejections(await Promise.allSettled(work))).toEqual([]);
    const merged = await withPgClient(schema, (c) => c.query('select 1 from memories where id = any($1) and superseded_by is not null', [ids]));
    expect(merged.rowCount).toBe(60);
  }, 60_000);
});
