import { expect, it } from 'vitest';
import { registeredBackends } from '../../index.js';
import { defineSuite } from '../conformance.js';

export const substrateSuite = defineSuite('substrate', ({ open, cell }) => {
  it('reports the capabilities its backends declare (info, and refined by the opened instance)', async () => {
    const { mem } = await open();
    const backends = cell.backends?.all() ?? registeredBackends();
    const main = backends.find((d) => d.name === cell.main)?.main?.capabilities;
    expect(mem.info.capabilities.main).toEqual(main);
    const declaredSemantic = backends.find((d) => d.name === cell.semantic)?.semantic?.capabilities;
    expect(declaredSemantic, `no semantic backend "${cell.semantic}" is registered`).toBeDefined();
    const { sharedTransactions, ...declared } = declaredSemantic!;
    expect(mem.info.capabilities.semantic).toMatchObject(declared);
    // Only where the cell says so (e.g. a semantic store in the main store's own SQLite file) are transactions shared.
    expect(mem.info.capabilities.semantic.sharedTransactions).toBe(cell.sharedTransactions);
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
