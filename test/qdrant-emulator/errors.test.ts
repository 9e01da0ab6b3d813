import { describe, expect, it } from 'vitest';
import { failure, uniqueName, useEmulator } from './fixture.js';

describe('qdrant emulator: errors and envelopes', () => {
  const f = useEmulator();

  it('wraps results as {result, status: "ok", time}', async () => {
    const res = await f.raw('GET', `/collections/${uniqueName()}/exists`);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ result: { exists: false }, status: 'ok' });
    expect(typeof res.json.time).toBe('number');
  });

  it('404 for a missing collection, with {status: {error}} and no result', async () => {
    const name = uniqueName();
    const res = await f.raw('GET', `/collections/${name}`);
    expect(res.status).toBe(404);
    expect(res.json.status).toEqual({ error: `Not found: Collection \`${name}\` doesn't exist!` });
    expect('result' in res.json).toBe(false);
    expect(await failure(f.client.scroll(name, {}))).toMatchObject({ status: 404 });
  });

  it('409 when the collection already exists', async () => {
    const name = uniqueName();
    await f.client.createCollection(name, {});
    expect(await failure(f.client.createCollection(name, {}))).toEqual({
      status: 409,
      message: `Wrong input: Collection \`${name}\` already exists!`,
    });
  });

  it('404 for a missing point in set_payload and update_vectors', async () => {
    const name = uniqueName();
    await f.client.createCollection(name, { vectors: { v: { size: 2, distance: 'Dot' } } });
    expect(await failure(f.client.setPayload(name, { points: [42], payload: { a: 1 }, wait: true }))).toEqual({
      status: 404,
      message: 'Not found: No point with id 42 found',
    });
    expect(await failure(f.client.updateVectors(name, { points: [{ id: 7, vector: { v: [1, 2] } }], wait: true }))).toEqual({
      status: 404,
      message: 'Not found: No point with id 7 found',
    });
  });

  it('400 for a wrong dense dimension and for an unknown vector name', async () => {
    const name = uniqueName();
    await f.client.createCollection(name, { vectors: { v: { size: 3, distance: 'Cosine' } } });
    expect(await failure(f.client.upsert(name, { points: [{ id: 1, vector: { v: [1, 2] } }] }))).toEqual({
      status: 400,
      message: 'Wrong input: Vector dimension error: expected dim: 3, got 2',
    });
    expect(await failure(f.client.upsert(name, { points: [{ id: 1, vector: { x: [1, 2, 3] } }] }))).toEqual({
      status: 400,
      message: 'Wrong input: Not existing vector name error: x',
    });
    expect(await failure(f.client.query(name, { query: [1, 2], using: 'v' }))).toMatchObject({ status: 400 });
  });

  it('422 for sparse vectors with mismatched lengths or repeated indices', async () => {
    const name = uniqueName();
    await f.client.createCollection(name, { sparse_vectors: { s: {} } });
    const mismatch = await failure(f.client.upsert(name, { points: [{ id: 1, vector: { s: { indices: [1, 2], values: [1] } } }] }));
    expect(mismatch.status).toBe(422);
    expect(mismatch.message).toContain('must be the same length as indices');
    const repeated = await failure(f.client.upsert(name, { points: [{ id: 1, vector: { s: { indices: [1, 1], values: [1, 2] } } }] }));
    expect(repeated.status).toBe(422);
    expect(repeated.message).toContain('must be unique');
  });

  it('404 with an empty body for an unknown route', async () => {
    const res = await f.raw('GET', '/no/such/route');
    expect(res.status).toBe(404);
    expect(res.text).toBe('');
  });

  it('400 for a body that is not JSON', async () => {
    const name = uniqueName();
    await f.client.createCollection(name, {});
    const res = await fetch(`${f.emulator.url}/collections/${name}/points/scroll`, { method: 'POST', body: '{nope' });
    expect(res.status).toBe(400);
  });
});

describe('qdrant emulator: API key', () => {
  const f = useEmulator({ apiKey: 'secret' });

  it('answers 401 with a plain-text reason without a key or with a wrong one; / stays open', async () => {
    const missing = await f.raw('GET', '/collections/x/exists');
    expect(missing.status).toBe(401);
    expect(missing.text).toBe('Must provide an API key or an Authorization bearer token');
    const wrong = await f.raw('GET', '/collections/x/exists', undefined, { 'api-key': 'nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toBe('Invalid API key or JWT');
    expect((await f.raw('GET', '/')).status).toBe(200);
  });

  it('accepts the key in api-key or as a bearer token, and the client sends it', async () => {
    expect((await f.raw('GET', '/collections/x/exists', undefined, { 'api-key': 'secret' })).status).toBe(200);
    expect((await f.raw('GET', '/collections/x/exists', undefined, { authorization: 'Bearer secret' })).status).toBe(200);
    expect((await f.client.collectionExists('x')).exists).toBe(false);
  });
});
