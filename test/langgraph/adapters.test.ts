/**
 * memstrate/langgraph beyond the LangGraph contracts: the namespace mapping onto memories, ttl and
 * its refresh, query ranking, batch order, VALIDATION on bad input, audit entries, and erasure of an
 * agent's items and threads — on a SQLite file and on the PostgreSQL server (checkpoints live on the
 * main backend).
 */
import { emptyCheckpoint, uuid6 } from '@langchain/langgraph-checkpoint';
import { afterEach, describe, expect, it } from 'vitest';
import { MemstrateCheckpointSaver, MemstrateStore } from 'memstrate/langgraph';
import { openFresh, type MainEngine, type Opened } from './fixture.js';

const MINUTE = 60_000;
let opened: Opened | undefined;
afterEach(async () => {
  await opened?.close();
  opened = undefined;
});

let now = Date.UTC(2026, 0, 1);
const open = async (main: MainEngine = 'sqlite') => (opened = await openFresh(main, { clock: () => now }, { embeddingProvider: 'hash', embeddingDimensions: 64 }));
const actions = async (o: Opened, after: number) => (await o.mem.audit.entries({ after, limit: 100 })).map((e) => [e.action, e.agentId]);

describe('MemstrateStore', () => {
  it('maps namespace[0] to the agent and the rest to the scope; the item is a keyed memory of that agent', async () => {
    const o = await open();
    const store = new MemstrateStore(o.mem);
    await store.put(['ada', 'prefs', 'ui'], 'theme', { mode: 'dark' });
    const [memory] = (await o.mem.semantic.list({ agentId: 'ada' })).items;
    expect(memory).toMatchObject({ agentId: 'ada', scope: 'prefs/ui', metadata: { value: { mode: 'dark' }, langgraph: { namespace: ['ada', 'prefs', 'ui'], key: 'theme' } } });
    expect(memory?.key).toMatch(/^langgraph:[0-9a-f]{64}$/);
    await store.put(['ada'], 'root', { a: 1 });
    expect((await o.mem.semantic.list({ agentId: 'ada', filter: { scope: 'langgraph' } })).items).toHaveLength(1);
    // A re-put replaces the same memory: same id, same createdAt, new value and updatedAt.
    const before = await store.get(['ada', 'prefs', 'ui'], 'theme');
    now += 1000;
    await store.put(['ada', 'prefs', 'ui'], 'theme', { mode: 'light' });
    const after = await store.get(['ada', 'prefs', 'ui'], 'theme');
    expect(after?.value).toEqual({ mode: 'light' });
    expect(after?.createdAt).toEqual(before?.createdAt);
    expect(after?.updatedAt.getTime()).toBeGreaterThan(before!.updatedAt.getTime());
    expect((await o.mem.semantic.list({ agentId: 'ada', filter: { scope: 'prefs/ui' } })).items.map((m) => m.id)).toEqual([memory?.id]);
  });

  it('a ttl (minutes) expires the item; a get or search restarts it unless refreshTtl is false', async () => {
    const o = await open();
    const store = new MemstrateStore(o.mem);
    await store.put(['ada', 'tmp'], 'k', { v: 1 }, undefined, { ttl: 10 });
    now += 8 * MINUTE;
    expect(await store.get(['ada', 'tmp'], 'k', { refreshTtl: false })).not.toBeNull();
    now += 3 * MINUTE; // 11 minutes after the put: expired, nothing refreshed it
    expect(await store.get(['ada', 'tmp'], 'k')).toBeNull();

    await store.put(['ada', 'tmp'], 'k', { v: 2 }, undefined, { ttl: 10 });
    now += 8 * MINUTE;
    expect(await store.search(['ada'], {})).toHaveLength(1); // refreshes: expires 10 minutes from now
    now += 8 * MINUTE;
    expect((await store.get(['ada', 'tmp'], 'k'))?.value).toEqual({ v: 2 });
    now += 11 * MINUTE;
    expect(await store.search(['ada'])).toEqual([]);

    const defaults = new MemstrateStore(o.mem, { ttl: { defaultTtl: 1, refreshOnRead: false } });
    await defaults.put(['ada', 'brief'], 'k', { v: 3 });
    await defaults.put(['ada', 'kept'], 'k', { v: 4 }, undefined, { ttl: null });
    now += 2 * MINUTE;
    expect(await defaults.get(['ada', 'brief'], 'k')).toBeNull();
    expect(await defaults.get(['ada', 'kept'], 'k')).not.toBeNull();
  });

  it('a query ranks indexed items by the substrate recall (scored first); index: false items come after, unscored', async () => {
    const o = await open();
    const store = new MemstrateStore(o.mem);
    await store.put(['ada', 'notes'], 'a', { text: 'the pelican flew over the harbor' });
    await store.put(['ada', 'notes'], 'b', { text: 'granite countertops and orchids' });
    await store.put(['ada', 'notes'], 'c', { text: 'pelican' }, false);
    await store.put(['ada', 'notes'], 'd', { title: 'pelican facts', body: 'nothing here' }, ['title']);
    const found = await store.search(['ada'], { query: 'pelican', limit: 10 });
    expect(found.map((i) => i.key).slice(0, 2).sort()).toEqual(['a', 'd']);
    expect(found.slice(0, 2).every((i) => typeof i.score === 'number')).toBe(true);
    expect(found.find((i) => i.key === 'c')?.score).toBeUndefined();
    expect(found.map((i) => i.key).sort()).toEqual(['a', 'b', 'c', 'd']);
    // limit and offset page through ranked, then unranked items.
    const page = await store.search(['ada'], { query: 'pelican', limit: 2, offset: 1 });
    expect(page.map((i) => i.key)).toEqual(found.slice(1, 3).map((i) => i.key));
  });

  it('a batch runs in order: a get after a put sees it; for one key the last put wins', async () => {
    const o = await open();
    const store = new MemstrateStore(o.mem);
    const results = await store.batch([
      { namespace: ['ada', 'b'], key: 'k', value: { v: 1 } },
      { namespace: ['ada', 'b'], key: 'k', value: { v: 2 } },
      { namespace: ['ada', 'b'], key: 'k' },
      { namespace: ['ada', 'b'], key: 'k', value: null },
      { namespace: ['ada', 'b'], key: 'k' },
      { namespacePrefix: ['ada'], limit: 10, offset: 0 },
      { matchConditions: [], limit: 10, offset: 0 },
    ]);
    expect((results[2] as unknown as { value: unknown }).value).toEqual({ v: 2 });
    expect(results[4]).toBeNull();
    expect(results[5]).toEqual([]);
    expect(results[6]).toEqual([]);
  });

  it('rejects bad input with VALIDATION naming the field (unknown keys too)', async () => {
    const o = await open();
    const store = new MemstrateStore(o.mem);
    const bad: [string, () => Promise<unknown>][] = [
      ['empty namespace', () => store.put([], 'k', {})],
      ['label with a period', () => store.put(['ada', 'a.b'], 'k', {})],
      ['array value', () => store.put(['ada'], 'k', [] as never)],
      ['unknown search option', () => store.search(['ada'], { limt: 3 } as never)],
      ['unknown operator', () => store.search(['ada'], { filter: { n: { $regex: 'x' } } })],
      ['limit 0', () => store.search(['ada'], { limit: 0 })],
      ['ttl 0', () => store.put(['ada'], 'k', {}, undefined, { ttl: 0 })],
      ['unknown op key', () => store.batch([{ namespace: ['ada'], key: 'k', value: {}, extra: 1 } as never])],
      ['path too long for a scope', () => store.put(['ada', 'x'.repeat(200)], 'k', {})],
    ];
    for (const [what, call] of bad) await expect(call(), what).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(() => new MemstrateStore(o.mem, { indx: false } as never)).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
  });

  it('puts, deletes and ttl refreshes are audited memory mutations; reads of items without a ttl write nothing', async () => {
    const o = await open();
    const store = new MemstrateStore(o.mem);
    await store.put(['ada', 'x'], 'k', { v: 1 });
    await store.get(['ada', 'x'], 'k');
    await store.search(['ada']);
    await store.delete(['ada', 'x'], 'k');
    await store.delete(['ada', 'x'], 'k');
    await store.put(['ada', 'x'], 't', { v: 1 }, undefined, { ttl: 5 });
    await store.get(['ada', 'x'], 't');
    expect(await actions(o, 0)).toEqual([
      ['memory.remember_many', 'ada'],
      ['memory.delete_where', 'ada'],
      ['memory.remember_many', 'ada'],
      ['memory.update', 'ada'],
    ]);
  });
});

