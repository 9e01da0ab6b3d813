import { join } from 'node:path';
import { z } from 'zod';
import type { BackendDefinition } from '../../contracts/backend-plugin.js';
import { LIMITS } from '../../core/limits.js';
import { url } from '../../config/schema.js';
import { openPostgresMainBackend } from './postgres-main-backend.js';
import { openPostgresSemanticBackend } from './postgres-semantic-backend.js';

/** `[memory.postgres]`: the server, the pool and the schema; `semantic_url` when vectors live elsewhere. */
export const postgresOptions = z.strictObject({
  /** Connection URL; required when backend is "postgres" (and for the semantic side without `semanticUrl`). */
  url: url.optional(),
  /** Where `semantic_backend = "postgres"` keeps vectors (a database with pgvector); default: `url`. */
  semanticUrl: url.optional(),
  /** Connections in each pool (1..1000). */
  poolSize: z.int().min(1).max(1000).default(10),
  /** Schema that holds memstrate's tables (a plain SQL identifier). */
  schema: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'must be a plain SQL identifier').default('public'),
});

export type PostgresOptions = z.output<typeof postgresOptions>;

/**
 * PostgreSQL: the eight main stores on the shared SQL stores (claims with SKIP LOCKED, advisory-lock
 * serialised audit appends), and semantic memory on pgvector (HNSW, tsvector, RRF in one statement).
 */
export const postgresBackend: BackendDefinition<typeof postgresOptions> = {
  name: 'postgres',
  description: 'PostgreSQL server; semantic memory on pgvector (HNSW cosine, tsvector, hybrid RRF in SQL)',
  options: postgresOptions,
  flatKeys: { postgresUrl: 'url', semanticPostgresUrl: 'semanticUrl', postgresPoolSize: 'poolSize', postgresSchema: 'schema' },
  main: {
    capabilities: { multiProcess: true, transactions: true, skipLockedClaims: true },
    check: (options) => (options.url ? [] : ['postgres.url (postgres_url): required when backend is "postgres"']),
    /** One anchor file per database and schema under ./data, so two stores never share an anchor. */
    defaultAuditAnchorPath(options) {
      let database = 'postgres';
      try {
        database = decodeURIComponent(new URL(options.url ?? '').pathname.slice(1)) || database;
      } catch {
        // keep the default name; the URL is validated by the schema
      }
      const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_');
      return join('.', 'data', `memstrate-${safe(database)}-${safe(options.schema)}.audit-anchor`);
    },
    open: (options, ctx) => openPostgresMainBackend(options, ctx),
  },
  semantic: {
    capabilities: {
      vectorSearch: 'approximate',
      keywordRanking: 'ts_rank_cd',
      hybridInEngine: true,
      sharedTransactions: false,
      multiProcess: true,
      maxDimensions: LIMITS.maxDimensions,
      maxBatch: LIMITS.maxBatch,
    },
    check: (options) =>
      options.url || options.semanticUrl ? [] : ['postgres.url (postgres_url) or postgres.semantic_url (semantic_postgres_url): required when semantic_backend is "postgres"'],
    open: (options, ctx) => openPostgresSemanticBackend(options, ctx),
  },
};
