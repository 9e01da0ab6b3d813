import { afterEach, expect, it } from 'vitest';
import type { BackendCell, CellInstance } from '../harness/cells.js';
import { SQLITE_CELLS } from '../harness/cells/sqlite.js';
import { POSTGRES_MAIN_CELLS } from '../harness/cells/postgres-main.js';
import { PGVECTOR_CELLS } from '../harness/cells/pgvector.js';
import { QDRANT_CELLS } from '../harness/cells/qdrant.js';
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
