import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, MemorySubstrate } from '../../src/index.js';
import { ManualClock } from '../../src/testing/clock.js';

/**
 * Retention settings: `runRetention()` (what `memstrate retention run` and the gateway's schedule
 * call) removes what each store no longer keeps, one audit entry per store that removed something,
 * and never prunes the audit log.
 */
const dir = mkdtempSync(join(tmpdir(), 'memstrate-retention-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const DAY = 86_400_000;
let n = 0;

async function open(config: Record<string, unknown>, clock: ManualClock): Promise<MemorySubstrate> {
  const path = join(dir, `r-${n++}.db`);
  return MemorySubstrate.open({ sqlitePath: path, auditAnchorPath: `${path}.anchor`, ...config }, { env: {}, clock: clock.fn });
}

describe('retention', () => {
  it('removes old memories, sessions, usage events and task results as configured; one audit entry per store; the audit log stays', async () => {
    const clock = new ManualClock();
    const mem = await open({ retentionMemoriesDays: 30, retentionSessionsDays: 7, retentionUsageDays: 60, retentionTaskResultsDays: 3 }, clock);
    const oldMemory = await mem.semantic.remember({ agentId: 'a', content: 'from long ago' });
    const oldSession = await mem.sessions.create('a');
    await mem.usage.record({ agentId: 'a', model: 'm', inputTokens: 1, outputTokens: 1, costUsd: 0.01 });
    const task = await mem.tasks.post({ title: 't', createdBy: 'a' });
    const claimed = await mem.tasks.claim('w');
    await mem.tasks.complete(task, 'done', { token: claimed?.token as string });
    await mem.structured.set('a', 'ttl', 1, { ttlMs: DAY });
    await mem.semantic.remember({ agentId: 'a', content: 'brief', ttlMs: DAY });
    clock.advance(100 * DAY);
    const newMemory = await mem.semantic.remember({ agentId: 'a', content: 'recent' });
    const newSession = await mem.sessions.create('a');
    await mem.usage.record({ agentId: 'a', model: 'm', inputTokens: 1, outputTokens: 1, costUsd: 0.01 });
    const pending = await mem.tasks.post({ title: 'not done yet', createdBy: 'a' });
    const before = (await mem.audit.tip()).seq;

    expect(await mem.runRetention()).toEqual({ kvExpired: 1, memoriesExpired: 1, memories: 1, sessions: 1, usageEvents: 1, taskResults: 1 });
    expect(await mem.semantic.get(oldMemory)).toBeUndefined();
    expect(await mem.semantic.get(newMemory)).toBeDefined();
    expect(await mem.sessions.get(oldSession.id)).toBeUndefined();
    expect(await mem.sessions.get(newSession.id)).toBeDefined();
    expect((await mem.usage.summary()).callCount).toBe(1);
    expect(await mem.tasks.get(task)).toBeUndefined();
    expect(await mem.tasks.get(pending)).toBeDefined();

    const entries = await mem.audit.entries({ after: before, limit: 100 });
    expect(entries.map((e) => e.action).sort()).toEqual(['kv.purge_expired', 'memory.delete_where', 'memory.purge_expired', 'session.cleanup', 'task.cleanup', 'usage.cleanup']);
    expect((await mem.audit.verify()).ok).toBe(true);
    expect((await mem.audit.entries({ after: 0, limit: 1 }))[0]?.seq).toBe(1); // never pruned

    // Nothing more to remove: zeros and no entry.
    const tip = (await mem.audit.tip()).seq;
    expect(await mem.runRetention()).toEqual({ kvExpired: 0, memoriesExpired: 0, memories: 0, sessions: 0, usageEvents: 0, taskResults: 0 });
    expect((await mem.audit.tip()).seq).toBe(tip);
    await mem.close();
  });

  it('keeps everything when no retention is set (expired KV entries still go)', async () => {
    const clock = new ManualClock();
    const mem = await open({}, clock);
    await mem.semantic.remember({ agentId: 'a', content: 'kept forever' });
    await mem.sessions.create('a');
    clock.advance(10_000 * DAY);
    expect(await mem.runRetention()).toEqual({ kvExpired: 0, memoriesExpired: 0, memories: 0, sessions: 0, usageEvents: 0, taskResults: 0 });
    expect(await mem.semantic.count({ allAgents: true })).toBe(1);
    await mem.close();
  });

  it('a retention setting must be a whole number of days, 1..1e8', async () => {
    for (const bad of [0, -1, 1.5, 1e9, '30']) {
      await expect(open({ retentionMemoriesDays: bad }, new ManualClock())).rejects.toBeInstanceOf(ConfigError);
    }
  });
});
