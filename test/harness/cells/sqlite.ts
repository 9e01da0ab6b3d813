import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { openLayout } from '../../../src/testing/layout.js';
import { sqliteRawSql, tempDir } from '../../../src/testing/sqlite-tools.js';
import type { BackendCell } from '../cells.js';
import { semanticCellCapabilities } from '../capabilities.js';

export { sqliteRawSql, tempDir } from '../../../src/testing/sqlite-tools.js';

export const sqliteSqlite: BackendCell = {
  name: 'sqlite × sqlite',
  main: 'sqlite',
  semantic: 'sqlite',
  engines: 'main: SQLite file (better-sqlite3); semantic: SQLite file (sqlite-vec + BM25 over sorted runs of postings)',
  capabilities: { rawSql: true, multiProcess: true, sqliteFile: true, ...semanticCellCapabilities('sqlite') },
  // Semantic memory lives in the main store's own SQLite file and shares its connection.
  sharedTransactions: true,
  async open(options = {}) {
    const dir = tempDir();
    const sqlitePath = join(dir, 'memstrate.db');
    return openLayout(
      {
        config: { backend: 'sqlite', semanticBackend: 'sqlite', sqlitePath, auditAnchorPath: join(dir, 'memstrate.db.audit-anchor'), ...options.config },
        rawSql: async (text, params) => sqliteRawSql(sqlitePath, text, params),
        cleanup: async () => rmSync(dir, { recursive: true, force: true }),
      },
      options,
    );
  },
};

export const SQLITE_CELLS: BackendCell[] = [sqliteSqlite];
