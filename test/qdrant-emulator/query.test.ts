import type { Schemas } from '@qdrant/js-client-rest';
import { beforeAll, describe, expect, it } from 'vitest';
import { failure, uniqueName, useEmulator } from './fixture.js';

/**
 * Four points; dense `d` (Cosine, 2 dims) and sparse `s` (idf).
 *   1: d [1, 0]     s {1: 1}         group a
 *   2: d [0.8, 0.6] s {1: 1, 2: 2}   group b
 *   3: d [0, 1]     s {3: 5}         group a
 *   4: d [0.6, 0.8] (no sparse)      group b
 */
const points: Schemas['PointStruct'][] = [
  { id: 1, vector: { d: [1, 0], s: { indices: [1], values: [1] } }, payload: { group: 'a' } },
  { id: 2, vector: { d: [0.8, 0.6], s: { indices: [1, 2], values: [1, 2] } }, payload: { group: 'b' } },
  { id: 3, vector: { d: [0, 1], s: { indices: [3], values: [5] } }, payload: { group: 'a' } },
  { id: 4, vector: { d: [0.6, 0.8] }, payload: { group: 'b' } },
];
const sparseQuery = { indices: [1, 2], values: [1, 1] };
const groupB: Schemas['Filter'] = { must: [{ key: 'group', match: { value: 'b' } }] };
const groupA: Schemas['Filter'] = { must: [{ key: 'group', match: { value: 'a' } }] };

const ids = (r: Schemas['QueryResponse']) => r.points.map((p) => p.id);
const scores = (r: Schemas['QueryResponse']) => r.points.map((p) => p.score);

describe('qdrant emulator: query', () => {
  const f = useEmulator();
  const name = uniqueName('query');

  beforeAll(async () => {
    await f.client.createCollection(name, { vectors: { d: { size: 2, distance: 'Cosine' } }, sparse_vectors: { s: { modifier: 'idf' } } });
    await f.client.upsert(name, { points });
  });

  it('dense search is exact cosine, best first', async () => {
    const r = await f.client.query(name, { query: [1, 0], using: 'd' });
    expect(ids(r)).toEqual([1, 2, 4, 3]);
    expect(scores(r).map((s) => Number(s.toFixed(5)))).toEqual([1, 0.8, 0.6, 0]);
  });

  it('accepts {nearest: vector}, limit and offset', async () => {
    const r = await f.client.query(name, { query: { nearest: [1, 0] }, using: 'd', limit: 2, offset: 1 });
    expect(ids(r)).toEqual([2, 4]);
  });

  it('score_threshold keeps cosine scores ≥ threshold', async () => {
    const r = await f.client.query(name, { query: [1, 0], using: 'd', score_threshold: 0.7 });
    expect(ids(r)).toEqual([1, 2]);
  });

  it('sparse search with idf: hand-computed scores; points without a shared index are not returned', async () => {
    // N = 3 points have `s`; df(1) = 2, df(2) = 1; idf = ln((N − df + 0.5) / (df + 0.5) + 1).
    const idf1 = Math.log((3 - 2 + 0.5) / (2 + 0.5) + 1);
    const idf2 = Math.log((3 - 1 + 0.5) / (1 + 0.5) + 1);
    const r = await f.client.query(name, { query: sparseQuery, using: 's' });
    expect(ids(r)).toEqual([2, 1]);
    expect(r.points[0]?.score).toBeCloseTo(idf1 * 1 + idf2 * 2, 5);
    expect(r.points[1]?.score).toBeCloseTo(idf1 * 1, 5);
  });

  it('RRF with the default k = 2: Σ 1 / (position + 2)', async () => {
    const r = await f.client.query(name, {
      prefetch: [
        { query: [0, 1], using: 'd' }, // 3, 4, 2, 1
        { query: sparseQuery, using: 's' }, // 2, 1
      ],
      query: { fusion: 'rrf' },
    });
    expect(ids(r)).toEqual([2, 1, 3, 4]);
    const expected = [1 / 4 + 1 / 2, 1 / 5 + 1 / 3, 1 / 2, 1 / 3];
    r.points.forEach((p, i) => expect(p.score).toBeCloseTo(expected[i] ?? NaN, 6));
  });

  it('nested prefetch: an inner RRF (k = 1, limit 2) rescored by an outer dense query', async () => {
    const r = await f.client.query(name, {
      prefetch: {
        prefetch: [
          { query: [0, 1], using: 'd' },
          { query: sparseQuery, using: 's' },
        ],
        query: { rrf: { k: 1 } }, // 2: 1/3 + 1, 3: 1, 1: 1/4 + 1/2, 4: 1/2 → keeps 2, 3
        limit: 2,
      },
      query: [1, 0],
      using: 'd',
    });
    expect(ids(r)).toEqual([2, 3]);
    expect(r.points[0]?.score).toBeCloseTo(0.8, 5);
    expect(r.points[1]?.score).toBeCloseTo(0, 5);
  });

  it('RRF weights: 1 / ((position + 1) / weight + k − 1)', async () => {
    const r = await f.client.query(name, {
      prefetch: [
        { query: [1, 0], using: 'd', limit: 1 }, // 1
        { query: [0, 1], using: 'd', limit: 1 }, // 3
      ],
      query: { rrf: { weights: [3, 1] } },
    });
    expect(ids(r)).toEqual([1, 3]);
    expect(r.points[0]?.score).toBeCloseTo(1 / (1 / 3 + 1), 6);
    expect(r.points[1]?.score).toBeCloseTo(1 / 2, 6);
  });

  it('a filter inside a prefetch applies to that prefetch only', async () => {
    const r = await f.client.query(name, {
      prefetch: [
        { query: [1, 0], using: 'd', filter: groupB }, // 2, 4
        { query: [1, 0], using: 'd' }, // 1, 2, 4, 3
      ],
      query: { fusion: 'rrf' },
    });
    expect(ids(r)).toEqual([2, 4, 1, 3]);
    const expected = [1 / 2 + 1 / 3, 1 / 3 + 1 / 4, 1 / 2, 1 / 5];
    r.points.forEach((p, i) => expect(p.score).toBeCloseTo(expected[i] ?? NaN, 6));
  });

  it('the top-level filter is merged into every prefetch, before their limits', async () => {
    const r = await f.client.query(name, {
      prefetch: [{ query: [1, 0], using: 'd', limit: 1 }],
      query: { fusion: 'rrf' },
      filter: groupB,
    });
    // Point 1 is best overall but in group a: the prefetch itself is filtered, so it yields 2.
    expect(ids(r)).toEqual([2]);
    const both = await f.client.query(name, {
      prefetch: [{ query: [1, 0], using: 'd', filter: groupA }],
      query: [0, 1],
      using: 'd',
      filter: groupB,
    });
    expect(ids(both)).toEqual([]);
  });

  it('RRF score_threshold keeps fused scores ≥ threshold', async () => {
    const r = await f.client.query(name, {
      prefetch: [{ query: [1, 0], using: 'd' }],
      query: { fusion: 'rrf' },
      score_threshold: 0.3,
    });
    expect(ids(r)).toEqual([1, 2]); // 1/2, 1/3, then 1/4 < 0.3
  });

  it('a point id as the query uses its vector and leaves the point out', async () => {
    const r = await f.client.query(name, { query: 1, using: 'd' });
    expect(ids(r)).toEqual([2, 4, 3]);
  });

  it('returns payload and vectors only when asked', async () => {
    const plain = await f.client.query(name, { query: [1, 0], using: 'd', limit: 1 });
    expect(plain.points[0]).toEqual({ id: 1, version: expect.any(Number), score: expect.any(Number) });
    const full = await f.client.query(name, { query: [1, 0], using: 'd', limit: 1, with_payload: true, with_vector: ['d'] });
    expect(full.points[0]).toMatchObject({ id: 1, payload: { group: 'a' }, vector: { d: [1, 0] } });
  });

  it('query/batch answers one result per search', async () => {
    const r = await f.client.queryBatch(name, {
      searches: [
        { query: [1, 0], using: 'd', limit: 1 },
        { query: sparseQuery, using: 's', limit: 1 },
      ],
    });
    expect(r.map(ids)).toEqual([[1], [2]]);
  });

  it('rejects fusion without prefetches and prefetches without a query', async () => {
    expect((await failure(f.client.query(name, { query: { fusion: 'rrf' } }))).status).toBe(400);
    expect(await failure(f.client.query(name, { prefetch: [{ query: [1, 0], using: 'd' }] }))).toEqual({
      status: 400,
      message: "Bad request: A query is needed to merge the prefetches. Can't have prefetches without defining a query.",
    });
  });
});

