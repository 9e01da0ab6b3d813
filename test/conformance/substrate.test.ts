import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { MemorySubstrate, registeredBackends } from '../../src/index.js';
import { declaredSemantic } from '../harness/capabilities.js';
import { conformance } from '../harness/conformance.js';

conformance('substrate', ({ open, cell }) => {
  it('reports the capabilities its backends declare (info, and refined by the opened instance)', async () => {
    const { mem } = await open();
    const main = registeredBackends().find((d) => d.name === cell.main)?.main?.capabilities;
    expect(mem.info.capabilities.main).toEqual(main);
    const { sharedTransactions, ...declared } = declaredSemantic(cell.semantic);
    expect(mem.info.capabilities.semantic).toMatchObject(declared);
    // Only a semantic store in the main store's own SQLite file shares its transactions.
    expect(mem.info.capabilities.semantic.sharedTransactions).toBe(cell.main === 'sqlite' && cell.semantic === 'sqlite');
    expect(typeof sharedTransactions).toBe('boolean');
  });

  it('reports what it runs on', async () => {
    const { mem } = await open();
    expect(mem.info).toMatchObject({ backend: cell.main, semanticBackend: cell.semantic });
    expect(mem.info.schemaVersion).toMatch(/^\d{4}_/);
    expect(mem.info.embedding).toEqual({ provider: 'none', model: undefined, dimensions: undefined });
    await mem.remember({ agentId: 'a', content: 'x', embedding: [1, 0, 0] });
    expect(mem.info.embedding.dimensions).toBe(3);
    const health = await mem.health();
    expect(health.ok).toBe(true);
    expect(health.backends.map((b) => b.name)).toEqual([`main:${cell.main}`, `semantic:${cell.semantic}`]);
    for (const b of health.backends) expect(b.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('the facade delegates to the stores', async () => {
    const { mem } = await open();
    await mem.set('agent-1', 'color', 'blue');
    expect(await mem.get('agent-1', 'color')).toBe('blue');
    expect(await mem.structured.get('agent-1', 'color')).toBe('blue');
    expect(await mem.delete('agent-1', 'color')).toBe(true);
    expect(await mem.get('agent-1', 'color')).toBeUndefined();
  });

  it('text no backend can store unchanged (NUL, lone surrogates) is rejected everywhere, nothing written', async () => {
    const { mem } = await open();
    const bad = ['a\u0000b', 'x\ud800y'];
    for (const text of bad) {
      await expect(mem.set('agent-1', text, 1)).rejects.toMatchObject({ code: 'VALIDATION' });
      await expect(mem.set('agent-1', 'k', { note: text })).rejects.toMatchObject({ code: 'VALIDATION' });
      await expect(mem.set('agent-1', 'k', { [text]: 1 })).rejects.toMatchObject({ code: 'VALIDATION' });
      await expect(mem.remember({ agentId: 'agent-1', content: text })).rejects.toMatchObject({ code: 'VALIDATION' });
      await expect(mem.remember({ agentId: 'agent-1', content: 'ok', metadata: { tag: text } })).rejects.toMatchObject({ code: 'VALIDATION' });
      await expect(mem.tasks.post({ title: text })).rejects.toMatchObject({ code: 'VALIDATION' });
      await expect(mem.audit.append({ agentId: 'a', action: 'x', detail: text, outcome: 'ok' })).rejects.toMatchObject({ code: 'VALIDATION' });
    }
    expect(await mem.structured.list('agent-1')).toEqual([]);
    expect(await mem.tasks.list()).toEqual([]);
    expect((await mem.audit.tip()).seq).toBe(0);
    // Well-formed text outside the BMP is fine.
    await mem.set('agent-1', 'emoji', '😀 ok');
    expect(await mem.get('agent-1', 'emoji')).toBe('😀 ok');
  });

  it('close is idempotent and later calls fail with a typed error', async () => {
    const { mem } = await open();
    await mem.close();
    await mem.close();
    await expect(mem.structured.get('a', 'k')).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
  });
});

it('a bad configuration fails open with one ConfigError and creates nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'memstrate-cfg-'));
  try {
    const sqlitePath = join(dir, 'sub', 'memstrate.db');
    const error = await MemorySubstrate.open(
      { sqlitePath, backend: 'mysql' as 'sqlite', postgresPoolSize: 0, bogus: 1 } as never,
      { env: {} },
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
    expect((error as { problems: string[] }).problems.length).toBe(3);
    expect(existsSync(join(dir, 'sub'))).toBe(false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('a backend this version does not ship fails open with NOT_SUPPORTED, never a silent fallback', async () => {
  await expect(
    MemorySubstrate.open({ sqlitePath: ':memory:', semanticBackend: 'qdrant' }, { env: {} }),
  ).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
});
