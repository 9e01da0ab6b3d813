import { z } from 'zod';
import type { BackendDefinition } from '../../contracts/backend-plugin.js';
import { envName, url } from '../../config/schema.js';
import { NotSupportedError } from '../../errors.js';

/** `[memory.qdrant]`: the server, its API key variable and the collection. */
export const qdrantOptions = z.strictObject({
  /** Qdrant base URL. */
  url: url.default('http://localhost:6333'),
  /** Environment variable holding the Qdrant API key, if the server needs one. */
  apiKeyEnv: envName.optional(),
  /** Collection for memories (letters, digits, _ and -). */
  collection: z.string().regex(/^[A-Za-z0-9_-]{1,255}$/, 'letters, digits, _ and - only').default('memstrate_memories'),
});

/**
 * Qdrant is registered (its options are validated) but not implemented in this version: opening it
 * fails with NOT_SUPPORTED, never a fallback to another backend.
 */
export const qdrantBackend: BackendDefinition<typeof qdrantOptions> = {
  name: 'qdrant',
  description: 'Qdrant (not available in this version: opening it fails with NOT_SUPPORTED)',
  options: qdrantOptions,
  flatKeys: { qdrantUrl: 'url', qdrantApiKeyEnv: 'apiKeyEnv', qdrantCollection: 'collection' },
  semantic: {
    capabilities: {
      vectorSearch: 'approximate',
      keywordRanking: 'sparse',
      hybridInEngine: true,
      sharedTransactions: false,
      multiProcess: true,
      maxDimensions: 65_536,
      maxBatch: 10_000,
    },
    async open() {
      throw new NotSupportedError('semantic_backend "qdrant" is not available in this version', { backend: 'qdrant' });
    },
  },
};
