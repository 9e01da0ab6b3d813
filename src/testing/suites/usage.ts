import { expect, it } from 'vitest';
import type { UsageInput } from '../../contracts/usage-store.js';
import type { MemorySubstrate } from '../../index.js';
import { defineSuite } from '../conformance.js';
import { ManualClock } from '../clock.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;
const MINUTE = 60_000;

function call(overrides: Partial<UsageInput> = {}): UsageInput {
  return { agentId: 'agent-a', model: 'model-x', inputTokens: 100, outputTokens: 50, costUsd: 1, ...overrides };
}

async function recordAt(mem: MemorySubstrate, timestamp: number, costUsd: number, overrides: Partial<UsageInput> = {}): Promise<void> {
  await mem.usage.record(call({ timestamp, costUsd, ...overrides }));
}

export const usageSuite = defineSuite('usage', ({ open }) => {
  it('records events and sums them all-time, per agent or for all agents', async () => {
    const mem = (await open()).mem;
    const id1 = await mem.usage.record(call({ inputTokens: 10, outputTokens: 20, costUsd: 0.5, toolCalls: 3 }));
    const id2 = await mem.usage.record(call({ inputTokens: 1, outputTokens: 2, costUsd: 0.25 }));
    const id3 = await mem.usage.record(call({ agentId: 'agent-b', inputTokens: 1000, outputTokens: 0, costUsd: 2, toolCalls: 1 }));
    expect(new Set([id1, id2, id3]).size).toBe(3);
    expect(await mem.usage.summary('agent-a')).toStrictEqual({ totalInputTokens: 11, totalOutputTokens: 22, totalCostUsd: 0.75, callCount: 2, totalToolCalls: 3 });
    expect(await mem.usage.summary('agent-b')).toStrictEqual({ totalInputTokens: 1000, totalOutputTokens: 0, totalCostUsd: 2, callCount: 1, totalToolCalls: 1 });
    expect(await mem.usage.summary()).toStrictEqual({ totalInputTokens: 1011, totalOutputTokens: 22, totalCostUsd: 2.75, callCount: 3, totalToolCalls: 4 });
    expect(await mem.usage.summary('agent-c')).toStrictEqual({ totalInputTokens: 0, totalOutputTokens: 0, totalCostUsd: 0, callCount: 0, totalToolCalls: 0 });
  });

  it('returns zeros and no first event on an empty store', async () => {
    const mem = (await open()).mem;
    expect(await mem.usage.summary()).toStrictEqual({ totalInputTokens: 0, totalOutputTokens: 0, totalCostUsd: 0, callCount: 0, totalToolCalls: 0 });
    expect(await mem.usage.costLastHour()).toBe(0);
    expect(await mem.usage.costToday('agent-a')).toBe(0);
    expect(await mem.usage.costThisMonth()).toBe(0);
    expect(await mem.usage.byModel()).toEqual([]);
    expect(await mem.usage.firstEventAt()).toBeUndefined();
    expect(await mem.usage.cleanupOlderThan(0)).toBe(0);
  });

  it('the last hour is (now − 1 h, now]: an event 2 hours old is not in it (G-3)', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    const now = clock.now;
    await recordAt(mem, now - 2 * HOUR, 1);
    await recordAt(mem, now - HOUR, 2);
    await recordAt(mem, now - HOUR + 1, 4);
    await recordAt(mem, now - MINUTE, 8);
    await recordAt(mem, now, 16);
    await recordAt(mem, now + 1, 32);
    expect(await mem.usage.costLastHour('agent-a')).toBe(28);
    expect(await mem.usage.costLastHour()).toBe(28);
    expect(await mem.usage.costLastHour('agent-b')).toBe(0);
    clock.advance(HOUR);
    expect(await mem.usage.costLastHour()).toBe(32);
  });

  it('separates agents in every window, and sums all agents when none is given', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    await recordAt(mem, clock.now, 1, { agentId: 'agent-a' });
    await recordAt(mem, clock.now, 2, { agentId: 'agent-b' });
    await recordAt(mem, clock.now - 3 * HOUR, 4, { agentId: 'agent-b' });
    await recordAt(mem, clock.now - 3 * DAY, 8, { agentId: 'agent-b' });
    expect([await mem.usage.costLastHour('agent-a'), await mem.usage.costToday('agent-a'), await mem.usage.costThisMonth('agent-a')]).toEqual([1, 1, 1]);
    expect([await mem.usage.costLastHour('agent-b'), await mem.usage.costToday('agent-b'), await mem.usage.costThisMonth('agent-b')]).toEqual([2, 6, 14]);
    expect([await mem.usage.costLastHour(), await mem.usage.costToday(), await mem.usage.costThisMonth()]).toEqual([3, 7, 15]);
  });

  it('today starts at 00:00 UTC: events across midnight fall on the right day', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 22, 0, 30));
    const mem = (await open({ clock: clock.fn })).mem;
    const midnight = Date.UTC(2026, 10, 22);
    await recordAt(mem, midnight - 10 * MINUTE, 1);
    await recordAt(mem, midnight - 1, 2);
    await recordAt(mem, midnight, 4);
    await recordAt(mem, midnight + 10 * MINUTE, 8);
    expect(await mem.usage.costToday('agent-a')).toBe(12);
    expect(await mem.usage.costToday()).toBe(12);
    expect(await mem.usage.costLastHour()).toBe(15);
    expect(await mem.usage.costThisMonth()).toBe(15);
    clock.set(midnight - 1);
    expect(await mem.usage.costToday()).toBe(3);
  });

  it('this month starts at 00:00 UTC of its first day: events across a month boundary', async () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 1, 0, 30));
    const mem = (await open({ clock: clock.fn })).mem;
    const december = Date.UTC(2026, 11, 1);
    await recordAt(mem, Date.UTC(2026, 10, 1), 1);
    await recordAt(mem, december - 15 * MINUTE, 2);
    await recordAt(mem, december, 4);
    await recordAt(mem, december + 20 * MINUTE, 8);
    expect(await mem.usage.costThisMonth('agent-a')).toBe(12);
    expect(await mem.usage.costThisMonth()).toBe(12);
    expect(await mem.usage.costToday()).toBe(12);
    expect(await mem.usage.costLastHour()).toBe(14);
    clock.set(Date.UTC(2026, 11, 31, 23, 59));
    expect(await mem.usage.costThisMonth()).toBe(12);
    expect(await mem.usage.costToday()).toBe(0);
    clock.set(Date.UTC(2027, 0, 1));
    expect(await mem.usage.costThisMonth()).toBe(0);
    clock.set(december - 1);
    expect(await mem.usage.costThisMonth()).toBe(3);
  });

  it('groups by model, ordered by total cost descending, then model', async () => {
    const mem = (await open()).mem;
    await mem.usage.record(call({ model: 'small', costUsd: 1, inputTokens: 1, outputTokens: 2 }));
    await mem.usage.record(call({ model: 'large', costUsd: 5, inputTokens: 10, outputTokens: 20, agentId: 'agent-b' }));
    await mem.usage.record(call({ model: 'small', costUsd: 1, inputTokens: 3, outputTokens: 4 }));
    await mem.usage.record(call({ model: 'alpha', costUsd: 2, inputTokens: 0, outputTokens: 0 }));
    expect(await mem.usage.byModel()).toStrictEqual([
      { model: 'large', totalCostUsd: 5, totalInputTokens: 10, totalOutputTokens: 20, callCount: 1 },
      { model: 'alpha', totalCostUsd: 2, totalInputTokens: 0, totalOutputTokens: 0, callCount: 1 },
      { model: 'small', totalCostUsd: 2, totalInputTokens: 4, totalOutputTokens: 6, callCount: 2 },
    ]);
  });

  it('breaks down the last N UTC days including today, oldest first, zero-filled', async () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 2, 9, 0));
    const mem = (await open({ clock: clock.fn })).mem;
    await recordAt(mem, Date.UTC(2026, 11, 2, 0, 0), 1, { inputTokens: 1, outputTokens: 1 });
    await recordAt(mem, Date.UTC(2026, 11, 2, 8, 59), 2, { inputTokens: 2, outputTokens: 3, agentId: 'agent-b' });
    await recordAt(mem, Date.UTC(2026, 11, 1, 23, 59, 59, 999), 4, { inputTokens: 10, outputTokens: 0 });
    await recordAt(mem, Date.UTC(2026, 10, 29, 12, 0), 8, { inputTokens: 0, outputTokens: 7 });
    await recordAt(mem, Date.UTC(2026, 10, 28, 23, 0), 16);
    expect(await mem.usage.dailyBreakdown(4)).toStrictEqual([
      { date: '2026-11-29', costUsd: 8, tokens: 7, calls: 1 },
      { date: '2026-11-30', costUsd: 0, tokens: 0, calls: 0 },
      { date: '2026-12-01', costUsd: 4, tokens: 10, calls: 1 },
      { date: '2026-12-02', costUsd: 3, tokens: 7, calls: 2 },
    ]);
    expect(await mem.usage.dailyBreakdown(1)).toStrictEqual([{ date: '2026-12-02', costUsd: 3, tokens: 7, calls: 2 }]);
    const year = await mem.usage.dailyBreakdown(366);
    expect(year).toHaveLength(366);
    expect(year[0]?.date).toBe('2025-12-02');
    expect(year.at(-1)?.date).toBe('2026-12-02');
    expect(year.reduce((sum, d) => sum + d.calls, 0)).toBe(5);
    expect(year.filter((d) => d.calls > 0).map((d) => d.date)).toEqual(['2026-11-28', '2026-11-29', '2026-12-01', '2026-12-02']);
  });

  it('rejects a day count outside 1..3660 with VALIDATION', async () => {
    const mem = (await open()).mem;
    for (const days of [0, -1, 3661, 1.5, NaN, '7']) {
      await expect(mem.usage.dailyBreakdown(days as number)).rejects.toMatchObject({ code: 'VALIDATION' });
    }
    expect(await mem.usage.dailyBreakdown(3660)).toHaveLength(3660);
  });

  it('firstEventAt is the oldest timestamp; record defaults the timestamp to now', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    await mem.usage.record(call());
    expect(await mem.usage.firstEventAt()).toBe(clock.now);
    await recordAt(mem, clock.now - 5 * DAY, 1);
    await recordAt(mem, clock.now - DAY, 1);
    expect(await mem.usage.firstEventAt()).toBe(clock.now - 5 * DAY);
  });

  it('cleanupOlderThan deletes events older than N days and returns the count', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    const now = clock.now;
    await recordAt(mem, now - 91 * DAY, 1);
    await recordAt(mem, now - 90 * DAY - 1, 2, { agentId: 'agent-b' });
    await recordAt(mem, now - 90 * DAY, 4);
    await recordAt(mem, now - DAY, 8);
    await recordAt(mem, now, 16);
    expect(await mem.usage.cleanupOlderThan(90)).toBe(2);
    expect(await mem.usage.summary()).toMatchObject({ callCount: 3, totalCostUsd: 28 });
    expect(await mem.usage.firstEventAt()).toBe(now - 90 * DAY);
    expect(await mem.usage.cleanupOlderThan(90)).toBe(0);
    expect(await mem.usage.cleanupOlderThan(0)).toBe(2);
    expect(await mem.usage.summary()).toMatchObject({ callCount: 1, totalCostUsd: 16 });
    for (const days of [-1, 1.5, NaN]) {
      await expect(mem.usage.cleanupOlderThan(days)).rejects.toMatchObject({ code: 'VALIDATION' });
    }
    expect(await mem.usage.summary()).toMatchObject({ callCount: 1 });
  });

  it('defaults toolCalls to 0 and accepts zero tokens and cost', async () => {
    const mem = (await open()).mem;
    await mem.usage.record({ agentId: 'agent-a', model: 'm', inputTokens: 0, outputTokens: 0, costUsd: 0 });
    expect(await mem.usage.summary()).toStrictEqual({ totalInputTokens: 0, totalOutputTokens: 0, totalCostUsd: 0, callCount: 1, totalToolCalls: 0 });
  });

  it('rejects bad usage with VALIDATION and writes nothing', async () => {
    const mem = (await open()).mem;
    const bad: unknown[] = [
      null,
      call({ agentId: '' }),
      call({ agentId: 'a'.repeat(257) }),
      call({ model: '' }),
      call({ model: 'm'.repeat(257) }),
      call({ model: 5 as unknown as string }),
      call({ inputTokens: -1 }),
      call({ inputTokens: 1.5 }),
      call({ outputTokens: NaN }),
      call({ outputTokens: undefined as unknown as number }),
      call({ costUsd: -0.01 }),
      call({ costUsd: NaN }),
      call({ costUsd: Infinity }),
      call({ costUsd: '1' as unknown as number }),
      call({ toolCalls: -1 }),
      call({ toolCalls: 0.5 }),
      call({ timestamp: -5 }),
      call({ timestamp: 1.5 }),
    ];
    for (const input of bad) {
      await expect(mem.usage.record(input as UsageInput)).rejects.toMatchObject({ code: 'VALIDATION' });
    }
    await expect(mem.usage.costLastHour('')).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.usage.summary('')).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(await mem.usage.summary()).toMatchObject({ callCount: 0 });
    expect(await mem.usage.firstEventAt()).toBeUndefined();
    // The longest model name is accepted.
    await mem.usage.record(call({ model: 'm'.repeat(256) }));
    expect(await mem.usage.summary()).toMatchObject({ callCount: 1 });
  });

  it('bounds each event to real-world sizes (1e9 tokens, 1e6 tool calls, $1e6) and sums maximal events exactly on every read', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    for (const over of [
      call({ inputTokens: 1_000_000_001 }),
      call({ outputTokens: Number.MAX_SAFE_INTEGER }),
      call({ costUsd: 1_000_000.01 }),
      call({ costUsd: Number.MAX_VALUE }),
      call({ toolCalls: 1_000_001 }),
    ]) {
      await expect(mem.usage.record(over)).rejects.toMatchObject({ code: 'VALIDATION' });
    }
    const max = { inputTokens: 1_000_000_000, outputTokens: 1_000_000_000, costUsd: 1_000_000, toolCalls: 1_000_000 };
    for (let i = 0; i < 7; i++) await mem.usage.record(call({ ...max, timestamp: clock.now - i }));
    expect(await mem.usage.summary()).toStrictEqual({
      totalInputTokens: 7_000_000_000,
      totalOutputTokens: 7_000_000_000,
      totalCostUsd: 7_000_000,
      callCount: 7,
      totalToolCalls: 7_000_000,
    });
    expect(await mem.usage.costLastHour()).toBe(7_000_000);
    expect(await mem.usage.costToday()).toBe(7_000_000);
    expect(await mem.usage.byModel()).toStrictEqual([
      { model: 'model-x', totalCostUsd: 7_000_000, totalInputTokens: 7_000_000_000, totalOutputTokens: 7_000_000_000, callCount: 7 },
    ]);
    expect((await mem.usage.dailyBreakdown(1))[0]).toMatchObject({ costUsd: 7_000_000, tokens: 14_000_000_000, calls: 7 });
  });

  it('keeps events across a restart', async () => {
    const clock = new ManualClock();
    const inst = await open({ clock: clock.fn });
    await recordAt(inst.mem, clock.now - 10 * MINUTE, 1.25, { toolCalls: 2 });
    await recordAt(inst.mem, clock.now - 3 * DAY, 2, { model: 'model-y' });
    await inst.reopen();
    const mem = inst.mem;
    expect(await mem.usage.summary()).toStrictEqual({ totalInputTokens: 200, totalOutputTokens: 100, totalCostUsd: 3.25, callCount: 2, totalToolCalls: 2 });
    expect(await mem.usage.costLastHour()).toBe(1.25);
    expect(await mem.usage.firstEventAt()).toBe(clock.now - 3 * DAY);
    expect((await mem.usage.byModel()).map((m) => m.model)).toEqual(['model-y', 'model-x']);
  });
});
