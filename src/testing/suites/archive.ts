import { expect, it } from 'vitest';
import { gunzipSync } from 'node:zlib';
import type { MemorySubstrate } from '../../index.js';
import { defineSuite } from '../conformance.js';

/** Seeds a store with every kind of record: memories (vectors, keyed, expiring, merged, accessed), KV (versions, ttl), agents, entities, relations, sessions, canonical sessions, usage, devices, tasks. */
export async function seedEveryKind(mem: MemorySubstrate): Promise<void> {
  for (const agentId of ['alpha', 'beta']) {
    const [first] = await mem.semantic.rememberMany([
      { agentId, content: `${agentId} likes green tea`, embedding: [0.1, 0.2, 0.3, 0.4], scope: 'prefs', metadata: { tag: 'tea', n: 1.5, nested: { a: [1, 'x'] } } },
      { agentId, content: `${agentId} lives in Lisbon`, embedding: [0.9, -0.1, 0.2, 0], source: 'document', confidence: 0.7, key: 'home' },
      { agentId, content: `${agentId} twin`, embedding: [0, 0, 1, 0] },
      { agentId, content: `${agentId} twin`, embedding: [0, 0, 1, 0] },
      { agentId, content: `${agentId} soon gone`, embedding: [0, 1, 0, 0], ttlMs: 3_600_000 },
      { agentId, content: `${agentId} without vector`, scope: 'plain' },
    ]);
    await mem.semantic.get(first as string);
    await mem.structured.set(agentId, 'counter', 1);
    await mem.structured.set(agentId, 'counter', 2);
    await mem.structured.set(agentId, 'temp', { x: 'é😀' }, { ttlMs: 3_600_000 });
    await mem.structured.saveAgent({ id: agentId, name: `Agent ${agentId}` });
    const a = await mem.knowledge.addEntity({ agentId, entityType: 'person', name: `${agentId} Ann`, properties: { age: 40 } });
    const b = await mem.knowledge.addEntity({ agentId, entityType: 'city', name: 'Lisbon' });
    await mem.knowledge.addRelation({ agentId, source: a, relation: 'lives_in', target: b, confidence: 0.9 });
    const session = await mem.sessions.create(agentId, { label: 'chat' });
    await mem.sessions.save({ ...session, messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }] });
    await mem.sessions.appendCanonical(agentId, [{ role: 'user', content: 'remember me' }]);
    await mem.usage.record({ agentId, model: 'm-1', inputTokens: 10, outputTokens: 5, costUsd: 0.25, toolCalls: 1 });
    await mem.tasks.post({ title: `${agentId} task`, createdBy: agentId, payload: { step: 1 } });
  }
  await mem.tasks.claim('beta');
  await mem.devices.save({ deviceId: 'dev-1', displayName: 'Phone', platform: 'ios', pairedAt: 1_700_000_000_000, lastSeen: 1_700_000_100_000, pushToken: 'tok' });
  await mem.consolidate(); // merges the twins
}

/** The whole archive as bytes. */
export async function exportBytes(mem: MemorySubstrate, options?: Parameters<MemorySubstrate['export']>[0]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of mem.export(options)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The records of an archive (no header, trailer or audit entries), sorted by type and id, for comparison. */
export function records(archive: Buffer): Record<string, unknown>[] {
  const text = (archive[0] === 0x1f ? gunzipSync(archive) : archive).toString('utf8');
  const lines = text.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as Record<string, unknown>);
  return lines
    .filter((l) => !['header', 'trailer', 'audit_entry'].includes(l.type as string))
    .sort((x, y) => {
      const kx = `${x.type as string}\u0000${JSON.stringify([x.id, x.agent_id, x.key, x.device_id])}`;
      const ky = `${y.type as string}\u0000${JSON.stringify([y.id, y.agent_id, y.key, y.device_id])}`;
      return kx < ky ? -1 : kx > ky ? 1 : 0;
    });
}

/** Expects the same records, vectors within 1e-6. */
export function expectSameRecords(actual: Record<string, unknown>[], expected: Record<string, unknown>[]): void {
  expect(actual.length).toBe(expected.length);
  const strip = (r: Record<string, unknown>) => {
    const { embedding, ...rest } = r;
    return rest;
  };
  expect(actual.map(strip)).toEqual(expected.map(strip));
  actual.forEach((r, i) => {
    const want = expected[i]?.embedding as number[] | undefined;
    const got = r.embedding as number[] | undefined;
    expect(got === undefined).toBe(want === undefined);
    if (got && want) {
      expect(got.length).toBe(want.length);
      got.forEach((x, j) => expect(Math.abs(x - (want[j] as number))).toBeLessThan(1e-6));
    }
  });
}

/**
 * Export / import: an archive of a store with every kind of record imports into a fresh store of
 * the same cell and yields the same records; altered archives are refused; a dry run writes nothing;
 * onConflict; an interrupted import resumes without duplicates.
 */
