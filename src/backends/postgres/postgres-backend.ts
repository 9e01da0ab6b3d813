import { join } from 'node:path';
import type { BackendDefinition } from '../../contracts/backend-plugin.js';
import { LIMITS } from '../../core/limits.js';
import { openPostgresMainBackend } from './postgres-main-backend.js';
import { postgresOptions } from './postgres-options.js';
import { openPostgresSemanticBackend } from './postgres-semantic-backend.js';

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
      keywordRanking: 'bm25',
      hybridInEngine: true,
      sharedTransactions: false,
      multiProcess: true,
      maxDimensions: LIMITS.maxDimensions,
      maxBatch: LIMITS.maxBatch,
      vectorSpaceMigration: true,
    },
    check: (options) =>
      options.url || options.semanticUrl ? [] : ['postgres.url (postgres_url) or postgres.semantic_url (semantic_postgres_url): required when semantic_backend is "postgres"'],
    open: (options, ctx) => openPostgresSemanticBackend(options, ctx),
  },
};
