import { describe, expect, it } from 'vitest';
import { exportArchive, importArchive, type ArchiveDeps } from '../../src/core/archive.js';
import type { ArchivePage, ArchiveRow, ArchiveTable, MainArchive } from '../../src/contracts/archive.js';
import type { AuditEntry } from '../../src/contracts/audit-log.js';
import type { ProviderArchive } from '../../src/contracts/semantic-provider.js';
import type { MemoryRecord } from '../../src/contracts/semantic-store.js';
import { GENESIS_HASH, hashEntry } from '../../src/core/audit-chain.js';

/** A fake store of `memories` memories (ids m000000…), read page by page; counts the pages read. */
function fakeDeps(memories: number, audit: AuditEntry[] = []) {
  const reads: ArchivePage[] = [];
  const written: MemoryRecord[] = [];
  const entries: { action: string; detail: string }[] = [];
  const memory = (i: number): MemoryRecord => ({
    id: `m${String(i).padStart(6, '0')}`, agentId: 'a', content: `secret-${i}`, source: 'observation', scope: 'episodic', metadata: {}, confidence: 1,
    createdAt: i, accessedAt: i, accessCount: 0, embedding: [1, 0],
  });
  const semantic: ProviderArchive = {
    async exportRows(page) {
      reads.push(page);
      const start = page.cursor === undefined ? 0 : Number(page.cursor);
      const end = Math.min(memories, start + page.limit);
      const rows = Array.from({ length: end - start }, (_, k) => memory(start + k));
      return { rows, cursor: end < memories ? String(end) : undefined };
    },
    async importRows(rows) {
      written.push(...rows);
      return rows.map(() => 'created' as const);
    },
    countRows: async () => memories,
    vectorSpace: async () => ({ dimensions: 2, embedderId: 'caller' }),
    adoptVectorSpace: async () => {},
  };
  const main: MainArchive = {
    exportRows: async (_table: ArchiveTable) => ({ rows: [] as ArchiveRow[], cursor: undefined }),
    countRows: async () => 0,
    importRows: async (_table, rows) => rows.map(() => 'created' as const),
  };
  const deps: ArchiveDeps = {
    backend: 'fake',
    auditKeyed: true,
    source: { backend: 'fake', semanticBackend: 'fake', schemaVersion: '1' },
    embedder: { provider: 'none', model: null },
    main,
    semantic,
    audit: {
      scan: async (after: number, limit: number, agentId?: string) => audit.filter((e) => e.seq > after && (agentId === undefined || e.agentId === agentId)).slice(0, limit),
      count: async () => audit.length,
    } as unknown as ArchiveDeps['audit'],
    target: {
      scope: (fn) => fn(),
      stage: async (input) => {
        entries.push(input);
        return { entry: { seq: entries.length }, anchor() {} };
      },
    },
    clock: () => 1_700_000_000_000,
  };
  return { deps, reads, written, entries };
}

