import type { BackendDefinition } from 'memstrate';
import { jsonfileOptions } from './config.js';
import { JsonFileSemanticBackend, MAX_DIMENSIONS } from './store.js';

/**
 * The `jsonfile` semantic backend: memories in one JSON file. Hand it to `registerBackend()` (or
 * import `memstrate-backend-jsonfile/register`), then set `semantic_backend = "jsonfile"`.
 */
export const jsonfileBackend: BackendDefinition<typeof jsonfileOptions> = {
  name: 'jsonfile',
  description: 'one JSON file: exact brute-force cosine, BM25 keywords, atomic write-rename',
  options: jsonfileOptions,
  semantic: {
    capabilities: {
      vectorSearch: 'exact',
      keywordRanking: 'bm25',
      hybridInEngine: false,
      sharedTransactions: false,
      // Each process keeps its own copy in memory: a second process would overwrite the first's writes.
      multiProcess: false,
      maxDimensions: MAX_DIMENSIONS,
      maxBatch: 10_000,
    },
    open: (options, ctx) => JsonFileSemanticBackend.open(options.path, ctx.logger),
  },
};
