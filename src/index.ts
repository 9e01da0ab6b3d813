/** memstrate — the public entry point. */
export { MemorySubstrate, type OpenOptions, type SubstrateInfo } from './core/substrate.js';
export { loadConfig } from './config/load.js';
export {
  MAIN_BACKENDS,
  SEMANTIC_BACKENDS,
  EMBEDDING_PROVIDERS,
  type MemoryConfig,
  type MemoryConfigInput,
  type MainBackendKind,
  type SemanticBackendKind,
  type EmbeddingProviderKind,
} from './config/schema.js';
export * from './errors.js';
export * from './contracts/index.js';
export { HashEmbedder, OpenAiEmbedder, type OpenAiEmbedderOptions } from './embedders/index.js';
export { GENESIS_HASH, hashEntry } from './core/audit-chain.js';
