import { z } from 'zod';
import { url } from '../../config/schema.js';

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
  /** HNSW graph degree `m` of the vector index (pgvector: 2..100); applies to indexes built from then on. */
  hnswM: z.int().min(2).max(100).default(16),
  /** HNSW `ef_construction` (pgvector: 4..1000, and at least 2 × m); applies to indexes built from then on. */
  hnswEfConstruction: z.int().min(4).max(1000).default(64),
  /** `hnsw.ef_search` per query (1..1000): the candidate list; a query for k > it uses k. */
  hnswEfSearch: z.int().min(1).max(1000).default(100),
}).refine((o) => o.hnswEfConstruction >= 2 * o.hnswM, { message: 'hnsw_ef_construction must be at least 2 × hnsw_m (pgvector)', path: ['hnswEfConstruction'] });

export type PostgresOptions = z.output<typeof postgresOptions>;
