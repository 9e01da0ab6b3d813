import type { z } from 'zod';
import type { Embedder } from './embedder.js';
import type { MainBackend } from './main-backend.js';
import type { SemanticBackend } from './semantic-backend.js';
import type { SemanticProvider } from './semantic-provider.js';
import type { MainCapabilities, SemanticCapabilities } from './capabilities.js';
import type { Clock, Logger } from './types.js';

export type { MainCapabilities, SemanticCapabilities } from './capabilities.js';

/**
 * The backend plugin contract. Every backend — the built-in `sqlite`, `postgres`, `http`, `qdrant`
 * and any third-party package — is one `BackendDefinition` handed to `registerBackend()`. A
 * definition names the backend, validates its own options (the `[memory.<name>]` table) with a zod
 * schema, declares what it can do and opens it. Nothing in memstrate dispatches on a backend's name.
 */

/** What every backend is opened with, besides its own validated options. */
export interface BackendContext {
  clock: Clock;
  logger: Logger;
  /** Environment for secrets named by `*_env` options (never read process.env directly). */
  env: NodeJS.ProcessEnv;
  /** The configured embedder, if any (semantic backends check vector spaces against it). */
  embedder: Embedder | undefined;
  /** The substrate-wide settings a backend may need. */
  settings: {
    /** `embedding_dimensions`, if configured. */
    embeddingDimensions: number | undefined;
    /** `decay_rate` (consolidation). */
    decayRate: number;
    /**
     * Open an existing store only (read-only commands such as `memstrate stats`): a main backend
     * whose store does not exist yet fails with NOT_FOUND and creates nothing. Undefined = false.
     */
    existingOnly?: boolean;
    /** `durability`: `full` = every commit synced to disk before it returns (undefined = normal). */
    durability?: 'normal' | 'full';
    /**
     * A read-only (forensic) open: the backend opens an existing store without writing anything —
     * no migration, no creation; connections read-only where the engine allows. Implies existingOnly.
     */
    readOnly?: boolean;
  };
}

/** What a semantic backend is opened with: the context plus the main backend already open. */
export interface SemanticOpenContext extends BackendContext {
  /** The opened main backend (e.g. to share its connection when both live in one file). */
  main: MainBackend;
}

/** The opened semantic side: either the SPI (core adds validation, embedding and fusion) or a whole provider. */
export type OpenedSemantic = SemanticBackend | SemanticProvider;

/** The main-backend side of a definition. */
export interface MainFacet<O> {
  capabilities: MainCapabilities;
  /** Problems (one line each) with `options` when this backend is the main backend, e.g. a missing URL. */
  check?(options: O): string[];
  /**
   * Where the audit anchor goes when `audit_anchor_path` is not set; undefined = kept in memory
   * (only sensible for a throwaway store).
   */
  defaultAuditAnchorPath(options: O): string | undefined;
  open(options: O, ctx: BackendContext): Promise<MainBackend>;
}

/** The semantic-backend side of a definition. */
export interface SemanticFacet<O> {
  capabilities: SemanticCapabilities;
  /** Problems (one line each) with `options` when this backend is the semantic backend. */
  check?(options: O): string[];
  /**
   * Opens the semantic side. Return the `SemanticBackend` SPI (persist and search only; core does
   * validation, embedding, vector spaces, fusion and consolidation), or a whole `SemanticProvider`
   * when a remote side does that work.
   */
  open(options: O, ctx: SemanticOpenContext): Promise<OpenedSemantic>;
}

/**
 * A backend plugin. `options` is a zod object schema in camelCase: it validates the backend's
 * `[memory.<name>]` table (snake_case in TOML, camelCase in objects, `MEMSTRATE_<NAME>_<KEY>` in the
 * environment) and supplies its defaults. A definition provides a `main` facet, a `semantic` facet,
 * or both (then both share the one options table).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface BackendDefinition<S extends z.ZodObject<any> = z.ZodObject<any>> {
  /** Lowercase letters, digits and `-`; the value of `backend` / `semantic_backend`. */
  name: string;
  /** One line for listings. */
  description: string;
  options: S;
  /**
   * Flat `[memory]` keys (camelCase) accepted as aliases of options, e.g. `{ sqlitePath: 'path' }`.
   * For the built-ins' pre-registry keys; new backends should not need any.
   */
  flatKeys?: Readonly<Record<string, keyof z.output<S> & string>>;
  main?: MainFacet<z.output<S>>;
  semantic?: SemanticFacet<z.output<S>>;
}

/** The registered backends, as configuration and assembly see them. */
export interface BackendCatalog {
  get(name: string): BackendDefinition | undefined;
  /** Every registered definition, in registration order. */
  all(): readonly BackendDefinition[];
}
