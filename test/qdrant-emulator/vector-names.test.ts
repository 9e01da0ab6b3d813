import { describe, expect, it } from 'vitest';
import { failure, uniqueName, useEmulator } from './fixture.js';

/**
 * What a re-embedding on Qdrant relies on (src/backends/qdrant/qdrant-vector-slots.ts), as real
 * Qdrant does it: conditional vector updates (segments_updater.rs update_vectors_conditional: points
 * not matching `update_filter` are left out, a missing point is still "not found"), has_vector in
 * must_not, named vectors added and removed on a collection with points, and metadata merged key by
 * key (Payload::merge / merge_map: a top-level value replaced whole, never deep-merged).
 */
describe('qdrant emulator: vector names and conditional vector updates', () => {
  const f = useEmulator();

  async function collectionWithPoints(): Promise<string> {
    const name = uniqueName('vn');
    await f.client.createCollection(name, { vectors: { dense: { size: 2, distance: 'Cosine' } } });
    await f.client.upsert(name, {
      points: [
        { id: 1, vector: { dense: [1, 0] }, payload: { content: 'one' } },
        { id: 2, vector: { dense: [0, 1] }, payload: { content: 'two' } },
        { id: 3, vector: { dense: [1, 1] }, payload: { content: 'three', merged: 'x' } },
      ],
    });
    await f.client.createVectorName(name, 'dense_2', { dense: { size: 3, distance: 'Cosine' } });
    return name;
  }

  // QdrantClient 1.18 updateVectors does not forward `update_filter`: the endpoint is called raw, and through batchUpdate (which memstrate uses).
  it('update_vectors with update_filter writes only the points matching it, keeping their other vectors', async () => {
    const name = await collectionWithPoints();
    const res = await f.raw('PUT', `/collections/${name}/points/vectors?wait=true`, {
      points: [
        { id: 1, vector: { dense_2: [0, 0, 1] } },
        { id: 2, vector: { dense_2: [0, 1, 0] } },
      ],
      update_filter: { must: [{ key: 'content', match: { value: 'one' } }] },
    });
    expect(res.status).toBe(200);
    const points = await f.client.retrieve(name, { ids: [1, 2], with_payload: false, with_vector: true });
    expect(points.find((p) => p.id === 1)?.vector).toEqual({ dense: [1, 0], dense_2: [0, 0, 1] });
    expect(points.find((p) => p.id === 2)?.vector).toEqual({ dense: [0, 1] });
  });

  it('in a batch, each update_vectors operation applies its own update_filter', async () => {
    const name = await collectionWithPoints();
    const guarded = (id: number, content: string, vector: number[]) => ({
      update_vectors: { points: [{ id, vector: { dense_2: vector } }], update_filter: { must: [{ key: 'content', match: { value: content } }, { is_empty: { key: 'merged' } }] } },
    });
    await f.client.batchUpdate(name, { operations: [guarded(1, 'one', [1, 0, 0]), guarded(2, 'stale', [0, 1, 0]), guarded(3, 'three', [0, 0, 1])], wait: true });
    const points = await f.client.retrieve(name, { ids: [1, 2, 3], with_payload: false, with_vector: ['dense_2'] });
    expect(points.map((p) => [p.id, p.vector])).toEqual([
      [1, { dense_2: [1, 0, 0] }],
      [2, {}],
      [3, {}],
    ]);
  });

  it('update_vectors with update_filter on a missing point is still a 404', async () => {
    const name = await collectionWithPoints();
    const res = await failure(
      f.client.batchUpdate(name, {
        operations: [{ update_vectors: { points: [{ id: 9, vector: { dense_2: [1, 0, 0] } }], update_filter: { must: [{ key: 'content', match: { value: 'one' } }] } } }],
      }),
    );
    expect(res).toEqual({ status: 404, message: 'Not found: No point with id 9 found' });
  });

  it('has_vector in must_not counts and scrolls the points lacking a named vector; an upsert drops vectors it does not carry', async () => {
    const name = await collectionWithPoints();
    await f.client.updateVectors(name, { points: [{ id: 2, vector: { dense_2: [0, 1, 0] } }] });
    const lacking = { must: [{ is_empty: { key: 'merged' } }], must_not: [{ has_vector: 'dense_2' }] };
    expect((await f.client.count(name, { filter: lacking, exact: true })).count).toBe(1);
    // Replacing point 2 whole (as a change of content does) drops its dense_2 vector.
    await f.client.upsert(name, { points: [{ id: 2, vector: { dense: [0, 1] }, payload: { content: 'changed' } }] });
    const page = await f.client.scroll(name, { filter: lacking, with_payload: false, offset: 2 });
    expect(page.points.map((p) => p.id)).toEqual([2]);
    expect((await f.client.count(name, { filter: lacking, exact: true })).count).toBe(2);
  });

  it('deleting a vector name removes it from every point; deleting an absent name changes nothing', async () => {
    const name = await collectionWithPoints();
    await f.client.updateVectors(name, { points: [{ id: 1, vector: { dense_2: [0, 0, 1] } }] });
    await f.client.deleteVectorName(name, 'dense');
    const [point] = await f.client.retrieve(name, { ids: [1], with_vector: true, with_payload: false });
    expect(point?.vector).toEqual({ dense_2: [0, 0, 1] });
    await f.client.deleteVectorName(name, 'dense_7');
    expect((await f.client.getCollection(name)).config.params.vectors).toEqual({ dense_2: { size: 3, distance: 'Cosine' } });
    // The name may be created again, empty.
    await f.client.createVectorName(name, 'dense', { dense: { size: 4, distance: 'Cosine' } });
    const [again] = await f.client.retrieve(name, { ids: [1], with_vector: ['dense'], with_payload: false });
    expect(again?.vector).toEqual({});
  });

  it('a metadata update replaces a top-level object value whole (no deep merge)', async () => {
    const name = uniqueName('vn');
    await f.raw('PUT', `/collections/${name}`, { metadata: { memstrate: { vector_dimensions: 8, pending: { name: 'dense_2' } }, format: 1 } });
    await f.client.updateCollection(name, { metadata: { memstrate: { vector_dimensions: 16, vector_name: 'dense_2' } } });
    expect((await f.client.getCollection(name)).config.metadata).toEqual({ memstrate: { vector_dimensions: 16, vector_name: 'dense_2' }, format: 1 });
    await f.client.updateCollection(name, { metadata: { memstrate: {} } });
    expect((await f.client.getCollection(name)).config.metadata).toEqual({ memstrate: {}, format: 1 });
  });
});
