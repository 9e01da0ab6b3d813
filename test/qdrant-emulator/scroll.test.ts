import { describe, expect, it } from 'vitest';
import { failure, uniqueName, useEmulator } from './fixture.js';

describe('qdrant emulator: scroll', () => {
  const f = useEmulator();
  const uuidA = '00000000-0000-0000-0000-00000000000a';
  const uuidB = 'ffffffff-0000-0000-0000-000000000000';

  it('orders integers before UUIDs, and pages with next_page_offset', async () => {
    const name = uniqueName();
    await f.client.createCollection(name, {});
    await f.client.upsert(name, { points: [uuidB, 10, uuidA, 2, 7].map((id) => ({ id, vector: {}, payload: { id: String(id) } })) });
    const first = await f.client.scroll(name, { limit: 2 });
    expect(first.points.map((p) => p.id)).toEqual([2, 7]);
    expect(first.next_page_offset).toBe(10);
    const second = await f.client.scroll(name, { limit: 2, offset: first.next_page_offset ?? undefined });
    expect(second.points.map((p) => p.id)).toEqual([10, uuidA]);
    expect(second.next_page_offset).toBe(uuidB);
    const last = await f.client.scroll(name, { limit: 2, offset: second.next_page_offset ?? undefined });
    expect(last.points.map((p) => p.id)).toEqual([uuidB]);
    expect(last.next_page_offset).toBeNull();
  });

  it('defaults: limit 10, payload included, vectors left out', async () => {
    const name = uniqueName();
    await f.client.createCollection(name, { vectors: { v: { size: 1, distance: 'Dot' } } });
    await f.client.upsert(name, { points: Array.from({ length: 12 }, (_, i) => ({ id: i, vector: { v: [i] }, payload: { i } })) });
    const page = await f.client.scroll(name, {});
    expect(page.points).toHaveLength(10);
    expect(page.points[0]).toEqual({ id: 0, payload: { i: 0 } });
    expect(page.next_page_offset).toBe(10);
    const withVector = await f.client.scroll(name, { limit: 1, with_payload: false, with_vector: true });
    expect(withVector.points[0]).toEqual({ id: 0, vector: { v: [0] } });
  });

  it('limit 0 is a bad request', async () => {
    const name = uniqueName();
    await f.client.createCollection(name, {});
    expect(await failure(f.client.scroll(name, { limit: 0 }))).toEqual({ status: 400, message: 'Bad request: Limit cannot be 0' });
  });

  it('order_by needs a range index, orders by the value and gives no next_page_offset', async () => {
    const name = uniqueName();
    await f.client.createCollection(name, {});
    await f.client.upsert(name, { points: [{ id: 1, vector: {}, payload: { t: 5 } }, { id: 2, vector: {}, payload: { t: 1 } }, { id: 3, vector: {} }] });
    expect((await failure(f.client.scroll(name, { order_by: 't' }))).status).toBe(400);
    await f.client.createPayloadIndex(name, { field_name: 't', field_schema: 'integer', wait: true });
    const asc = await f.client.scroll(name, { order_by: 't' });
    expect(asc.points.map((p) => [p.id, p.order_value])).toEqual([[2, 1], [1, 5]]);
    expect(asc.next_page_offset).toBeNull();
    const desc = await f.client.scroll(name, { order_by: { key: 't', direction: 'desc' } });
    expect(desc.points.map((p) => p.id)).toEqual([1, 2]);
  });

  it('with_payload include and exclude', async () => {
    const name = uniqueName();
    await f.client.createCollection(name, {});
    await f.client.upsert(name, { points: [{ id: 1, vector: {}, payload: { a: 1, b: { c: 2, d: 3 } } }] });
    expect((await f.client.scroll(name, { with_payload: ['a'] })).points[0]?.payload).toEqual({ a: 1 });
    expect((await f.client.scroll(name, { with_payload: { exclude: ['b.c'] } })).points[0]?.payload).toEqual({ a: 1, b: { d: 3 } });
  });
});
