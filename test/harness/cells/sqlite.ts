import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { BackendCell } from '../cells.js';
import { semanticCellCapabilities } from '../capabilities.js';
import { openLayout } from './layout.js';

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'memstrate-test-'));
}

/** Raw SQL on a SQLite file through a short-lived connection. */
export function sqliteRawSql(path: string, text: string, params: unknown[]): unknown[] {
  const db = new Database(path);
  try {
    const stmt = db.prepare(text);
    return stmt.reader ? stmt.all(...params) : (stmt.run(...params), []);
  } finally {
    db.close();
  }
}

export const sqliteSqlite: BackendCell = {
  name: 'sqlite × sqlite',
  main: 'sqlite',
  semantic: 'sqlite',
  engines: 'main: SQLite file (better-sqlite3); semantic: SQLite file (sqlite-vec + FTS5)',
  capabilities: { rawSql: true, multiProcess: true, sqliteFile: true, ...semanticCellCapabilities('sqlite') },
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
