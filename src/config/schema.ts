import { z } from 'zod';

/**
 * The `[memory]` configuration: one schema, in camelCase (the TOML file and `MEMSTRATE_*` env
 * variables use the snake_case twins). Unknown keys, unknown enum values and out-of-range numbers
 * are errors; nothing is silently defaulted over a bad value.
 */
export const MAIN_BACKENDS = ['sqlite', 'postgres'] as const;
export const SEMANTIC_BACKENDS = ['sqlite', 'postgres', 'qdrant', 'http'] as const;
export const EMBEDDING_PROVIDERS = ['none', 'hash', 'openai'] as const;

export type MainBackendKind = (typeof MAIN_BACKENDS)[number];
export type SemanticBackendKind = (typeof SEMANTIC_BACKENDS)[number];
export type EmbeddingProviderKind = (typeof EMBEDDING_PROVIDERS)[number];

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');
const url = z.string().refine((s) => {
  try {
    return new URL(s).host !== '';
  } catch {
    return false;
  }
}, 'must be an absolute URL with a host (scheme://host…)');

export const memoryConfigSchema = z.strictObject({
  backend: z.enum(MAIN_BACKENDS).default('sqlite'),
  semanticBackend: z.enum(SEMANTIC_BACKENDS).optional(),
  sqlitePath: z.string().min(1).default('./data/memstrate.db'),
  postgresUrl: url.optional(),
  /** Where `semantic_backend = "postgres"` keeps vectors; default: `postgres_url` (e.g. a separate pgvector database). */
  semanticPostgresUrl: url.optional(),
  postgresPoolSize: z.int().min(1).max(1000).default(10),
  postgresSchema: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'must be a plain SQL identifier').default('public'),
  qdrantUrl: url.default('http://localhost:6333'),
  qdrantApiKeyEnv: envName.optional(),
  qdrantCollection: z.string().regex(/^[A-Za-z0-9_-]{1,255}$/, 'letters, digits, _ and - only').default('memstrate_memories'),
  httpUrl: url.optional(),
  httpTokenEnv: envName.optional(),
  embeddingProvider: z.enum(EMBEDDING_PROVIDERS).default('none'),
  embeddingModel: z.string().min(1).optional(),
  embeddingUrl: url.optional(),
  embeddingApiKeyEnv: envName.optional(),
  embeddingDimensions: z.int().min(1).max(16000).optional(),
  decayRate: z.number().min(0).max(1).default(0.1),
  consolidationIntervalHours: z.number().min(0).max(24 * 365).default(24),
  auditKeyEnv: envName.optional(),
  auditAnchorPath: z.string().min(1).optional(),
});

export type MemoryConfigInput = z.input<typeof memoryConfigSchema>;
type Parsed = z.output<typeof memoryConfigSchema>;

/** The validated configuration with every default applied. */
export type MemoryConfig = Omit<Parsed, 'semanticBackend'> & {
  semanticBackend: SemanticBackendKind;
  /** Where the audit chain tip is anchored; undefined = in memory (only for a `:memory:` database). */
  auditAnchorPath: string | undefined;
};

/** camelCase key → snake_case key, for messages and for reading TOML / env. */
export const CONFIG_KEYS: ReadonlyMap<string, string> = new Map(
  Object.keys(memoryConfigSchema.shape).map((camel) => [camel, camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)]),
);

export const NUMERIC_KEYS: ReadonlySet<string> = new Set([
  'postgresPoolSize',
  'embeddingDimensions',
  'decayRate',
  'consolidationIntervalHours',
]);
