import type { MemoryConfig } from '../config/schema.js';
import type { Embedder } from '../contracts/embedder.js';
import { ConfigError } from '../errors.js';
import { HashEmbedder } from './hash-embedder.js';
import { OpenAiEmbedder } from './openai-embedder.js';

export { HashEmbedder } from './hash-embedder.js';
export { OpenAiEmbedder, type OpenAiEmbedderOptions } from './openai-embedder.js';

/** Known output sizes of common embedding models (OpenAI-compatible servers). */
const MODEL_DIMENSIONS: Record<string, number> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
  'all-MiniLM-L6-v2': 384,
  'all-MiniLM-L12-v2': 384,
  'all-mpnet-base-v2': 768,
  'nomic-embed-text': 768,
  'mxbai-embed-large': 1024,
};

/** The embedder the config asks for, or undefined for `none`. */
export function createEmbedder(config: MemoryConfig, env: NodeJS.ProcessEnv = process.env): Embedder | undefined {
  switch (config.embeddingProvider) {
    case 'none':
      return undefined;
    case 'hash':
      return new HashEmbedder(config.embeddingDimensions ?? 384);
    case 'openai': {
      const model = config.embeddingModel as string;
      const dimensions = config.embeddingDimensions ?? MODEL_DIMENSIONS[model];
      if (dimensions === undefined) {
        throw new ConfigError([`embedding_dimensions: required for embedding model "${model}" (its size is not known)`]);
      }
      const keyEnv = config.embeddingApiKeyEnv ?? 'OPENAI_API_KEY';
      return new OpenAiEmbedder({
        model,
        url: config.embeddingUrl ?? 'https://api.openai.com/v1',
        apiKey: env[keyEnv] || undefined,
        apiKeyEnv: keyEnv,
        dimensions,
      });
    }
  }
}