describe('qdrant emulator: query distances', () => {
  const f = useEmulator();

  it('Cosine vectors are stored normalised', async () => {
    const name = uniqueName();
    await f.client.createCollection(name, { vectors: { v: { size: 2, distance: 'Cosine' } } });
    await f.client.upsert(name, { points: [{ id: 1, vector: { v: [3, 4] } }] });
    const [point] = await f.client.retrieve(name, { ids: [1], with_vector: true });
    const v = (point?.vector as Record<string, number[]>).v ?? [];
    expect(v[0]).toBeCloseTo(0.6, 6);
    expect(v[1]).toBeCloseTo(0.8, 6);
    const r = await f.client.query(name, { query: [2, 0], using: 'v' });
    expect(r.points[0]?.score).toBeCloseTo(0.6, 6);
  });

  it('Euclid ranks the nearest first and scores the distance', async () => {
    const name = uniqueName();
    await f.client.createCollection(name, { vectors: { v: { size: 2, distance: 'Euclid' } } });
    await f.client.upsert(name, { points: [{ id: 1, vector: { v: [3, 4] } }, { id: 2, vector: { v: [0, 0] } }] });
    const r = await f.client.query(name, { query: [0, 0], using: 'v' });
    expect(ids(r)).toEqual([2, 1]);
    expect(scores(r)).toEqual([0, 5]);
  });

  it('sparse without a modifier is a plain dot product over shared indices', async () => {
    const name = uniqueName();
    await f.client.createCollection(name, { sparse_vectors: { s: {} } });
    await f.client.upsert(name, {
      points: [
        { id: 1, vector: { s: { indices: [1, 2], values: [0.5, 2] } } },
        { id: 2, vector: { s: { indices: [9], values: [1] } } },
      ],
    });
    const r = await f.client.query(name, { query: { indices: [2, 1], values: [3, 4] }, using: 's' });
    expect(ids(r)).toEqual([1]);
    expect(r.points[0]?.score).toBeCloseTo(2 * 3 + 0.5 * 4, 6);
  });
});
