import { expect, it } from 'vitest';
import type { AgentEntry } from '../../contracts/structured-store.js';
import type { JsonValue } from '../../contracts/types.js';
import { defineSuite } from '../conformance.js';
import { ManualClock } from '../clock.js';

export const structuredSuite = defineSuite('structured', ({ open, itIf }) => {
  it('an entry set with ttlMs or expiresAt reads as absent from then on — at once, no sweep needed; a later set starts over at version 1', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    expect(await mem.structured.set('a', 'session-token', 'abc', { ttlMs: 1000 })).toBe(1);
    await mem.structured.set('a', 'until', 1, { expiresAt: clock.now + 5000 });
    await mem.structured.set('a', 'forever', true);
    expect(await mem.structured.get('a', 'session-token')).toBe('abc');
    clock.advance(999);
    expect((await mem.structured.list('a')).map((e) => e.key)).toEqual(['forever', 'session-token', 'until']);
    clock.advance(1);
    expect(await mem.structured.get('a', 'session-token')).toBeUndefined();
    expect((await mem.structured.list('a')).map((e) => e.key)).toEqual(['forever', 'until']);
    expect(await mem.structured.delete('a', 'session-token')).toBe(false);
    expect(await mem.structured.set('a', 'session-token', 'new')).toBe(1);
    expect(await mem.structured.set('a', 'session-token', 'newer')).toBe(2);
    clock.advance(10_000);
    expect(await mem.structured.get('a', 'until')).toBeUndefined();
    expect(await mem.structured.get('a', 'session-token')).toBe('newer');
    await expect(mem.structured.set('a', 'k', 1, { ttlMs: 0 })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.structured.set('a', 'k', 1, { ttlMs: 5, expiresAt: clock.now + 5 })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.structured.set('a', 'k', 1, { tll: 5 } as never)).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(await mem.structured.get('a', 'k')).toBeUndefined();
    // Retention removes what expired, once; what has not expired stays.
    await mem.structured.set('b', 'later', 1, { ttlMs: 60_000 });
    expect(await mem.structured.purgeExpired()).toBe(1);
    expect(await mem.structured.purgeExpired()).toBe(0);
    expect((await mem.structured.list('a')).map((e) => e.key)).toEqual(['forever', 'session-token']);
    expect(await mem.structured.get('b', 'later')).toBe(1);
  });

  it('round-trips JSON values and returns undefined for a missing key', async () => {
    const mem = (await open()).mem;
    const values: JsonValue[] = ['text', 0, -1.5, true, false, null, [], {}, [1, 'two', { three: [null, false] }], { nested: { deep: [1, 2, { x: 'y' }] }, unicode: 'héllo ☃' }];
    for (const [i, value] of values.entries()) await mem.structured.set('agent-a', `k${i}`, value);
    for (const [i, value] of values.entries()) expect(await mem.structured.get('agent-a', `k${i}`)).toStrictEqual(value);
    expect(await mem.structured.get('agent-a', 'missing')).toBeUndefined();
  });

  it('versions start at 1 and increase by one on every overwrite; updatedAt follows the clock', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    expect(await mem.structured.set('agent-a', 'counter', 1)).toBe(1);
    clock.advance(1000);
    expect(await mem.structured.set('agent-a', 'counter', 2)).toBe(2);
    clock.advance(1000);
    expect(await mem.structured.set('agent-a', 'counter', 3)).toBe(3);
    expect(await mem.structured.list('agent-a')).toEqual([{ key: 'counter', value: 3, version: 3, updatedAt: clock.now }]);
    // Another key and another agent have their own versions.
    expect(await mem.structured.set('agent-a', 'other', 'x')).toBe(1);
    expect(await mem.structured.set('agent-b', 'counter', 'x')).toBe(1);
    // Deleting and writing again starts over.
    expect(await mem.structured.delete('agent-a', 'counter')).toBe(true);
    expect(await mem.structured.set('agent-a', 'counter', 4)).toBe(1);
  });

  it('delete reports whether a value was removed', async () => {
    const mem = (await open()).mem;
    await mem.structured.set('agent-a', 'k', 'v');
    expect(await mem.structured.delete('agent-a', 'k')).toBe(true);
    expect(await mem.structured.get('agent-a', 'k')).toBeUndefined();
    expect(await mem.structured.delete('agent-a', 'k')).toBe(false);
    expect(await mem.structured.delete('agent-a', 'never-set')).toBe(false);
  });

  it('list returns every entry of one agent ordered by key', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    await mem.structured.set('agent-a', 'b', { n: 2 });
    await mem.structured.set('agent-a', 'a', [1]);
    await mem.structured.set('agent-a', 'c', 'three');
    await mem.structured.set('agent-b', 'a0', 'not mine');
    const list = await mem.structured.list('agent-a');
    expect(list.map((e) => e.key)).toEqual(['a', 'b', 'c']);
    expect(list[0]).toEqual({ key: 'a', value: [1], version: 1, updatedAt: clock.now });
    expect(list[1]?.value).toEqual({ n: 2 });
    expect(await mem.structured.list('nobody')).toEqual([]);
  });

  it('isolates agents: the same key holds independent values', async () => {
    const mem = (await open()).mem;
    await mem.structured.set('agent-a', 'shared-key', 'a');
    await mem.structured.set('agent-b', 'shared-key', 'b');
    expect(await mem.structured.get('agent-a', 'shared-key')).toBe('a');
    expect(await mem.structured.get('agent-b', 'shared-key')).toBe('b');
    await mem.structured.delete('agent-a', 'shared-key');
    expect(await mem.structured.get('agent-a', 'shared-key')).toBeUndefined();
    expect(await mem.structured.get('agent-b', 'shared-key')).toBe('b');
    expect((await mem.structured.list('agent-b')).map((e) => e.key)).toEqual(['shared-key']);
  });

  it('rejects bad ids, keys and non-JSON values with VALIDATION and writes nothing', async () => {
    const mem = (await open()).mem;
    await mem.structured.set('agent-a', 'k', 'original');
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = cyclic;
    const bad: unknown[] = [undefined, NaN, Infinity, -Infinity, () => 1, cyclic, new Date(0), { nested: { n: NaN } }, [1, undefined], { u: undefined }, 10n];
    for (const value of bad) {
      await expect(mem.structured.set('agent-a', 'k', value as JsonValue)).rejects.toMatchObject({ code: 'VALIDATION' });
    }
    await expect(mem.structured.set('agent-a', 'k', 'x'.repeat(1_048_577))).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.structured.set('', 'k', 1)).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.structured.set('a'.repeat(257), 'k', 1)).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.structured.set('agent-a', '', 1)).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.structured.set('agent-a', 'k'.repeat(1025), 1)).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.structured.set('agent-a', 42 as unknown as string, 1)).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.structured.get('', 'k')).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.structured.get('agent-a', '')).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.structured.delete('agent-a', '')).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.structured.list('')).rejects.toMatchObject({ code: 'VALIDATION' });
    // Nothing was written: the original value and its version are intact, no other key appeared.
    expect(await mem.structured.list('agent-a')).toMatchObject([{ key: 'k', value: 'original', version: 1 }]);
    expect(await mem.structured.list('a'.repeat(257)).catch((e: { code: string }) => e.code)).toBe('VALIDATION');
    // The largest key is accepted; the limit is in UTF-8 bytes, the same on every engine.
    expect(await mem.structured.set('agent-a', 'k'.repeat(1024), 1)).toBe(1);
    expect(await mem.structured.set('a'.repeat(256), '😀'.repeat(256), 2)).toBe(1);
    await expect(mem.structured.set('agent-a', '😀'.repeat(257), 1)).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('the facade get/set/delete use the same store', async () => {
    const mem = (await open()).mem;
    await mem.set('agent-a', 'f', { via: 'facade' });
    expect(await mem.structured.get('agent-a', 'f')).toEqual({ via: 'facade' });
    expect(await mem.get('agent-a', 'f')).toEqual({ via: 'facade' });
    expect(await mem.delete('agent-a', 'f')).toBe(true);
    expect(await mem.structured.get('agent-a', 'f')).toBeUndefined();
  });

  it('keeps the whole agent entry exactly as saved', async () => {
    const mem = (await open()).mem;
    const entry: AgentEntry = {
      id: 'agent-1',
      name: 'Researcher',
      mode: 'autonomous',
      parent: 'agent-0',
      children: ['agent-2', 'agent-3'],
      tags: [],
      onboardingCompleted: true,
      onboardingCompletedAt: null,
      lastActive: 1_795_000_000_000,
      manifest: { model: { provider: 'x', temperature: 0.25 }, tools: [{ name: 'search', enabled: false }], limits: { deep: { deeper: [1, [2, [3]]] } } },
      state: 'Running',
    };
    await mem.structured.saveAgent(entry);
    expect(await mem.structured.loadAgent('agent-1')).toStrictEqual(entry);
    expect(await mem.structured.loadAgent('unknown')).toBeUndefined();
  });

  it('saving again replaces the entry (removed fields are gone)', async () => {
    const mem = (await open()).mem;
    await mem.structured.saveAgent({ id: 'agent-1', name: 'One', tags: ['a'], mode: 'x' });
    await mem.structured.saveAgent({ id: 'agent-1', name: 'Uno', tags: ['b', 'c'] });
    expect(await mem.structured.loadAgent('agent-1')).toStrictEqual({ id: 'agent-1', name: 'Uno', tags: ['b', 'c'] });
    expect(await mem.structured.listAgents()).toHaveLength(1);
  });

  it('drops top-level undefined fields (JSON has no undefined)', async () => {
    const mem = (await open()).mem;
    await mem.structured.saveAgent({ id: 'agent-1', name: 'One', parent: undefined, mode: 'x' });
    expect(await mem.structured.loadAgent('agent-1')).toStrictEqual({ id: 'agent-1', name: 'One', mode: 'x' });
  });

  itIf('rawSql', 'keeps created_at from the first save and moves updated_at', async () => {
    const clock = new ManualClock();
    const inst = await open({ clock: clock.fn });
    const first = clock.now;
    await inst.mem.structured.saveAgent({ id: 'agent-1', name: 'One' });
    clock.advance(60_000);
    await inst.mem.structured.saveAgent({ id: 'agent-1', name: 'One again' });
    expect(await inst.rawSql('select name, created_at, updated_at from agents where id = ?', 'agent-1')).toEqual([
      { name: 'One again', created_at: first, updated_at: first + 60_000 },
    ]);
  });

  it('lists agents ordered by name, then id', async () => {
    const mem = (await open()).mem;
    await mem.structured.saveAgent({ id: 'z', name: 'Beta' });
    await mem.structured.saveAgent({ id: 'b', name: 'Alpha' });
    await mem.structured.saveAgent({ id: 'a', name: 'Beta', extra: { k: true } });
    expect(await mem.structured.listAgents()).toStrictEqual([
      { id: 'b', name: 'Alpha' },
      { id: 'a', name: 'Beta', extra: { k: true } },
      { id: 'z', name: 'Beta' },
    ]);
  });

  it('removeAgent reports whether an entry was removed', async () => {
    const mem = (await open()).mem;
    await mem.structured.saveAgent({ id: 'agent-1', name: 'One' });
    await mem.structured.saveAgent({ id: 'agent-2', name: 'Two' });
    expect(await mem.structured.removeAgent('agent-1')).toBe(true);
    expect(await mem.structured.loadAgent('agent-1')).toBeUndefined();
    expect(await mem.structured.removeAgent('agent-1')).toBe(false);
    expect((await mem.structured.listAgents()).map((a) => a.id)).toEqual(['agent-2']);
  });

  it('rejects bad agent entries with VALIDATION and writes nothing', async () => {
    const mem = (await open()).mem;
    await mem.structured.saveAgent({ id: 'agent-1', name: 'Original' });
    const bad: unknown[] = [
      null,
      'agent-1',
      [],
      { name: 'No id' },
      { id: '', name: 'Empty id' },
      { id: 7, name: 'Numeric id' },
      { id: 'agent-1' },
      { id: 'agent-1', name: '' },
      { id: 'agent-1', name: 42 },
      { id: 'agent-1', name: 'Changed', score: NaN },
      { id: 'agent-1', name: 'Changed', when: new Date() },
      { id: 'agent-1', name: 'Changed', nested: { fn: () => 1 } },
      { id: 'agent-1', name: 'Changed', big: 'x'.repeat(1_048_577) },
    ];
    for (const entry of bad) {
      await expect(mem.structured.saveAgent(entry as AgentEntry)).rejects.toMatchObject({ code: 'VALIDATION' });
    }
    await expect(mem.structured.loadAgent('')).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.structured.removeAgent('')).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(await mem.structured.listAgents()).toStrictEqual([{ id: 'agent-1', name: 'Original' }]);
  });

  it('keeps KV entries and agents across a restart', async () => {
    const clock = new ManualClock();
    const inst = await open({ clock: clock.fn });
    await inst.mem.structured.set('agent-a', 'k', { persisted: [1, 2] });
    await inst.mem.structured.set('agent-a', 'k', { persisted: [1, 2, 3] });
    const entry: AgentEntry = { id: 'agent-a', name: 'A', tags: ['t'], flags: { on: true } };
    await inst.mem.structured.saveAgent(entry);
    await inst.reopen();
    const mem = inst.mem;
    expect(await mem.structured.get('agent-a', 'k')).toEqual({ persisted: [1, 2, 3] });
    expect(await mem.structured.list('agent-a')).toEqual([{ key: 'k', value: { persisted: [1, 2, 3] }, version: 2, updatedAt: clock.now }]);
    expect(await mem.structured.set('agent-a', 'k', 'next')).toBe(3);
    expect(await mem.structured.loadAgent('agent-a')).toStrictEqual(entry);
  });
});
