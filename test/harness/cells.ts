import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MemorySubstrate, type Embedder, type MemoryConfigInput } from '../../src/index.js';
import type { Clock } from '../../src/contracts/types.js';

/**
 * A backend cell of the hybrid matrix (main × semantic). The conformance suite is written against
 * the contracts only and runs once per cell; a cell only knows how to open a fresh substrate.
 */
export interface BackendCell {
  /** `sqlite × sqlite`, … */
  name: string;
  main: 'sqlite' | 'postgres';
  semantic: 'sqlite' | 'postgres' | 'qdrant' | 'http';
  /** Which engine actually runs each side (printed in reports). */
  engines: string;
  capabilities: CellCapabilities;
  /** A fresh, isolated substrate (new files / schema). */
  open(options?: CellOpenOptions): Promise<CellInstance>;
}

export interface CellCapabilities {
  /** Raw SQL access to the main database (tamper tests). */
  rawSql: boolean;
  /** Several OS processes can share the store (file or server). */
  multiProcess: boolean;
}

export interface CellOpenOptions {
  clock?: Clock;
  embedder?: Embedder;
  /** Extra config (merged over the cell's). */
  config?: Partial<MemoryConfigInput>;
  env?: NodeJS.ProcessEnv;
}

export interface CellInstance {
  mem: MemorySubstrate;
  /** The config the cell opened with (reuse it to open a second substrate on the same data). */
  config: MemoryConfigInput;
  /** Closes and opens again on the same data. */
  reopen(options?: CellOpenOptions): Promise<MemorySubstrate>;
  /** Runs raw SQL against the main database (only when capabilities.rawSql). Closes nothing. */
  rawSql(text: string, ...params: unknown[]): unknown[];
  /** Closes the substrate (if open) and removes its data. */
  dispose(): Promise<void>;
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'memstrate-test-'));
}

const sqliteSqlite: BackendCell = {
  name: 'sqlite × sqlite',
  main: 'sqlite',
  semantic: 'sqlite',
  engines: 'main: SQLite file (better-sqlite3); semantic: SQLite file (sqlite-vec + FTS5)',
  capabilities: { rawSql: true, multiProcess: true },
  async open(options = {}) {
    const dir = tempDir();
    const config: MemoryConfigInput = { backend: 'sqlite', semanticBackend: 'sqlite', sqlitePath: join(dir, 'memstrate.db'), ...options.config };
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
      rawSql(text, ...params) {
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

const ALL_CELLS: BackendCell[] = [sqliteSqlite];

/** Cells selected by MEMSTRATE_CELLS (comma-separated names like `sqlite×sqlite`), default all. */
export function selectedCells(): BackendCell[] {
  const wanted = process.env['MEMSTRATE_CELLS'];
  if (!wanted) return ALL_CELLS;
  const names = new Set(wanted.split(',').map((s) => s.replace(/\s+/g, '')));
  return ALL_CELLS.filter((c) => names.has(c.name.replace(/\s+/g, '')));
}
