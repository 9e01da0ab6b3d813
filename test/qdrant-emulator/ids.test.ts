import { describe, expect, it } from 'vitest';
import { uniqueName, useEmulator } from './fixture.js';

describe('qdrant emulator: point ids', () => {
  const f = useEmulator();
  const uuid = '5f7c3e2a-1b4d-4c8e-9a6f-0d2b1e3c4a5f';

  it('normalises UUIDs written in upper case, simple, braced and urn forms', async () => {
    const name = uniqueName();
    await f.client.createCollection(name, {});
    await f.client.upsert(name, { points: [{ id: uuid.toUpperCase(), vector: {} }] });
    for (const form of [uuid, uuid.replaceAll('-', ''), `{${uuid}}`, `urn:uuid:${uuid}`, uuid.toUpperCase()]) {
      const points = await f.client.retrieve(name, { ids: [form] });
      expect(points.map((p) => p.id)).toEqual([uuid]);
    }
    expect((await f.client.count(name, {})).count).toBe(1);
  });

  it('rejects ids that are neither unsigned integers nor UUIDs with 400', async () => {
    const name = uniqueName();
    await f.client.createCollection(name, {});
    for (const bad of ['not-a-uuid', '5', -1, 1.5]) {
      const res = await f.raw('POST', `/collections/${name}/points`, { ids: [bad] });
      expect(res.status).toBe(400);
      const shown = typeof bad === 'string' ? bad : String(bad);
      expect(res.json.status).toEqual({
        error: `Format error in JSON body: value ${shown} is not a valid point ID, valid values are either an unsigned integer or a UUID`,
      });
    }
  });

  it('keeps integer 1 and the UUID form of 1 as different points', async () => {
    const name = uniqueName();
    await f.client.createCollection(name, {});
    const one = '00000000-0000-0000-0000-000000000001';
    await f.client.upsert(name, { points: [{ id: 1, vector: {} }, { id: one, vector: {} }] });
    const { points } = await f.client.scroll(name, {});
    expect(points.map((p) => p.id)).toEqual([1, one]);
  });
});
