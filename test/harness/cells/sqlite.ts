import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MemorySubstrate, type MemoryConfigInput } from '../../../src/index.js';
import type { BackendCell, CellInstance, CellOpenOptions } from '../cells.js';

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'memstrate-test-'));
}

export const sqliteSqlite: BackendCell = {
  name: 'sqlite × sqlite',
  main: 'sqlite',
  semantic: 'sqlite',
  engines: 'main: SQLite file (better-sqlite3); semantic: SQLite file (sqlite-vec + FTS5)',
  capabilities: { rawSql: true, multiProcess: true, sqliteFile: true },
  async open(options = {}) {
    const dir = tempDir();
    const config: MemoryConfigInput = {
      backend: 'sqlite',
      semanticBackend: 'sqlite',
      sqlitePath: join(dir, 'memstrate.db'),
      auditAnchorPath: join(dir, 'memstrate.db.audit-anchor'),
      ...options.config,
    };
    const openWith = (o: CellOpenOptions) =>
      MemorySubstrate.open({ ...config, ...o.config }, { clock: o.clock, embedder: o.embedder, env: o.env ?? {} });
    let mem = await openWith(options);
    const instance: CellInstance = {
      get mem() {
        return mem;
      },
      config,
      async reopen(o = options) {
        await mem.close();
        mem = await openWith(o);
        return mem;
      },
      async rawSql(text, ...params) {
        const db = new Database(config.sqlitePath as string);
        try {
          const stmt = db.prepare(text);
          return stmt.reader ? stmt.all(...params) : (stmt.run(...params), []);
        } finally {
          db.close();
        }
      },
      async dispose() {
        await mem.close().catch(() => {});
        rmSync(dir, { recursive: true, force: true });
      },
    };
    return instance;
  },
};

export const SQLITE_CELLS: BackendCell[] = [sqliteSqlite];
