import { describe, expect, it } from 'vitest';
import { failure, uniqueName, useEmulator } from './fixture.js';

describe('qdrant emulator: collections', () => {
  const f = useEmulator();

  it('GET / answers the version without an envelope', async () => {
    const res = await f.raw('GET', '/');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ title: 'qdrant - vector search engine', version: '1.18.0' });
  });

  it('creates a collection with named dense and sparse vectors and reports it', async () => {
    const name = uniqueName();
    expect((await f.client.collectionExists(name)).exists).toBe(false);
    // Raw PUT: QdrantClient 1.18 createCollection does not forward `metadata` (see its dist/esm/qdrant-client.js).
    const created = await f.raw('PUT', `/collections/${name}`, {
      vectors: { dense: { size: 3, distance: 'Cosine' } },
      sparse_vectors: { text: { modifier: 'idf' } },
      metadata: { owner: 'tests' },
    });
    expect(created.status).toBe(200);
    expect(created.json.result).toBe(true);
    expect((await f.client.collectionExists(name)).exists).toBe(true);
    const info = await f.client.getCollection(name);
    expect(info.status).toBe('green');
    expect(info.points_count).toBe(0);
    expect(info.config.params.vectors).toEqual({ dense: { size: 3, distance: 'Cosine' } });
    expect(info.config.params.sparse_vectors).toEqual({ text: { modifier: 'idf' } });
    expect(info.config.metadata).toEqual({ owner: 'tests' });
    expect(info.payload_schema).toEqual({});
  });

  it('creates a collection without vectors, and with the single unnamed form', async () => {
    const none = uniqueName();
    await f.client.createCollection(none, {});
    expect((await f.client.getCollection(none)).config.params.vectors).toEqual({});
    const single = uniqueName();
    await f.client.createCollection(single, { vectors: { size: 2, distance: 'Dot' } });
    expect((await f.client.getCollection(single)).config.params.vectors).toEqual({ size: 2, distance: 'Dot' });
    await f.client.upsert(single, { points: [{ id: 1, vector: [1, 2] }] });
    const [point] = await f.client.retrieve(single, { ids: [1], with_vector: true });
    expect(point?.vector).toEqual([1, 2]);
  });

  it('PATCH merges metadata into the existing metadata; a null value removes a key', async () => {
    const name = uniqueName();
    await f.raw('PUT', `/collections/${name}`, { metadata: { a: 1, b: 2 } });
    await f.client.updateCollection(name, { metadata: { b: 3, c: 4 } });
    expect((await f.client.getCollection(name)).config.metadata).toEqual({ a: 1, b: 3, c: 4 });
    await f.client.updateCollection(name, { metadata: { a: null } });
    expect((await f.client.getCollection(name)).config.metadata).toEqual({ b: 3, c: 4 });
  });

  it('creates and deletes named vectors on an existing collection', async () => {
    const name = uniqueName();
    await f.client.createCollection(name, { vectors: { a: { size: 2, distance: 'Dot' } } });
    await f.client.upsert(name, { points: [{ id: 1, vector: { a: [1, 0] } }] });
    const created = await f.client.createVectorName(name, 'b', { dense: { size: 4, distance: 'Euclid' } });
    expect(created.status).toBe('completed');
    await f.client.createVectorName(name, 's', { sparse: { modifier: 'idf' } });
    let info = await f.client.getCollection(name);
    expect(info.config.params.vectors).toEqual({ a: { size: 2, distance: 'Dot' }, b: { size: 4, distance: 'Euclid' } });
    expect(info.config.params.sparse_vectors).toEqual({ s: { modifier: 'idf' } });
    // Same config again is a no-op; a different one is a 400.
    await f.client.createVectorName(name, 'b', { dense: { size: 4, distance: 'Euclid' } });
    const conflict = await failure(f.client.createVectorName(name, 'b', { dense: { size: 5, distance: 'Euclid' } }));
    expect(conflict).toEqual({ status: 400, message: 'Wrong input: Vector `b` already exists with a different configuration' });
    await f.client.updateVectors(name, { points: [{ id: 1, vector: { b: [1, 2, 3, 4] } }] });
    await f.client.deleteVectorName(name, 'a');
    info = await f.client.getCollection(name);
    expect(Object.keys(info.config.params.vectors ?? {})).toEqual(['b']);
    const [point] = await f.client.retrieve(name, { ids: [1], with_vector: true });
    expect(point?.vector).toEqual({ b: [1, 2, 3, 4] });
  });

  it('records payload indexes in payload_schema with the number of points that have the field', async () => {
    const name = uniqueName();
    await f.client.createCollection(name, { vectors: {} });
    await f.client.upsert(name, { points: [{ id: 1, vector: {}, payload: { kind: 'a', n: 1 } }, { id: 2, vector: {}, payload: { n: 2 } }] });
    await f.client.createPayloadIndex(name, { field_name: 'kind', field_schema: 'keyword', wait: true });
    await f.client.createPayloadIndex(name, { field_name: 'n', field_schema: { type: 'integer', lookup: true, range: true }, wait: true });
    const info = await f.client.getCollection(name);
    expect(info.payload_schema).toEqual({
      kind: { data_type: 'keyword', points: 1 },
      n: { data_type: 'integer', params: { type: 'integer', lookup: true, range: true }, points: 2 },
    });
  });

  it('DELETE returns true for an existing collection and false otherwise', async () => {
    const name = uniqueName();
    await f.client.createCollection(name, {});
    expect(await f.client.deleteCollection(name)).toBe(true);
    expect(await f.client.deleteCollection(name)).toBe(false);
    expect((await f.client.collectionExists(name)).exists).toBe(false);
  });

  it('validates vector params: size 0 and unknown distances are 400, size > 65536 is 422', async () => {
    const zero = await f.raw('PUT', `/collections/${uniqueName()}`, { vectors: { v: { size: 0, distance: 'Cosine' } } });
    expect(zero.status).toBe(400);
    const bad = await f.raw('PUT', `/collections/${uniqueName()}`, { vectors: { v: { size: 3, distance: 'Cosinus' } } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.json.status)).toContain('unknown variant `Cosinus`');
    const big = await f.raw('PUT', `/collections/${uniqueName()}`, { vectors: { v: { size: 70000, distance: 'Dot' } } });
    expect(big.status).toBe(422);
  });

  it('rejects collection names with forbidden characters (422)', async () => {
    const res = await f.raw('PUT', `/collections/${encodeURIComponent('bad:name')}`, {});
    expect(res.status).toBe(422);
    expect(res.json.status).toEqual({ error: 'Validation error in path parameters: [collection_name: collection name cannot contain ":" char]' });
  });
});
