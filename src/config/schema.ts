import { z } from 'zod';

/**
 * The `[memory]` configuration. The substrate-wide keys are one schema, in camelCase (the TOML file
 * and `MEMSTRATE_*` env variables use the snake_case twins). Each backend's own options live in its
 * own table (`[memory.sqlite]`, `[memory.postgres]`, …; `{ sqlite: { … } }` in objects), validated by
 * the schema the backend registered with (src/contracts/backend-plugin.ts). Unknown keys, unknown
 * values and out-of-range numbers are errors; nothing is silently defaulted over a bad value.
 */
export const EMBEDDING_PROVIDERS = ['none', 'hash', 'openai'] as const;
export type EmbeddingProviderKind = (typeof EMBEDDING_PROVIDERS)[number];

/** The built-in backends (any registered backend name is accepted; these ship with memstrate). */
export const MAIN_BACKENDS = ['sqlite', 'postgres'] as const;
export const SEMANTIC_BACKENDS = ['sqlite', 'postgres', 'qdrant', 'http'] as const;
export type MainBackendKind = (typeof MAIN_BACKENDS)[number];
export type SemanticBackendKind = (typeof SEMANTIC_BACKENDS)[number];

export const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');
export const url = z.string().refine((s) => {
  try {
    return new URL(s).host !== '';
  } catch {
    return false;
  }
}, 'must be an absolute URL with a host (scheme://host…)');

/** A backend name: what `backend` / `semantic_backend` hold and what `registerBackend` accepts. */
export const BACKEND_NAME = /^[a-z][a-z0-9-]{0,39}$/;
const backendName = z.string().regex(BACKEND_NAME, 'must be a backend name (lowercase letters, digits, -)');

/** Days a store keeps what it holds: 1..1e8 (core's LIMITS.maxRetentionDays; config sits below core). */
const retentionDays = z.int().min(1).max(100_000_000);

export const memoryConfigSchema = z.strictObject({
  /** The backend of the eight non-semantic stores (any registered main backend). */
  backend: backendName.default('sqlite'),
  /** The semantic backend (any registered semantic backend); default: same as `backend`. */
  semanticBackend: backendName.optional(),
  embeddingProvider: z.enum(EMBEDDING_PROVIDERS).default('none'),
  embeddingModel: z.string().min(1).optional(),
  embeddingUrl: url.optional(),
  embeddingApiKeyEnv: envName.optional(),
  embeddingDimensions: z.int().min(1).max(16000).optional(),
  decayRate: z.number().min(0).max(1).default(0.1),
  consolidationIntervalHours: z.number().min(0).max(24 * 365).default(24),
  auditKeyEnv: envName.optional(),
  auditAnchorPath: z.string().min(1).optional(),
  /**
   * A shared anchor in PostgreSQL instead of a file (several gateway hosts, any working directory):
   * a postgres:// URL, ideally a database or role the store's own credentials cannot write.
   */
  auditAnchorUrl: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  /** The row of the shared anchor table this store uses (default: derived from the store's location). */
  auditAnchorName: z.string().regex(/^[A-Za-z0-9_.:-]{1,200}$/, 'letters, digits and _ . : - (1..200)').optional(),
  /**
   * `normal` (default): SQLite synchronous=NORMAL — a power loss may lose the last commits.
   * `full`: every commit and the audit anchor (file and folder) reach the disk before they return.
   */
  durability: z.enum(['normal', 'full']).default('normal'),
  /** Also write each session as `<dir>/<session-uuid>.jsonl` (OpenFang's session mirror format). */
  sessionsMirrorDir: z.string().min(1).optional(),
  /** Retention (days; unset = keep forever), applied by `memstrate retention run` and the gateway's schedule. */
  retentionMemoriesDays: retentionDays.optional(),
  retentionSessionsDays: retentionDays.optional(),
  retentionUsageDays: retentionDays.optional(),
  retentionTaskResultsDays: retentionDays.optional(),
});

type Parsed = z.output<typeof memoryConfigSchema>;

/**
 * What `MemorySubstrate.open` and `loadConfig` take: the `[memory]` keys in camelCase, a table per
 * backend (`sqlite: { path }`, `postgres: { url, poolSize, schema }`, …) and, for the built-ins,
 * their flat pre-registry keys (`sqlitePath`, `postgresUrl`, …), which still work.
 */
export type MemoryConfigInput = z.input<typeof memoryConfigSchema> & LegacyFlatKeys & { [backendTable: string]: unknown };

/** The built-ins' flat keys from before backend tables; each is an alias of one table option. */
export interface LegacyFlatKeys {
  /** = `sqlite.path` */
  sqlitePath?: string;
  /** = `postgres.url` */
  postgresUrl?: string;
  /** = `postgres.semanticUrl` */
  semanticPostgresUrl?: string;
  /** = `postgres.poolSize` */
  postgresPoolSize?: number;
  /** = `postgres.schema` */
  postgresSchema?: string;
  /** = `qdrant.url` */
  qdrantUrl?: string;
  /** = `qdrant.apiKeyEnv` */
  qdrantApiKeyEnv?: string;
  /** = `qdrant.collection` */
  qdrantCollection?: string;
  /** = `http.url` */
  httpUrl?: string;
  /** = `http.tokenEnv` */
  httpTokenEnv?: string;
}

/**
 * The validated configuration with every default applied: the substrate-wide keys, and one table of
 * validated options for each backend in use (and for any other table given), by backend name.
 */
export type MemoryConfig = Omit<Parsed, 'semanticBackend' | 'auditAnchorPath'> & {
  semanticBackend: string;
  /** Where the audit chain tip is anchored; undefined = in memory (only for a throwaway store). */
  auditAnchorPath: string | undefined;
  /** Each backend's validated options (its table, defaults applied), by backend name. */
  backendOptions: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
};

export function toSnake(camel: string): string {
  return camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export function toCamel(snake: string): string {
  return snake.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** camelCase key → snake_case key of the substrate-wide keys, for messages and for reading TOML / env. */
export const CONFIG_KEYS: ReadonlyMap<string, string> = new Map(Object.keys(memoryConfigSchema.shape).map((camel) => [camel, toSnake(camel)]));

export const NUMERIC_KEYS: ReadonlySet<string> = new Set(['embeddingDimensions', 'decayRate', 'consolidationIntervalHours']);