async function bytesOf(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('archive (core)', () => {
  it('streams: reading the first records of a 100,000-memory export reads a few pages, not the store', async () => {
    const { deps, reads } = fakeDeps(100_000);
    const stream = exportArchive(deps, { stores: ['semantic'], pageSize: 100 });
    let seen = 0;
    for await (const chunk of stream) {
      seen += (chunk as Buffer).toString('utf8').split('\n').length - 1;
      if (seen > 1000) break;
    }
    expect(reads.length).toBeLessThan(100); // of 1,000 pages
    expect(reads.every((r) => r.limit === 100)).toBe(true);
  });

  it('the whole export, then the import: counts, hash, one audit entry each; a dry run writes nothing and no entry', async () => {
    const { deps, written, entries } = fakeDeps(1234);
    const seen: { records: number; total?: number }[] = [];
    const archive = await bytesOf(exportArchive(deps, { stores: ['semantic'], pageSize: 100, actor: 'ops', onProgress: (p) => seen.push(p) }));
    expect(seen[0]).toEqual({ records: 100, total: 1234 });
    expect(seen.at(-1)).toMatchObject({ records: 1234, total: 1234, finished: { counts: { memory: 1234 } } });
    expect(entries).toEqual([expect.objectContaining({ agentId: 'ops', action: 'archive.export' })]);
    const lines = archive.toString('utf8').trim().split('\n');
    expect(lines).toHaveLength(1 + 1234 + 1);
    expect(JSON.parse(lines.at(-1) as string)).toMatchObject({ type: 'trailer', counts: { memory: 1234 } });

    const dry = await importArchive(deps, new Uint8Array(archive), { dryRun: true });
    expect(dry.stores.memory).toEqual({ total: 1234, imported: 0, skipped: 0, failed: [] });
    expect(written).toHaveLength(0);
    expect(entries).toHaveLength(1);

    const progress: number[] = [];
    const report = await importArchive(deps, new Uint8Array(archive), { batchSize: 500, onProgress: (p) => p.phase === 'write' && progress.push(p.done) });
    expect(report.stores.memory).toEqual({ total: 1234, imported: 1234, skipped: 0, failed: [] });
    expect(progress).toEqual([500, 1000, 1234]);
    expect(written.map((m) => m.id)).toEqual(Array.from({ length: 1234 }, (_, i) => `m${String(i).padStart(6, '0')}`));
    expect(entries.map((e) => e.action)).toEqual(['archive.export', 'archive.import']);
    expect(entries[1]?.detail).not.toContain('secret');
  });

  it('refuses, before writing anything: another format version, an unknown record type, a vector of the wrong dimension, a broken exported audit chain', async () => {
    const audit: AuditEntry[] = [1, 2, 3].map((seq) => ({ seq, timestamp: seq, agentId: 'a', action: 'x', detail: '', outcome: 'ok', prevHash: `h${seq - 1}`, hash: `h${seq}` }));
    const { deps, written } = fakeDeps(3, audit);
    const archive = (await bytesOf(exportArchive(deps, { stores: ['semantic', 'audit'] }))).toString('utf8');
    const { createHash } = await import('node:crypto');
    /** The archive with its body edited and the trailer re-sealed (a forger who recomputes the hash). */
    const resealed = (edit: (body: string[]) => string[]): Uint8Array => {
      const lines = archive.trim().split('\n');
      const trailer = JSON.parse(lines.pop() as string) as { counts: Record<string, number> };
      const body = edit(lines);
      const text = body.map((l) => `${l}\n`).join('');
      return new Uint8Array(Buffer.from(`${text}${JSON.stringify({ type: 'trailer', counts: trailer.counts, sha256: createHash('sha256').update(text).digest('hex') })}\n`));
    };
    await expect(importArchive(deps, new Uint8Array(Buffer.from(archive)))).resolves.toMatchObject({ stores: { memory: { imported: 3 }, audit_entry: { skipped: 3 } } });
    written.length = 0;
    const cases: [string, Uint8Array, RegExp][] = [
      ['version', resealed((b) => [b[0]!.replace('"version":1', '"version":2'), ...b.slice(1)]), /version 2 is not supported/],
      ['type', resealed((b) => [...b, '{"type":"widget","id":"w"}']), /unknown record type "widget"/],
      ['dimension', resealed((b) => b.map((l) => l.replace('"embedding":[1,0]', '"embedding":[1,0,0]'))), /3 dimensions, the header's vector space 2/],
      ['chain', resealed((b) => b.map((l) => l.replace('"prevHash":"h1"', '"prevHash":"hX"'))), /audit chain is broken at seq 2/],
      ['counts', resealed((b) => b.slice(0, -1)), /trailer counts/],
    ];
    for (const [name, bytes, message] of cases) {
      await expect(importArchive(deps, bytes), name).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringMatching(message) });
    }
    expect(written).toHaveLength(0);
  });

  it('an unkeyed audit chain travels for verification: every exported entry is re-hashed on import, so an edited one is refused even with the archive re-sealed', async () => {
    const audit: AuditEntry[] = [];
    let prevHash = GENESIS_HASH;
    for (let seq = 1; seq <= 3; seq++) {
      const entry = { seq, timestamp: seq, agentId: 'a', action: 'kv.set', detail: `{"key":"k${seq}"}`, outcome: 'ok', prevHash };
      prevHash = hashEntry(entry);
      audit.push({ ...entry, hash: prevHash });
    }
    const { deps } = fakeDeps(0, audit);
    deps.auditKeyed = false;
    const archive = (await bytesOf(exportArchive(deps, { stores: ['audit'] }))).toString('utf8');
    expect(JSON.parse(archive.split('\n')[0] as string)).toMatchObject({ audit: { keyed: false } });
    await expect(importArchive(deps, new Uint8Array(Buffer.from(archive)))).resolves.toMatchObject({ stores: { audit_entry: { total: 3, skipped: 3 } } });
    const { createHash } = await import('node:crypto');
    const lines = archive.trim().split('\n');
    const trailer = JSON.parse(lines.pop() as string) as { counts: Record<string, number> };
    const body = lines.map((l) => l.replace('{\\"key\\":\\"k2\\"}', '{\\"key\\":\\"kX\\"}'));
    expect(body.join('\n')).toContain('kX');
    const text = body.map((l) => `${l}\n`).join('');
    const forged = `${text}${JSON.stringify({ type: 'trailer', counts: trailer.counts, sha256: createHash('sha256').update(text).digest('hex') })}\n`;
    await expect(importArchive(deps, new Uint8Array(Buffer.from(forged)))).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringMatching(/audit entry 2: its hash does not match/) });
  });
});
