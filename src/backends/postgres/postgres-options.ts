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
});

export type PostgresOptions = z.output<typeof postgresOptions>;
