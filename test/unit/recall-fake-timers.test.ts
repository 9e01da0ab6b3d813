import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { MemorySubstrate } from '../../src/index.js';

/**
 * A hybrid recall starts its keyword search on the event loop's next turn (core/semantic-service.ts),
 * so that the vector search's first statement goes out first. Callers' tests often install fake
 * timers (vi.useFakeTimers() fakes setImmediate too): every recall mode must still answer.
 */
const realSetTimeout = globalThis.setTimeout;
afterEach(() => vi.useRealTimers());

it('recall answers in every mode while the caller has fake timers installed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'memstrate-fake-timers-'));
  const mem = await MemorySubstrate.open({ sqlitePath: join(dir, 'm.db'), auditAnchorPath: join(dir, 'm.anchor') }, { env: {} });
  try {
    const embedding = [1, 0, 0, 0];
    const id = await mem.semantic.remember({ agentId: 'a', content: 'the lighthouse keeper', embedding });
    vi.useFakeTimers();
    for (const mode of ['hybrid', 'vector', 'keyword'] as const) {
      const stalled = new Promise<'stalled'>((resolve) => realSetTimeout(() => resolve('stalled'), 3000));
      const got = await Promise.race([mem.semantic.recall({ agentId: 'a', text: 'lighthouse', embedding, mode, limit: 5 }), stalled]);
      expect(got, `${mode} recall under fake timers`).not.toBe('stalled');
      expect((got as { memory: { id: string } }[]).map((r) => r.memory.id)).toEqual([id]);
    }
  } finally {
    vi.useRealTimers();
    await mem.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
