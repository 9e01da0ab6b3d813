/** memstrate — the public entry point. */
export { MemorySubstrate, type OpenOptions } from './assembly/substrate.js';
export { loadConfig } from './assembly/load-config.js';
export { registerBackend, registeredBackends } from './assembly/backends.js';
export { BackendRegistry } from './assembly/registry.js';
export {
  MAIN_BACKENDS,
  SEMANTIC_BACKENDS,
  EMBEDDING_PROVIDERS,
  type MemoryConfig,
  type MemoryConfigInput,
  type LegacyFlatKeys,
  type MainBackendKind,
  type SemanticBackendKind,
  type EmbeddingProviderKind,
} from './config/schema.js';
export * from './errors.js';
export * from './contracts/index.js';
export { HashEmbedder, OpenAiEmbedder, type OpenAiEmbedderOptions } from './embedders/index.js';
export { GENESIS_HASH, hashEntry } from './core/audit-chain.js';
/** For semantic backend plugins: the vector-space rule core applies (a `caller` space fits any embedder of its dimension). */
export { assertSameSpace, CALLER_VECTOR_SPACE } from './core/vector-space.js';
/** For semantic backend plugins: the reference meaning of a filter AST (SearchScope.filter) — a backend must select exactly what it accepts. */
export { matchesFilter, valueAt, isAbsent, type FilterTarget } from './core/filter-eval.js';
/**
 * For semantic backend plugins: the keyword score every backend computes the same way (terms, BM25
 * weights with the fixed pivot, per-agent IDF; a backend's keywordSearch returns the raw BM25 and
 * core reports normaliseKeywordScore of it). See README, "Relevance scores".
 */
export {
  BM25_B,
  BM25_K1,
  BM25_PIVOT,
  keywordIdf,
  keywordTerms,
  normaliseKeywordScore,
  queryTerms,
  termWeights,
} from './core/keyword-score.js';
/** The filter grammar's parser (MemoryFilter → FilterNode), for tests and tools. */
export { filterAst, FILTER_LIMITS, PATH_SEGMENT } from './core/filter-parse.js';
/** For semantic backend plugins that rewrite whole records: a replace's fields over the stored memory. */
export { replacedRow, type ReplaceableMemory } from './core/memory-replacement.js';
export type { RetentionPolicy, RetentionReport } from './core/retention.js';
export type { EraseRequest, ErasureReceipt } from './core/erasure.js';
export type { ReembedOptions, ReembedProgress, ReembedReport } from './core/reembed.js';
export type { ExportOptions, ExportProgress, ExportSummary, ImportOptions, ImportReport, ImportStoreReport, ImportFailure, ImportProgress, OnConflict, ArchiveSource } from './core/archive.js';
export { ARCHIVE_FORMAT, ARCHIVE_VERSION, ARCHIVE_STORES, type ArchiveStore, type ArchiveHeader, type ArchiveTrailer, type RecordType } from './core/archive-format.js';
