import type { BackendCatalog, Clock, Embedder } from '../index.js';
import type { MemoryConfigInput, MemorySubstrate } from '../index.js';

/**
 * A backend cell of the hybrid matrix (main × semantic). The conformance suites are written against
 * the contracts only and run once per cell; a cell only knows how to open a fresh substrate.
 */
export interface BackendCell {
  /** `sqlite × sqlite`, `sqlite × jsonfile`, … (the main backend's name × the semantic backend's). */
  name: string;
  /** The main backend's registered name (`backend`). */
  main: string;
  /** The semantic backend's registered name (`semantic_backend`). */
  semantic: string;
  /** Which engine actually runs each side (printed in reports). */
  engines: string;
  /**
   * Said after the name in test titles and the matrix, e.g. `on the Qdrant emulator` when a
   * stand-in runs instead of the real engine.
   */
  label?: string;
  /**
   * Why the cell cannot run here (its engine is missing and not required): every suite declares one
   * skipped test saying so instead of its tests. Undefined: the cell runs.
   */
  unavailable?: string;
  capabilities: CellCapabilities;
  /**
   * Why the cell lacks a capability, shown after the skip reason in a skipped test's title (plugin
   * cells say which declaration or missing kit option it comes from).
   */
  lacking?: Partial<Record<keyof CellCapabilities, string>>;
  /** Whether the opened substrate reports `sharedTransactions` (the instance refines the declaration). */
  sharedTransactions: boolean;
  /** The backends the cell opens through; default: every backend registered with `registerBackend`. */
  backends?: BackendCatalog;
  /**
   * Modules (file URLs) a child process imports before it opens the cell's config: they register
   * the backends the global registry lacks (a plugin's `register` module).
   */
  childModules?: readonly string[];
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
  /** The semantic backend re-embeds into a new vector space (declares `vectorSpaceMigration`). */
  vectorSpaceMigration: boolean;
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