describe.each(['sqlite', 'postgres'] as MainEngine[])('MemstrateCheckpointSaver on %s', (main) => {
  it('each put, putWrites and deleteThread is one audited transaction naming the agent; erasing the agent removes its threads and items', async () => {
    const o = await open(main);
    const saver = new MemstrateCheckpointSaver(o.mem, { agentId: 'ada' });
    const other = new MemstrateCheckpointSaver(o.mem, { agentId: 'bob' });
    const checkpoint = { ...emptyCheckpoint(), id: uuid6(0), channel_values: { messages: ['hi'] }, channel_versions: { messages: 1 } };
    const config = await saver.put({ configurable: { thread_id: 't1' } }, checkpoint, { source: 'input', step: -1, parents: {} }, { messages: 1 });
    await saver.putWrites(config, [['messages', ['there']], ['other', 1]], 'task-1');
    await other.put({ configurable: { thread_id: 't1' } }, { ...emptyCheckpoint(), id: uuid6(0) }, { source: 'input', step: -1, parents: {} }, {});
    expect(await actions(o, 0)).toEqual([
      ['checkpoint.put', 'ada'],
      ['checkpoint.put_writes', 'ada'],
      ['checkpoint.put', 'bob'],
    ]);
    const tuple = await saver.getTuple({ configurable: { thread_id: 't1' } });
    expect(tuple?.checkpoint.channel_values).toEqual({ messages: ['hi'] });
    expect(tuple?.pendingWrites).toEqual([
      ['task-1', 'messages', ['there']],
      ['task-1', 'other', 1],
    ]);
    // The same thread id under another agent is another thread.
    expect((await other.getTuple({ configurable: { thread_id: 't1' } }))?.checkpoint.channel_values).toEqual({});

    await new MemstrateStore(o.mem).put(['ada', 'prefs'], 'k', { v: 1 });
    const receipt = await o.mem.erase({ agentId: 'ada' });
    expect(receipt.counts).toMatchObject({ memories: 1, checkpoints: 1 });
    expect(await saver.getTuple({ configurable: { thread_id: 't1' } })).toBeUndefined();
    expect(await other.getTuple({ configurable: { thread_id: 't1' } })).toBeDefined();

    const seq = (await o.mem.audit.tip()).seq;
    await other.deleteThread('t1');
    await other.deleteThread('t1');
    expect(await actions(o, seq)).toEqual([['checkpoint.delete_thread', 'bob']]);
  });

  it('a write batch is all or nothing: a bad write leaves none of the batch and no audit entry', async () => {
    const o = await open(main);
    const key = { agentId: 'ada', threadId: 't', namespace: '', checkpointId: 'c1' };
    const bytes = new TextEncoder().encode('1');
    await o.mem.checkpoints.put({ ...key, type: 'json', checkpoint: bytes, metadataType: 'json', metadata: bytes });
    const seq = (await o.mem.audit.tip()).seq;
    const writes = Array.from({ length: 1200 }, (_, idx) => ({ idx, channel: 'c', type: 'json', value: bytes }));
    await expect(o.mem.checkpoints.putWrites({ ...key, taskId: 'task', writes: [...writes, { idx: 5, channel: 'c', type: 'json', value: bytes }] })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(o.mem.checkpoints.putWrites({ ...key, taskId: 'task', writes: [...writes, { idx: 2_000, channel: 'c', type: 'json', value: 'not bytes' as never }] })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(o.mem.checkpoints.putWrites({ ...key, taskId: 'task', writes, extra: true } as never)).rejects.toMatchObject({ code: 'VALIDATION' });
    expect((await o.mem.checkpoints.get(key))?.writes).toEqual([]);
    expect((await o.mem.audit.tip()).seq).toBe(seq);
    expect(await o.mem.checkpoints.putWrites({ ...key, taskId: 'task', writes })).toBe(1200);
    expect(await o.mem.checkpoints.putWrites({ ...key, taskId: 'task', writes })).toBe(0); // kept: nothing written, no entry
    expect((await o.mem.checkpoints.get(key))?.writes).toHaveLength(1200);
    expect(await actions(o, seq)).toEqual([['checkpoint.put_writes', 'ada']]);
  });
});
