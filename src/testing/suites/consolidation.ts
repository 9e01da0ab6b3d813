import { expect, it } from 'vitest';
import type { MemoryRecord } from '../../contracts/semantic-store.js';
import { defineSuite } from '../conformance.js';
import { ManualClock } from '../clock.js';

const DAY = 86_400_000;
const X = [1, 0, 0, 0];

async function record(mem: { semantic: { get(id: string): Promise<MemoryRecord | undefined> } }, id: string): Promise<MemoryRecord> {
  const r = await mem.semantic.get(id);
  if (!r) throw new Error(`memory ${id} is missing`);
  return r;
}

export const consolidationSuite = defineSuite('consolidation', ({ open }) => {
  it('removes memories past their expiry (a dry run removes nothing) and records how many in its one audit entry', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    await mem.semantic.remember({ agentId: 'A', content: 'brief heron', ttlMs: DAY, embedding: X });
    const lasting = await mem.semantic.remember({ agentId: 'A', content: 'lasting heron', embedding: X });
    clock.advance(2 * DAY);
    expect(await mem.consolidation.consolidate({ dryRun: true })).toMatchObject({ expired: 0, dryRun: true });
    const tip = (await mem.audit.tip()).seq;
    expect(await mem.consolidation.consolidate()).toMatchObject({ expired: 1, dryRun: false });
    const entries = await mem.audit.entries({ after: tip, limit: 10 });
    expect(entries.map((e) => [e.action, JSON.parse(e.detail).expired])).toEqual([['memory.consolidate', 1]]);
    expect(await mem.semantic.purgeExpired()).toBe(0); // nothing left to purge
    expect((await mem.semantic.list({ agentId: 'A' })).items.map((m) => m.id)).toEqual([lasting]);
  });

  it('decays memories unused for more than 7 days by decay_rate, leaving recently used ones', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    const stale = await mem.semantic.remember({ agentId: 'A', content: 'stale pelican', confidence: 0.9, embedding: X });
    const used = await mem.semantic.remember({ agentId: 'A', content: 'used flamingo', confidence: 0.9 });
    clock.advance(8 * DAY);
    await mem.semantic.recall({ agentId: 'A', text: 'flamingo' }); // accessed now: not decayed
    const report = await mem.consolidation.consolidate();
    expect(report).toMatchObject({ decayed: 1, merged: 0, dryRun: false });
    expect(report.durationMs).toBeGreaterThanOrEqual(0);
    expect((await record(mem, stale)).confidence).toBeCloseTo(0.81, 10);
    expect((await record(mem, used)).confidence).toBeCloseTo(0.9, 10);

    // The decayed confidence is what minConfidence filters on, in vector and keyword recall.
    expect(await mem.semantic.recall({ agentId: 'A', embedding: X, filter: { minConfidence: 0.85 } })).toEqual([]);
    expect((await mem.semantic.recall({ agentId: 'A', embedding: X, filter: { minConfidence: 0.8 } }))[0]?.memory.id).toBe(stale);
    expect(await mem.semantic.recall({ agentId: 'A', text: 'pelican', filter: { minConfidence: 0.85 } })).toEqual([]);
  });

  it('only memories unused for 7 days decay (boundary), and decay_rate comes from the config', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn, config: { decayRate: 0.5 } })).mem;
    const old = await mem.semantic.remember({ agentId: 'A', content: 'older' });
    clock.advance(DAY);
    const young = await mem.semantic.remember({ agentId: 'A', content: 'younger' });
    clock.advance(7 * DAY); // old: 8 days unused, young: exactly 7
    expect(await mem.consolidation.consolidate()).toMatchObject({ decayed: 1 });
    expect((await record(mem, old)).confidence).toBeCloseTo(0.5, 10);
    expect((await record(mem, young)).confidence).toBe(1);
  });

  it('never decays below the 0.1 floor', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    const near = await mem.semantic.remember({ agentId: 'A', content: 'near the floor', confidence: 0.105 });
    const at = await mem.semantic.remember({ agentId: 'A', content: 'at the floor', confidence: 0.1 });
    const below = await mem.semantic.remember({ agentId: 'A', content: 'below the floor', confidence: 0.05 });
    clock.advance(8 * DAY);
    expect(await mem.consolidation.consolidate()).toMatchObject({ decayed: 1 });
    expect((await record(mem, near)).confidence).toBeCloseTo(0.1, 10);
    expect((await record(mem, at)).confidence).toBeCloseTo(0.1, 10);
    expect((await record(mem, below)).confidence).toBeCloseTo(0.05, 10);
    expect(await mem.consolidation.consolidate()).toMatchObject({ decayed: 0 });
    expect((await record(mem, near)).confidence).toBeCloseTo(0.1, 10);
  });

  it('repeated runs keep decaying stale memories', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    const id = await mem.semantic.remember({ agentId: 'A', content: 'fading', confidence: 1 });
    clock.advance(8 * DAY);
    await mem.consolidation.consolidate();
    clock.advance(DAY);
    await mem.consolidation.consolidate();
    expect((await record(mem, id)).confidence).toBeCloseTo(0.81, 10);
  });

  it('dryRun reports without changing anything', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    const stale = await mem.semantic.remember({ agentId: 'A', content: 'dry twin', confidence: 0.9 });
    const twin = await mem.semantic.remember({ agentId: 'A', content: 'dry twin', confidence: 0.9 });
    clock.advance(8 * DAY);
    const report = await mem.consolidation.consolidate({ dryRun: true });
    expect(report).toMatchObject({ decayed: 2, merged: 1, dryRun: true });
    for (const id of [stale, twin]) {
      const r = await record(mem, id);
      expect(r.confidence).toBe(0.9);
      expect(r.supersededBy).toBeUndefined();
    }
    expect(await mem.semantic.recall({ agentId: 'A', text: 'twin' })).toHaveLength(2);
    // A dry run (through the store or the facade) writes no audit entry.
    expect((await mem.consolidate({ dryRun: true })).dryRun).toBe(true);
    expect((await mem.audit.entries({})).map((e) => e.action)).toEqual(['memory.remember', 'memory.remember']);
  });

  it('merges exact duplicates into the oldest, linking the others', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    const first = await mem.semantic.remember({ agentId: 'A', content: 'the meeting is on friday', confidence: 0.4, embedding: [1, 0.1, 0, 0] });
    clock.advance(1000);
    const second = await mem.semantic.remember({ agentId: 'A', content: 'the meeting is on friday', confidence: 0.8, embedding: [1, 0.2, 0, 0] });
    clock.advance(1000);
    const third = await mem.semantic.remember({ agentId: 'A', content: 'the meeting is on friday', confidence: 0.6, embedding: [1, 0.3, 0, 0] });
    // Not duplicates: another scope, another agent, different content.
    const otherScope = await mem.semantic.remember({ agentId: 'A', content: 'the meeting is on friday', scope: 'work', embedding: X });
    const otherAgent = await mem.semantic.remember({ agentId: 'B', content: 'the meeting is on friday', embedding: X });
    const different = await mem.semantic.remember({ agentId: 'A', content: 'the meeting is on Friday!', embedding: X });
    // Access counts: second recalled twice, third once.
    await mem.semantic.recall({ agentId: 'A', embedding: [1, 0.2, 0, 0], limit: 1 });
    await mem.semantic.recall({ agentId: 'A', embedding: [1, 0.2, 0, 0], limit: 1 });
    await mem.semantic.recall({ agentId: 'A', embedding: [1, 0.3, 0, 0], limit: 1 });
    expect((await record(mem, second)).accessCount).toBe(2);

    const report = await mem.consolidate();
    expect(report).toMatchObject({ merged: 2, decayed: 0, dryRun: false });
    expect((await record(mem, second)).supersededBy).toBe(first);
    expect((await record(mem, third)).supersededBy).toBe(first);
    const survivor = await record(mem, first);
    expect(survivor.supersededBy).toBeUndefined();
    expect(survivor.confidence).toBe(0.8);
    expect(survivor.accessCount).toBe(3);
    for (const id of [otherScope, otherAgent, different]) expect((await record(mem, id)).supersededBy).toBeUndefined();

    // Recall returns the survivor once, by keyword, vector and hybrid.
    const keyword = await mem.semantic.recall({ agentId: 'A', text: 'meeting friday', filter: { scope: 'episodic' }, limit: 10 });
    expect(keyword.map((r) => r.memory.id).sort()).toEqual([first, different].sort());
    // The twins' vectors (nearer the query than `different`) are gone: k = 2 yields both live memories.
    const vector = await mem.semantic.recall({ agentId: 'A', embedding: [1, 0.2, 0, 0], filter: { scope: 'episodic' }, limit: 2 });
    expect(vector.map((r) => r.memory.id)).toEqual([first, different]);
    const hybrid = await mem.semantic.recall({ agentId: 'A', text: 'meeting', embedding: [1, 0.2, 0, 0], limit: 10 });
    expect(hybrid.filter((r) => [first, second, third].includes(r.memory.id)).map((r) => r.memory.id)).toEqual([first]);
    // The survivor's raised confidence is what minConfidence sees.
    const confident = await mem.semantic.recall({ agentId: 'A', embedding: [1, 0.1, 0, 0], filter: { minConfidence: 0.75, scope: 'episodic' } });
    expect(confident[0]?.memory.id).toBe(first);

    // Nothing left to merge; the merge is recorded in the audit log.
    expect(await mem.consolidation.consolidate()).toMatchObject({ merged: 0 });
    expect((await mem.audit.entries({})).some((e) => e.action === 'memory.consolidate')).toBe(true);
  });

  it('a survivor without a vector adopts its twin\u2019s; forgetting the survivor forgets its twins', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    const first = await mem.semantic.remember({ agentId: 'A', content: 'kiwi fact' });
    clock.advance(1000);
    const second = await mem.semantic.remember({ agentId: 'A', content: 'kiwi fact', embedding: [0, 1, 0, 0] });
    expect(await mem.consolidation.consolidate()).toMatchObject({ merged: 1 });
    expect((await record(mem, second)).supersededBy).toBe(first);
    expect((await record(mem, first)).embedding?.[1]).toBeCloseTo(1, 6);
    expect((await mem.semantic.recall({ agentId: 'A', embedding: [0, 1, 0, 0] })).map((r) => r.memory.id)).toEqual([first]);

    expect(await mem.semantic.forget(first)).toBe(true);
    expect(await mem.semantic.get(second)).toBeUndefined();
    expect(await mem.semantic.recall({ agentId: 'A', embedding: [0, 1, 0, 0] })).toEqual([]);
    expect(await mem.semantic.recall({ agentId: 'A', text: 'kiwi' })).toEqual([]);
  });

  it('merge and decay results survive a restart', async () => {
    const clock = new ManualClock();
    const inst = await open({ clock: clock.fn });
    const a = await inst.mem.semantic.remember({ agentId: 'A', content: 'same words', confidence: 0.5 });
    const b = await inst.mem.semantic.remember({ agentId: 'A', content: 'same words', confidence: 0.5 });
    clock.advance(8 * DAY);
    expect(await inst.mem.consolidation.consolidate()).toMatchObject({ decayed: 2, merged: 1 });
    await inst.reopen();
    expect((await record(inst.mem, b)).supersededBy).toBe(a);
    expect((await record(inst.mem, a)).confidence).toBeCloseTo(0.45, 10);
  });
});
