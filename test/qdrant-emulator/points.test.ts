import { describe, expect, it } from 'vitest';
import { uniqueName, useEmulator } from './fixture.js';

describe('qdrant emulator: point writes', () => {
  const f = useEmulator();

  const collection = async () => {
    const name = uniqueName();
    await f.client.createCollection(name, { vectors: { d: { size: 2, distance: 'Dot' } }, sparse_vectors: { s: {} } });
    return name;
  };
  const one = async (name: string, id: number | string) => (await f.client.retrieve(name, { ids: [id], with_vector: true }))[0];

  it('upsert replaces the whole point; a point may omit any named vector; retrieve skips missing ids', async () => {
    const name = await collection();
    await f.client.upsert(name, { points: [{ id: 1, vector: { d: [1, 2], s: { indices: [3], values: [0.5] } }, payload: { a: 1 } }] });
    await f.client.upsert(name, { points: [{ id: 1, vector: { s: { indices: [4], values: [1] } }, payload: { b: 2 } }] });
    expect(await f.client.retrieve(name, { ids: [1, 99], with_vector: true })).toEqual([
      { id: 1, payload: { b: 2 }, vector: { s: { indices: [4], values: [1] } } },
    ]);
  });

  it('upsert accepts the batch form', async () => {
    const name = await collection();
    await f.client.upsert(name, { batch: { ids: [1, 2], vectors: { d: [[1, 0], [0, 1]] }, payloads: [{ n: 1 }, { n: 2 }] } });
    expect(await one(name, 2)).toEqual({ id: 2, payload: { n: 2 }, vector: { d: [0, 1] } });
  });

  it('set_payload merges top-level keys (null removes), by ids, by filter, or under a key', async () => {
    const name = await collection();
    await f.client.upsert(name, { points: [{ id: 1, vector: {}, payload: { a: 1, b: 2, o: { x: 1 } } }, { id: 2, vector: {}, payload: { a: 5 } }] });
    await f.client.setPayload(name, { points: [1], payload: { b: 3, c: 4, a: null } });
    expect((await one(name, 1))?.payload).toEqual({ b: 3, c: 4, o: { x: 1 } });
    await f.client.setPayload(name, { filter: { must: [{ key: 'a', match: { value: 5 } }] }, payload: { hit: true } });
    expect((await one(name, 2))?.payload).toEqual({ a: 5, hit: true });
    await f.client.setPayload(name, { points: [1], key: 'o', payload: { y: 2 } });
    expect((await one(name, 1))?.payload?.o).toEqual({ x: 1, y: 2 });
  });

  it('overwrite_payload replaces the payload', async () => {
    const name = await collection();
    await f.client.upsert(name, { points: [{ id: 1, vector: {}, payload: { a: 1 } }] });
    await f.client.overwritePayload(name, { points: [1], payload: { z: 9 } });
    expect((await one(name, 1))?.payload).toEqual({ z: 9 });
  });

  it('update_vectors replaces only the given vectors and keeps payload and the others', async () => {
    const name = await collection();
    await f.client.upsert(name, { points: [{ id: 1, vector: { d: [1, 2], s: { indices: [1], values: [1] } }, payload: { a: 1 } }] });
    await f.client.updateVectors(name, { points: [{ id: 1, vector: { d: [3, 4] } }] });
    expect(await one(name, 1)).toEqual({ id: 1, payload: { a: 1 }, vector: { d: [3, 4], s: { indices: [1], values: [1] } } });
  });

  it('delete_vectors removes the named vectors from selected points', async () => {
    const name = await collection();
    await f.client.upsert(name, { points: [{ id: 1, vector: { d: [1, 2], s: { indices: [1], values: [1] } } }] });
    await f.client.deleteVectors(name, { points: [1], vector: ['s'] });
    expect((await one(name, 1))?.vector).toEqual({ d: [1, 2] });
  });

  it('delete by ids and by filter', async () => {
    const name = await collection();
    await f.client.upsert(name, { points: [1, 2, 3].map((id) => ({ id, vector: {}, payload: { odd: id % 2 === 1 } })) });
    await f.client.delete(name, { points: [2, 42] });
    expect((await f.client.count(name, {})).count).toBe(2);
    await f.client.delete(name, { filter: { must: [{ key: 'odd', match: { value: true } }] } });
    expect((await f.client.count(name, {})).count).toBe(0);
  });

  it('batch applies its operations in order and answers one result per operation', async () => {
    const name = await collection();
    const results = await f.client.batchUpdate(name, {
      operations: [
        { upsert: { points: [{ id: 1, vector: { d: [1, 1] }, payload: { a: 1 } }, { id: 2, vector: {} }] } },
        { set_payload: { points: [1], payload: { b: 2 } } },
        { overwrite_payload: { points: [2], payload: { c: 3 } } },
        { update_vectors: { points: [{ id: 2, vector: { d: [0, 1] } }] } },
        { delete_vectors: { points: [1], vector: ['d'] } },
        { delete: { points: [3] } },
      ],
    });
    expect(results.map((r) => r.status)).toEqual(Array(6).fill('completed'));
    expect(await f.client.retrieve(name, { ids: [1, 2], with_vector: true })).toEqual([
      { id: 1, payload: { a: 1, b: 2 }, vector: {} },
      { id: 2, payload: { c: 3 }, vector: { d: [0, 1] } },
    ]);
  });

  it('points_count follows writes', async () => {
    const name = await collection();
    await f.client.upsert(name, { points: [{ id: 1, vector: {} }, { id: 2, vector: {} }] });
    expect((await f.client.getCollection(name)).points_count).toBe(2);
  });
});
