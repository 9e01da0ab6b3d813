import { afterEach, expect, it } from 'vitest';
import type { BackendCell, CellInstance } from '../harness/cells.js';
import { SQLITE_CELLS } from '../harness/cells/sqlite.js';
import { POSTGRES_MAIN_CELLS } from '../harness/cells/postgres-main.js';
import { PGVECTOR_CELLS } from '../harness/cells/pgvector.js';
import { QDRANT_CELLS } from '../harness/cells/qdrant.js';
import { HTTP_CELLS } from '../harness/cells/http.js';
import { expectSameRecords, exportBytes, records, seedEveryKind } from '../../src/testing/suites/archive.js';

const ALL = [...SQLITE_CELLS, ...POSTGRES_MAIN_CELLS, ...PGVECTOR_CELLS, ...QDRANT_CELLS];
const cell = (name: string): BackendCell => {
  const found = ALL.find((c) => c.name.replace(/\s+/g, '') === name.replace(/\s+/g, ''));
  if (!found) throw new Error(`no cell ${name}`);
  return found;
};

const PATH = [cell('sqlite × sqlite'), cell('postgres × postgres'), cell('postgres × qdrant'), cell('sqlite × sqlite')];
const unavailable = PATH.find((c) => c.unavailable !== undefined);
const opened: CellInstance[] = [];
afterEach(async () => {
  while (opened.length > 0) await opened.pop()?.dispose();
});

it.skipIf(unavailable !== undefined)(
  `round trip SQLite → PostgreSQL/pgvector → Qdrant → SQLite yields identical data (ids, contents, vectors within 1e-6, versions, timestamps)${unavailable ? ` — skipped: ${unavailable.name}: ${unavailable.unavailable}` : ''}`,
  async () => {
    const [first, ...rest] = PATH as [BackendCell, ...BackendCell[]];
    const origin = await first.open();
    opened.push(origin);
    await seedEveryKind(origin.mem);
    const archive = await exportBytes(origin.mem);
    const expected = records(archive);
    expect(expected.filter((r) => r.type === 'memory').length).toBe(12);
    let current = archive;
    for (const next of rest) {
      const instance = await next.open();
      opened.push(instance);
      const report = await instance.mem.import(new Uint8Array(current));
      for (const [type, r] of Object.entries(report.stores)) {
        expect(r.failed, `${next.name} ${type}`).toEqual([]);
        if (type !== 'audit_entry') expect(r.imported, `${next.name} ${type}`).toBe(r.total);
      }
      current = await exportBytes(instance.mem, { gzip: true });
      expectSameRecords(records(current), expected);
      expect((await instance.mem.audit.verify()).ok).toBe(true);
    }
  },
  120_000,
);

const HTTP = HTTP_CELLS.find((c) => c.name.replace(/\s+/g, '') === 'sqlite×http') as BackendCell;

it.skipIf(HTTP.unavailable !== undefined)('through the http semantic backend, an import of large vectors is sent in requests under the gateway\'s body limit', async () => {
  const origin = await cell('sqlite × sqlite').open();
  opened.push(origin);
  const DIMS = 1536;
  await origin.mem.semantic.rememberMany(
    Array.from({ length: 300 }, (_, i) => ({ agentId: `a${i % 3}`, content: `memory ${i}`, embedding: Array.from({ length: DIMS }, (_, d) => Math.sin(i + d)) })),
  );
  const archive = await exportBytes(origin.mem);
  const target = await HTTP.open();
  opened.push(target);
  // Watch the requests the http backend's archive sends (a test-only look inside the provider).
  const client = (target.mem as unknown as { semanticProvider: { archive: { client: { request: (r: { path: string; body?: string }) => Promise<unknown> } } } }).semanticProvider.archive.client;
  const request = client.request.bind(client);
  const imports: { bytes: number; failed: boolean }[] = [];
  client.request = async (r) => {
    if (r.path !== '/v1/memories/import') return request(r);
    const sent = { bytes: Buffer.byteLength(r.body ?? ''), failed: true };
    imports.push(sent);
    const answer = await request(r);
    sent.failed = false;
    return answer;
  };
  const report = await target.mem.import(new Uint8Array(archive));
  expect(imports.length).toBeLessThan(50); // ~10 MB of rows in requests of at most 512 KiB, not 300 single retries
  for (const sent of imports) expect(sent).toMatchObject({ failed: false, bytes: expect.any(Number) });
  expect(Math.max(...imports.map((s) => s.bytes))).toBeLessThan(1_048_576);
  expect(report.stores.memory).toEqual({ total: 300, imported: 300, skipped: 0, failed: [] });
  expectSameRecords(records(await exportBytes(target.mem)), records(archive));
}, 120_000);
