import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { MemorySubstrate } from '../../src/index.js';
import { startConsolidationSchedule, SYSTEM_AGENT_ID } from '../../src/core/consolidation-schedule.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const HOUR = 3_600_000;
const MINUTE = 60_000;
const T0 = Date.UTC(2026, 10, 21, 12, 0, 0);

// The schedule keeps time with the global Date.now and setTimeout: both are faked, so intervals of an
// hour pass in an instant and nothing depends on how fast the machine is. setImmediate and
// performance stay real: `settle` uses them to let a run that a timer started finish.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: T0 });
});
afterEach(() => {
  vi.useRealTimers();
});

const runs = async (mem: MemorySubstrate) => (await mem.audit.entries({ limit: 100 })).filter((e) => e.action === 'memory.consolidate').length;
const lastRunAt = (mem: MemorySubstrate) => mem.structured.get(SYSTEM_AGENT_ID, 'consolidation.lastRunAt');

/**
 * Lets work started by a fired timer finish: 20 real event-loop turns, then, when `done` is given,
 * more until it holds (at most 10 s of real time; the assertions that follow report a shortfall).
 */
async function settle(done?: () => Promise<boolean>): Promise<void> {
  for (let turn = 0; turn < 20; turn++) await new Promise((r) => setImmediate(r));
  const deadline = performance.now() + 10_000;
  while (done && !(await done()) && performance.now() < deadline) await new Promise((r) => setImmediate(r));
}

/** Moves the fake clock by `ms`, firing due timers, then lets any run they started finish (`expectedRuns`: wait for that many). */
async function advance(mem: MemorySubstrate, ms: number, expectedRuns?: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
  await settle(expectedRuns === undefined ? undefined : async () => (await runs(mem)) >= expectedRuns && (await lastRunAt(mem)) === Date.now());
}

it('runs consolidation every interval and records the last run', async () => {
  const mem = await MemorySubstrate.open({ sqlitePath: ':memory:', consolidationIntervalHours: 1 }, { env: {} });
  try {
    const schedule = await startConsolidationSchedule(mem, silent);
    // Nothing recorded: the first run is one interval after the start, not at once.
    await advance(mem, HOUR - 1);
    expect(await runs(mem)).toBe(0);
    expect(await lastRunAt(mem)).toBeUndefined();
    await advance(mem, 1, 1);
    expect(await runs(mem)).toBe(1);
    expect(await lastRunAt(mem)).toBe(T0 + HOUR);
    // Then every interval.
    await advance(mem, HOUR - 1);
    expect(await runs(mem)).toBe(1);
    await advance(mem, 1, 2);
    expect(await runs(mem)).toBe(2);
    expect(await lastRunAt(mem)).toBe(T0 + 2 * HOUR);
    // stop() ends it: no run however long the clock goes on.
    await schedule.stop();
    await advance(mem, 10 * HOUR);
    expect(await runs(mem)).toBe(2);
    expect(await lastRunAt(mem)).toBe(T0 + 2 * HOUR);
  } finally {
    await mem.close();
  }
});

it('after a restart, the first run is one interval after the recorded last run (not one interval after the start)', async () => {
  const mem = await MemorySubstrate.open({ sqlitePath: ':memory:', consolidationIntervalHours: 1 }, { env: {} });
  try {
    // The previous process ran it 50 minutes ago: the next run is due in 10 minutes. A schedule that
    // ignored the record would run 60 minutes after the start instead (or at once).
    await mem.structured.set(SYSTEM_AGENT_ID, 'consolidation.lastRunAt', T0 - 50 * MINUTE);
    const schedule = await startConsolidationSchedule(mem, silent);
    await advance(mem, 10 * MINUTE - 1);
    expect(await runs(mem)).toBe(0);
    await advance(mem, 1, 1);
    expect(await runs(mem)).toBe(1);
    expect(await lastRunAt(mem)).toBe(T0 + 10 * MINUTE);
    await schedule.stop();
  } finally {
    await mem.close();
  }
});

it('consolidation_interval_hours = 0 disables it: no timer, no run however long the clock goes on', async () => {
  const off = await MemorySubstrate.open({ sqlitePath: ':memory:', consolidationIntervalHours: 0 }, { env: {} });
  try {
    const timersBefore = vi.getTimerCount();
    const schedule = await startConsolidationSchedule(off, silent);
    expect(vi.getTimerCount()).toBe(timersBefore);
    // Far past any interval a schedule that ignored 0 could have picked (a default of a day, a week…).
    await advance(off, 1000 * HOUR);
    expect(await runs(off)).toBe(0);
    expect(await lastRunAt(off)).toBeUndefined();
    await schedule.stop();
  } finally {
    await off.close();
  }
});

it('each scheduled run removes expired memories (counted in its memory.consolidate entry; nothing left for the retention purge)', async () => {
  const mem = await MemorySubstrate.open({ sqlitePath: ':memory:', consolidationIntervalHours: 1 }, { env: {} });
  try {
    const brief = await mem.semantic.remember({ agentId: 'A', content: 'gone within the hour', ttlMs: 30 * MINUTE });
    const kept = await mem.semantic.remember({ agentId: 'A', content: 'kept for a day', ttlMs: 24 * HOUR });
    const schedule = await startConsolidationSchedule(mem, silent);
    await advance(mem, HOUR, 1);
    const runs = (await mem.audit.entries({ limit: 100 })).filter((e) => e.action === 'memory.consolidate');
    expect(runs).toHaveLength(1);
    expect(JSON.parse(runs[0]?.detail as string)).toMatchObject({ expired: 1 });
    expect((await mem.audit.entries({ limit: 100 })).filter((e) => e.action === 'memory.purge_expired')).toEqual([]);
    expect(await mem.semantic.getMany([brief, kept])).toEqual([expect.objectContaining({ id: kept })]);
    await schedule.stop();
  } finally {
    await mem.close();
  }
});
