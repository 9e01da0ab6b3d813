import { existsSync, rmSync } from 'node:fs';
import { NotFoundError } from '../../errors.js';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import type { BackendDefinition } from '../../contracts/backend-plugin.js';
import { LIMITS } from '../../core/limits.js';
import { SqlMainBackend } from '../sql/sql-main-backend.js';
import { openSqliteEngine } from './open-sqlite-engine.js';
import { DEFAULT_READ_WORKERS, SqliteEngine } from './sqlite-engine.js';
import { SqliteSemanticBackend, VEC0_MAX_DIMENSIONS } from './sqlite-semantic-backend.js';
import { DEFAULT_ANN_SETTINGS, VECTOR_SEARCH_SETTINGS } from './sqlite-ann-index.js';

/** `[memory.sqlite]`: where the database file is. */
export const sqliteOptions = z.strictObject({
  /** SQLite database file (created with its directory if missing); `:memory:` for a throwaway store. */
  path: z.string().min(1).default('./data/memstrate.db'),
  /**
   * Worker threads, each with a read-only connection, that run long reads (graph walks, searches,
   * summaries, audit scans) off the event loop; 0 runs them on the main connection. Started on first use.
   */
  readWorkers: z.int().min(0).max(16).default(DEFAULT_READ_WORKERS),
  /**
   * Vector recall: `exact` scans every vector of the agent; `approximate` uses the agent's index
   * (k-means cells over sign codes, exact rerank) whenever it has one; `auto` also builds an agent's
   * index once it holds `approximate_min_rows` memories, and uses it from then on.
   */
  vectorSearch: z.enum(VECTOR_SEARCH_SETTINGS).default(DEFAULT_ANN_SETTINGS.mode),
  /** `auto`: memories an agent needs before it gets an approximate index. */
  approximateMinRows: z.int().min(1).max(1_000_000_000).default(DEFAULT_ANN_SETTINGS.minRows),
  /** Each query probes ⌈factor × √cells⌉ of an index's cells: higher = better recall, slower. */
  approximateProbeFactor: z.number().gt(0).max(1000).default(DEFAULT_ANN_SETTINGS.probeFactor),
});

export type SqliteOptions = z.output<typeof sqliteOptions>;

/**
 * The embedded default: the eight main stores on one SQLite file (better-sqlite3, WAL), and semantic
 * memory in the same file (sqlite-vec exact KNN + BM25 keyword recall). When both sides are `sqlite`, they
 * share one connection.
 */
/**
 * What opening `path` is about to create (the file, its WAL companions, missing parent folders),
 * as a function that removes it again: a failed substrate open leaves nothing behind.
 */
function createdBy(path: string): () => void {
  if (path === ':memory:') return () => {};
  const missing: string[] = [];
  for (let dir = dirname(resolve(path)); !existsSync(dir); dir = dirname(dir)) missing.push(dir);
  if (existsSync(path)) return () => {};
  return () => {
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(path + suffix, { force: true });
    for (const dir of missing) rmSync(dir, { recursive: true, force: true });
  };
}

export const sqliteBackend: BackendDefinition<typeof sqliteOptions> = {
  name: 'sqlite',
  description: 'embedded SQLite file: better-sqlite3, sqlite-vec KNN (exact, or IVF over sign codes per large agent), BM25 keywords (per-agent statistics)',
  options: sqliteOptions,
  flatKeys: { sqlitePath: 'path' },
  main: {
    capabilities: { multiProcess: true, transactions: true, skipLockedClaims: false },
    defaultAuditAnchorPath: (options) => (options.path === ':memory:' ? undefined : `${options.path}.audit-anchor`),
    async open(options, ctx) {
      if ((ctx.settings.existingOnly || ctx.settings.readOnly) && options.path !== ':memory:' && !existsSync(options.path)) {
        throw new NotFoundError(`no store at ${options.path} (this command opens an existing store only; \`memstrate migrate\` creates one)`, { backend: 'sqlite' });
      }
      const created = createdBy(options.path);
      const { engine, schemaVersion } = await openSqliteEngine(options.path, { durability: ctx.settings.durability, readOnly: ctx.settings.readOnly === true, readWorkers: options.readWorkers });
      return new SqlMainBackend(engine, schemaVersion, options.path, {
        ...ctx,
        discard: async () => {
          await engine.close();
          created();
        },
      });
    },
  },
  semantic: {
    capabilities: {
      vectorSearch: 'exact',
      keywordRanking: 'bm25',
      hybridInEngine: false,
      sharedTransactions: false,
      multiProcess: true,
      maxDimensions: VEC0_MAX_DIMENSIONS,
      maxBatch: LIMITS.maxBatch,
      vectorSpaceMigration: true,
    },
    async open(options, ctx) {
      // Share the main backend's connection when both live in the same SQLite file.
      const { main } = ctx;
      const shared = main instanceof SqlMainBackend && main.engine instanceof SqliteEngine && main.location === options.path ? main.engine : undefined;
      const engine = shared ?? (await openSqliteEngine(options.path, { durability: ctx.settings.durability, readOnly: ctx.settings.readOnly === true, readWorkers: options.readWorkers })).engine;
      try {
        return await SqliteSemanticBackend.open(engine, {
          clock: ctx.clock,
          logger: ctx.logger,
          ownsEngine: shared === undefined,
          sharesMainConnection: shared !== undefined,
          readOnly: ctx.settings.readOnly === true,
          vectorSearch: { mode: options.vectorSearch, minRows: options.approximateMinRows, probeFactor: options.approximateProbeFactor },
        });
      } catch (error) {
        if (!shared) await engine.close();
        throw error;
      }
    },
  },
};
