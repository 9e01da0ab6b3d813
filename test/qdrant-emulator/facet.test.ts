import { describe, expect, it } from 'vitest';
import { failure, uniqueName, useEmulator } from './fixture.js';

/** POST /collections/:name/facet, as Qdrant 1.12+ answers it (points::facet; FacetValueHit order). */
describe('qdrant emulator: facet', () => {
  const f = useEmulator();

  it('counts matching points per value of an indexed keyword: count descending, then value; an array counts once per point', async () => {
    const name = uniqueName();
    await f.client.createCollection(name, {});
    await f.client.createPayloadIndex(name, { field_name: 'agent', field_schema: 'keyword', wait: true });
    const agents = ['b', 'a', 'c', 'b', 'a', 'd', ['e', 'e'], 'c'];
    await f.client.upsert(name, { wait: true, points: agents.map((agent, i) => ({ id: i + 1, vector: {}, payload: { agent, keep: i !== 7 } })) });
    const all = await f.client.facet(name, { key: 'agent', limit: 100, exact: true });
    expect(all.hits).toEqual([
      { value: 'a', count: 2 },
      { value: 'b', count: 2 },
      { value: 'c', count: 2 },
      { value: 'd', count: 1 },
      { value: 'e', count: 1 },
    ]);
    expect((await f.client.facet(name, { key: 'agent' })).hits).toHaveLength(5); // default limit 10
    expect((await f.client.facet(name, { key: 'agent', limit: 2 })).hits).toEqual([{ value: 'a', count: 2 }, { value: 'b', count: 2 }]);
    const filtered = await f.client.facet(name, { key: 'agent', limit: 10, filter: { must: [{ key: 'keep', match: { value: true } }] } });
    expect(filtered.hits[0]).toEqual({ value: 'a', count: 2 });
    expect(filtered.hits.find((h) => h.value === 'c')).toEqual({ value: 'c', count: 1 });
  });

  it('a key without a keyword, integer or bool index is a bad request', async () => {
    const name = uniqueName();
    await f.client.createCollection(name, {});
    const error = await failure(f.client.facet(name, { key: 'agent' }));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/Index required but not found for "agent"/);
  });
});
