import { describe, expect, it } from 'vitest';
import { uniqueName, useEmulator } from './fixture.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('qdrant emulator: wait', () => {
  const f = useEmulator({ unwaitedDelayMs: 200 });

  it('an unwaited upsert is acknowledged, invisible at once, and visible after the delay', async () => {
    const name = uniqueName();
    await f.client.createCollection(name, {});
    const result = await f.client.upsert(name, { wait: false, points: [{ id: 1, vector: {} }] });
    expect(result.status).toBe('acknowledged');
    expect((await f.client.scroll(name, {})).points).toEqual([]);
    await sleep(300);
    expect((await f.client.scroll(name, {})).points.map((p) => p.id)).toEqual([1]);
  });

  it('a waited upsert is completed and visible at once', async () => {
    const name = uniqueName();
    await f.client.createCollection(name, {});
    const result = await f.client.upsert(name, { wait: true, points: [{ id: 1, vector: {} }] });
    expect(result.status).toBe('completed');
    expect((await f.client.scroll(name, {})).points.map((p) => p.id)).toEqual([1]);
  });

  it('a waited write applies the earlier unwaited ones first, in order', async () => {
    const name = uniqueName();
    await f.client.createCollection(name, {});
    await f.client.upsert(name, { wait: false, points: [{ id: 1, vector: {}, payload: { v: 'first' } }] });
    await f.client.setPayload(name, { wait: true, points: [1], payload: { w: 'second' } });
    const [point] = await f.client.retrieve(name, { ids: [1] });
    expect(point?.payload).toEqual({ v: 'first', w: 'second' });
  });

  it('operation ids increase per collection', async () => {
    const name = uniqueName();
    await f.client.createCollection(name, {});
    const a = await f.client.upsert(name, { points: [{ id: 1, vector: {} }] });
    const b = await f.client.upsert(name, { points: [{ id: 2, vector: {} }] });
    expect((b.operation_id ?? 0) - (a.operation_id ?? 0)).toBe(1);
  });
});

describe('qdrant emulator: wait with no delay', () => {
  const f = useEmulator();

  it('applies unwaited writes before replying, answering acknowledged', async () => {
    const name = uniqueName();
    await f.client.createCollection(name, {});
    const result = await f.client.upsert(name, { wait: false, points: [{ id: 1, vector: {} }] });
    expect(result.status).toBe('acknowledged');
    expect((await f.client.count(name, {})).count).toBe(1);
  });
});
