import type { Embedder, MemoryConfigInput, MemorySubstrate } from '../../src/index.js';
import type { Clock } from '../../src/contracts/types.js';
import { SQLITE_CELLS } from './cells/sqlite.js';
import { POSTGRES_MAIN_CELLS } from './cells/postgres-main.js';
import { PGVECTOR_CELLS } from './cells/pgvector.js';
import { HTTP_CELLS } from './cells/http.js';

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
  /** The main database is one SQLite file that can be copied (rollback tests). */
  sqliteFile: boolean;
  /** The semantic backend declares exact vector search (true nearest neighbours, not an ANN index). */
  exactVectorSearch: boolean;
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
  /**
   * The config the cell opened with (reuse it to open a second substrate on the same data, e.g. in a
   * child process). `auditAnchorPath` is always set.
   */
  config: MemoryConfigInput;
  /** Environment a second process needs to open `config` (secrets named by `*_env` keys), if any. */
  readonly env?: NodeJS.ProcessEnv;
  /** Closes and opens again on the same data. */
  reopen(options?: CellOpenOptions): Promise<MemorySubstrate>;
  /**
   * Runs raw SQL against the main database (only when capabilities.rawSql); `?` placeholders.
   * Numbers come back as JS numbers on every engine.
   */
  rawSql(text: string, ...params: unknown[]): Promise<unknown[]>;
  /** Closes the substrate (if open) and removes its data. */
  dispose(): Promise<void>;
}

const ALL_CELLS: BackendCell[] = [...SQLITE_CELLS, ...POSTGRES_MAIN_CELLS, ...PGVECTOR_CELLS, ...HTTP_CELLS];

/** Cells selected by MEMSTRATE_CELLS (comma-separated names like `sqlite×sqlite`), default all. */
export function selectedCells(): BackendCell[] {
  const wanted = process.env['MEMSTRATE_CELLS'];
  if (!wanted) return ALL_CELLS;
  const names = new Set(wanted.split(',').map((s) => s.replace(/\s+/g, '')));
  return ALL_CELLS.filter((c) => names.has(c.name.replace(/\s+/g, '')));
}
