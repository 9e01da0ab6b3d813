import { z } from 'zod';
import { QdrantClient } from '@qdrant/js-client-rest';
import type { BackendContext, BackendDefinition } from '../../contracts/backend-plugin.js';
import { envName, url } from '../../config/schema.js';
import { LIMITS } from '../../core/limits.js';
import { redactUrl } from '../../core/redact.js';
import { BackendUnavailableError, ConfigError, MemoryError } from '../../errors.js';
import { mapQdrantError, QDRANT_BACKEND, type QdrantWhere } from './qdrant-errors.js';
import { QdrantSemanticBackend } from './qdrant-semantic-backend.js';

/** `[memory.qdrant]`: the server, its API key variable, the collection and the request timeout. */
export const qdrantOptions = z.strictObject({
  /** Qdrant base URL (REST port, 6333 by default). */
  url: url.default('http://localhost:6333'),
  /** Environment variable holding the Qdrant API key, if the server needs one. */
  apiKeyEnv: envName.optional(),
  /** Collection for memories (letters, digits, _ and -). */
  collection: z.string().regex(/^[A-Za-z0-9_-]{1,255}$/, 'letters, digits, _ and - only').default('memstrate_memories'),
  /** Milliseconds a request may take before it fails with BACKEND_UNAVAILABLE. */
  timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
});
export type QdrantOptions = z.output<typeof qdrantOptions>;

/** How long open() waits for the server to answer its probe. */
const PROBE_TIMEOUT_MS = 2_000;

/**
 * Resolves the URL and API key, probes the server (GET /, within 2 s) and opens the collection.
 * BackendUnavailableError naming Qdrant and the redacted URL when the server does not answer or
 * refuses the key; ConfigError when the key's variable is unset or the collection is not a
 * memstrate collection of this layout.
 */
async function openQdrant(options: QdrantOptions, ctx: BackendContext): Promise<QdrantSemanticBackend> {
  let apiKey: string | undefined;
  if (options.apiKeyEnv !== undefined) {
    apiKey = ctx.env[options.apiKeyEnv];
    if (!apiKey) throw new ConfigError([`qdrant.api_key_env: environment variable ${options.apiKeyEnv} is not set or empty`], { backend: QDRANT_BACKEND });
  }
  const parsed = new URL(options.url);
  if (parsed.username || parsed.password) {
    throw new ConfigError([`qdrant.url must not hold credentials (${redactUrl(options.url)}); put the API key in the variable named by qdrant.api_key_env`], { backend: QDRANT_BACKEND });
  }
  const where: QdrantWhere = { url: redactUrl(options.url), apiKey, apiKeyEnv: options.apiKeyEnv };
  const base = options.url.replace(/\/+$/, '');
  const clientOptions = { url: base, ...(apiKey ? { apiKey } : {}), checkCompatibility: false };
  try {
    await new QdrantClient({ ...clientOptions, timeout: PROBE_TIMEOUT_MS }).versionInfo();
  } catch (error) {
    const mapped = mapQdrantError(error, 'open', where);
    if (mapped.code === 'BACKEND_UNAVAILABLE') throw mapped;
    throw new BackendUnavailableError(`open: ${where.url} did not answer as a Qdrant server (${mapped.code})`, { backend: QDRANT_BACKEND, cause: mapped });
  }
  const client = new QdrantClient({ ...clientOptions, timeout: options.timeoutMs });
  try {
    return await QdrantSemanticBackend.open({ client, collection: options.collection, where, logger: ctx.logger }, ctx.settings.embeddingDimensions, ctx.settings.readOnly === true);
  } catch (error) {
    throw MemoryError.is(error) ? error : mapQdrantError(error, 'open collection', where);
  }
}

/**
 * Qdrant (REST, server 1.18 or later): semantic memory in one collection — dense Cosine vectors
 * (HNSW), keyword recall on a sparse vector with server-side IDF, hybrid recall fused with RRF in
 * one Query API call.
 */
export const qdrantBackend: BackendDefinition<typeof qdrantOptions> = {
  name: 'qdrant',
  description: 'Qdrant server (REST, 1.18+): HNSW cosine vectors, BM25 sparse keywords, hybrid RRF in one Query API call',
  options: qdrantOptions,
  flatKeys: { qdrantUrl: 'url', qdrantApiKeyEnv: 'apiKeyEnv', qdrantCollection: 'collection' },
  semantic: {
    capabilities: {
      vectorSearch: 'approximate',
      keywordRanking: 'bm25',
      hybridInEngine: false, // one batched call, fused by core's RRF here
      sharedTransactions: false,
      multiProcess: true,
      maxDimensions: LIMITS.maxDimensions,
      maxBatch: LIMITS.maxBatch,
      vectorSpaceMigration: true,
    },
    open: (options, ctx) => openQdrant(options, ctx),
  },
};