export const archiveSuite = defineSuite('archive', ({ open }) => {
  /** Exports, or skips the test where the cell offers no archive (NOT_SUPPORTED). */
  const exportOrSkip = async (mem: MemorySubstrate, skip: (note: string) => void, options?: Parameters<MemorySubstrate['export']>[0]): Promise<Buffer> => {
    try {
      return await exportBytes(mem, options);
    } catch (error) {
      if ((error as { code?: string }).code === 'NOT_SUPPORTED') skip(`the cell offers no archive: ${(error as Error).message}`);
      throw error;
    }
  };

  it('round trip: every kind of record, with ids, contents, vectors, versions and timestamps, into a fresh store; a re-run imports nothing twice', async ({ skip }) => {
    const { mem } = await open();
    await seedEveryKind(mem);
    const tipBefore = (await mem.audit.tip()).seq;
    const archive = await exportOrSkip(mem, skip);
    expect((await mem.audit.tip()).seq).toBe(tipBefore + 1); // exactly one entry for the export
    const source = records(archive);
    const types = new Set(source.map((r) => r.type));
    for (const t of ['agent', 'kv', 'entity', 'relation', 'session', 'canonical_session', 'usage_event', 'device', 'task', 'memory']) expect(types).toContain(t);
    expect(source.some((r) => r.type === 'memory' && typeof r.supersededBy === 'string')).toBe(true);
    const last = (await mem.audit.entries({ after: (await mem.audit.tip()).seq - 1 }))[0];
    expect(last).toMatchObject({ action: 'archive.export' });
    expect(last?.detail).not.toContain('green tea');

    const { mem: target } = await open();
    const targetBefore = (await target.audit.tip()).seq;
    const report = await target.import(new Uint8Array(archive));
    expect((await target.audit.tip()).seq).toBe(targetBefore + 1); // exactly one entry for the import
    expect(report.auditSeq).toBe(targetBefore + 1);
    for (const [type, r] of Object.entries(report.stores)) {
      expect(r.failed, type).toEqual([]);
      if (type !== 'audit_entry') expect(r.imported, type).toBe(r.total);
    }
    expect(report.stores.audit_entry.skipped).toBe(report.stores.audit_entry.total);
    expect(report.stores.audit_entry.total).toBeGreaterThan(0);
    expectSameRecords(records(await exportBytes(target)), source);
    const entry = (await target.audit.entries({ after: (report.auditSeq as number) - 1, limit: 1 }))[0];
    expect(entry).toMatchObject({ action: 'archive.import' });
    expect(entry?.detail).not.toContain('green tea');

    // Again: everything is already there — nothing is written twice.
    const again = await target.import(new Uint8Array(archive));
    for (const [type, r] of Object.entries(again.stores)) {
      expect(r.imported, type).toBe(0);
      expect(r.skipped, type).toBe(r.total);
    }
    expectSameRecords(records(await exportBytes(target)), source);
    expect((await target.audit.verify()).ok).toBe(true);
    // The imported store works: recall finds imported memories by keyword and by vector.
    expect((await target.recall({ agentId: 'alpha', text: 'Lisbon', mode: 'keyword' })).map((m) => m.memory.content)).toContain('alpha lives in Lisbon');
    expect((await target.recall({ agentId: 'alpha', embedding: [0.9, -0.1, 0.2, 0], mode: 'vector', limit: 1 }))[0]?.memory.content).toBe('alpha lives in Lisbon');
    expect(await target.get('alpha', 'counter')).toBe(2);
  }, 60_000);

  it('keyset paging: an export read one or two records at a time holds exactly the records of one read 500 at a time', async ({ skip }) => {
    const { mem } = await open();
    await seedEveryKind(mem);
    const whole = records(await exportOrSkip(mem, skip));
    expectSameRecords(records(await exportBytes(mem, { pageSize: 2 })), whole);
    expectSameRecords(records(await exportBytes(mem, { pageSize: 1, agents: ['beta'] })), records(await exportBytes(mem, { agents: ['beta'] })));
    expect(() => mem.export({ pageSize: 0 })).toThrow(/pageSize/);
    // Progress counts the records before the export starts: its total is what the trailer counts.
    for (const agents of [undefined, ['beta']]) {
      const seen: { records: number; total?: number }[] = [];
      const bytes = await exportBytes(mem, { pageSize: 3, onProgress: (p) => seen.push(p), ...(agents ? { agents } : {}) });
      const trailer = JSON.parse(bytes.toString('utf8').trim().split('\n').at(-1) as string) as { counts: Record<string, number> };
      const total = Object.values(trailer.counts).reduce((a, b) => a + b, 0);
      expect(seen.length).toBeGreaterThan(2);
      for (const p of seen) expect(p.total).toBe(total);
      expect(seen.at(-1)?.records).toBe(total);
    }
  }, 60_000);

  it('gzip, and filters by agent and store', async ({ skip }) => {
    const { mem } = await open();
    await seedEveryKind(mem);
    const gz = await exportOrSkip(mem, skip, { gzip: true, agents: ['beta'], stores: ['semantic', 'structured', 'tasks', 'devices'] });
    expect(gz[0]).toBe(0x1f);
    const got = records(gz);
    expect(got.length).toBeGreaterThan(0);
    for (const r of got) {
      expect(['memory', 'kv', 'agent', 'task']).toContain(r.type);
      if (r.type === 'memory') expect(r.agentId).toBe('beta');
      else if (r.type === 'agent') expect(r.id).toBe('beta');
      else if (r.type === 'kv') expect(r.agent_id).toBe('beta');
    }
    const { mem: target } = await open();
    const report = await target.import(new Uint8Array(gz));
    expect(report.stores.memory.imported).toBe(got.filter((r) => r.type === 'memory').length);
    expect(await target.get('alpha', 'counter')).toBeUndefined();
    expect(await target.get('beta', 'counter')).toBe(2);
    expect(() => mem.export({ stores: ['bogus' as never] })).toThrow(/bogus/);
    expect(() => mem.export({ agnets: ['a'] } as never)).toThrow(/agnets/);
  }, 60_000);

  it('an altered archive is refused before anything is written; a dry run validates and writes nothing', async ({ skip }) => {
    const { mem } = await open();
    await seedEveryKind(mem);
    const archive = await exportOrSkip(mem, skip);
    const { mem: target } = await open();
    const at = archive.indexOf('green tea');
    expect(at).toBeGreaterThan(0);
    const flipped = Buffer.from(archive);
    flipped[at] = (flipped[at] as number) ^ 0x01; // one byte: "green tea" → "freen tea"
    await expect(target.import(new Uint8Array(flipped))).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringMatching(/hash/) });
    const truncated = archive.subarray(0, archive.lastIndexOf('{"type":"trailer"'));
    await expect(target.import(new Uint8Array(truncated))).rejects.toMatchObject({ code: 'VALIDATION' });
    const extraKey = Buffer.from(archive.toString('utf8').replace('"type":"kv",', '"type":"kv","bogus":1,'));
    await expect(target.import(new Uint8Array(extraKey))).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringMatching(/bogus/) });
    expect(await target.semantic.count({ allAgents: true })).toBe(0);
    expect(await target.get('alpha', 'counter')).toBeUndefined();

    const dry = await target.import(new Uint8Array(archive), { dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(dry.stores.memory.total).toBeGreaterThan(0);
    expect(dry.stores.memory.imported).toBe(0);
    expect(dry.auditSeq).toBeUndefined();
    expect(await target.semantic.count({ allAgents: true })).toBe(0);
    expect(await target.get('alpha', 'counter')).toBeUndefined();
    await expect(target.import(new Uint8Array(archive), { onConflict: 'merge' as never })).rejects.toMatchObject({ code: 'VALIDATION' });
  }, 60_000);

  it('onConflict: skip keeps, overwrite replaces, fail reports each conflicting record', async ({ skip }) => {
    const { mem } = await open();
    await seedEveryKind(mem);
    const archive = await exportOrSkip(mem, skip);
    const { mem: target } = await open();
    await target.import(new Uint8Array(archive));
    await target.set('alpha', 'counter', 'changed');

    const skipped = await target.import(new Uint8Array(archive), { onConflict: 'skip' });
    expect(skipped.stores.kv.imported).toBe(0);
    expect(await target.get('alpha', 'counter')).toBe('changed');

    const failed = await target.import(new Uint8Array(archive), { onConflict: 'fail' });
    expect(failed.stores.kv.failed.map((f) => f.id)).toContain('alpha/counter');
    expect(failed.stores.memory.failed).toHaveLength(failed.stores.memory.total);
    expect(await target.get('alpha', 'counter')).toBe('changed');

    const overwritten = await target.import(new Uint8Array(archive), { onConflict: 'overwrite' });
    expect(overwritten.stores.kv.imported).toBe(overwritten.stores.kv.total);
    expect(await target.get('alpha', 'counter')).toBe(2);
    expectSameRecords(records(await exportBytes(target)), records(archive));
  }, 60_000);

  it('an import interrupted after its first batch resumes on a re-run without duplicating anything', async ({ skip }) => {
    const { mem } = await open();
    await seedEveryKind(mem);
    const archive = await exportOrSkip(mem, skip);
    const { mem: target } = await open();
    let batches = 0;
    const crash = new Error('simulated crash');
    await expect(
      target.import(new Uint8Array(archive), {
        batchSize: 2,
        onProgress: (p) => {
          if (p.phase === 'write' && ++batches === 3) throw crash;
        },
      }),
    ).rejects.toBe(crash);
    const partial = records(await exportBytes(target));
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(records(archive).length);
    const resumed = await target.import(new Uint8Array(archive), { batchSize: 2 });
    expect(Object.values(resumed.stores).reduce((n, r) => n + r.skipped, 0)).toBeGreaterThanOrEqual(partial.length);
    expectSameRecords(records(await exportBytes(target)), records(archive));
  }, 60_000);
});
