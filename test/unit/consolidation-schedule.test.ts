import { expect, it } from 'vitest';
import { MemorySubstrate } from '../../src/index.js';
import { startConsolidationSchedule, SYSTEM_AGENT_ID } from '../../src/core/consolidation-schedule.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

it('runs consolidation every interval and records the last run', async () => {
  const mem = await MemorySubstrate.open({ sqlitePath: ':memory:', consolidationIntervalHours: 0.0001 }, { env: {} });
  try {
    const schedule = await startConsolidationSchedule(mem, silent);
    await new Promise((r) => setTimeout(r, 1000));
    await schedule.stop();
    const runs = (await mem.audit.entries({ limit: 100 })).filter((e) => e.action === 'memory.consolidate');
    expect(runs.length).toBeGreaterThanOrEqual(1);
    expect(runs.length).toBeLessThanOrEqual(3);
    expect(typeof (await mem.structured.get(SYSTEM_AGENT_ID, 'consolidation.lastRunAt'))).toBe('number');
  } finally {
    await mem.close();
  }
});

it('waits one interval after the recorded last run, and 0 disables it', async () => {
  const mem = await MemorySubstrate.open({ sqlitePath: ':memory:', consolidationIntervalHours: 1 }, { env: {} });
  try {
    await mem.structured.set(SYSTEM_AGENT_ID, 'consolidation.lastRunAt', Date.now());
    const schedule = await startConsolidationSchedule(mem, silent);
    await new Promise((r) => setTimeout(r, 200));
    await schedule.stop();
    expect((await mem.audit.entries({ limit: 100 })).filter((e) => e.action === 'memory.consolidate')).toEqual([]);
  } finally {
    await mem.close();
  }
  const off = await MemorySubstrate.open({ sqlitePath: ':memory:', consolidationIntervalHours: 0 }, { env: {} });
  try {
    const schedule = await startConsolidationSchedule(off, silent);
    await schedule.stop();
    expect(await off.structured.get(SYSTEM_AGENT_ID, 'consolidation.lastRunAt')).toBeUndefined();
  } finally {
    await off.close();
  }
});
