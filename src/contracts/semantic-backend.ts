import type { FilterNode } from './memory-filter.js';
import type { MemoryRecord, MemorySource } from './semantic-store.js';
import type { SemanticCapabilities } from './capabilities.js';
import type { BackendHealth } from './health.js';
import type { Owner } from './main-backend.js';
import type { EpochMs, JsonObject } from './types.js';

/**
 * The SPI a semantic backend implements. Validation, embedding, vector normalisation, mode
 * selection and rank fusion live in core (src/core/semantic-service.ts); a backend only persists
 * and searches. Vectors reaching a backend are unit length and of the store's fixed dimension.
 */
export interface NewMemoryRow {
  id: string;
  agentId: string;
  content: string;
  source: MemorySource;
  scope: string;
  metadata: JsonObject;
  confidence: number;
  createdAt: EpochMs;
  embedding: Float32Array | undefined;
}

export interface SearchScope {
  /** undefined = every agent (the caller said `allAgents: true`). */
  agentId: string | undefined;
  /**
   * The caller's filter, validated and normalised by core (the legacy keys included): compile this
   * AST, with paths and values as bound parameters. Its meaning is core's reference evaluator
   * (`matchesFilter`, exported from memstrate).
   */
  filter: FilterNode;
  /** Candidates wanted (already capped by the service). */
  k: number;
}

/** Which memories count / list look at: the agent (undefined = every agent) and the filter (never merged ones). */
export type FilterScope = Pick<SearchScope, 'agentId' | 'filter'>;

/** Where a listed page starts: after this (createdAt, id) in the page's order. */
export interface ListKey {
  createdAt: EpochMs;
  id: string;
}

export interface ListScope extends FilterScope {
  /** `asc`: createdAt ascending; `desc`: descending. Ties on createdAt: id ascending (byte order), both ways. */
  order: 'asc' | 'desc';
  /** Only memories strictly after this key in that order. */
  after: ListKey | undefined;
  /** At most this many (1..1001). */
  limit: number;
}

export interface ScoredId {
  id: string;
  /**
   * vector: cosine similarity. keyword: the RAW BM25 score that core/keyword-score.ts defines (its
   * terms, weights and IDF over the scope's agent's memories — every agent's when agentId is
   * undefined; merged memories count in N and df but are never returned); core reports
   * raw / (raw + 1) to callers.
   */
  score: number;
}

/** A hit fused from both signals, with its rank (1-based) and score in each list it appeared in. */
export interface FusedHit {
  id: string;
  /** Reciprocal Rank Fusion score: Σ 1 / (k + rank). */
  score: number;
  vectorRank?: number;
  vectorScore?: number;
  keywordRank?: number;
  /** Raw BM25, as keywordSearch reports it (core normalises it). */
  keywordScore?: number;
}

export interface VectorSpace {
  dimensions: number;
  embedderId: string;
}

export interface DecayPolicy {
  /** Memories accessed before this instant decay. */
  accessedBefore: EpochMs;
  factor: number;
  floor: number;
  dryRun: boolean;
}

export interface SemanticBackend {
  readonly name: string;
  /** Where this opened instance differs from its definition's declared capabilities. */
  readonly capabilities?: Partial<SemanticCapabilities>;
  /** The vector space fixed for this store, if any vector was ever stored or one was configured. */
  vectorSpace(): Promise<VectorSpace | undefined>;
  /** Fixes the vector space (first use). ConfigError/ValidationError when another one is fixed. */
  fixVectorSpace(space: VectorSpace): Promise<void>;
  insert(rows: readonly NewMemoryRow[]): Promise<void>;
  vectorSearch(scope: SearchScope, vector: Float32Array): Promise<ScoredId[]>;
  /**
   * Memories holding any of `queryTerms(text)` (exported from memstrate), scored by raw BM25 as
   * core/keyword-score.ts defines it — per-agent N and df — best `scope.k`, best first.
   */
  keywordSearch(scope: SearchScope, text: string): Promise<ScoredId[]>;
  /**
   * Optional: vector and keyword search fused with Reciprocal Rank Fusion (constant `rrfK`) inside
   * the engine, e.g. in one SQL statement. Without it, core fuses the two searches itself. Returns
   * at most `scope.k` hits, best first.
   */
  hybridSearch?(scope: SearchScope, vector: Float32Array, text: string, rrfK: number): Promise<FusedHit[]>;
  /** How many memories of the scope (never merged ones) match its filter. */
  count(scope: FilterScope): Promise<number>;
  /** Up to `limit` memories of the scope (never merged ones) matching its filter, after `after`, in the scope's order. */
  list(scope: ListScope): Promise<MemoryRecord[]>;
  /** The records of `ids` that exist, in any order (the caller orders them). */
  fetch(ids: readonly string[]): Promise<MemoryRecord[]>;
  get(id: string): Promise<MemoryRecord | undefined>;
  /** Removes the memory (and what merged into it); returns its owner, or undefined when it did not exist. */
  delete(id: string): Promise<Owner | undefined>;
  /** Replaces the vector; returns the memory's owner, or undefined when no such memory exists. */
  setEmbedding(id: string, vector: Float32Array): Promise<Owner | undefined>;
  /** accessCount += 1 and accessedAt = at, for each id (ids may repeat). */
  touch(ids: readonly string[], at: EpochMs): Promise<void>;
  decay(policy: DecayPolicy): Promise<number>;
  /** Links exact duplicates (agent, scope, content) to their oldest twin; returns how many were merged. */
  mergeExactDuplicates(options: { dryRun: boolean }): Promise<number>;
  health(): Promise<BackendHealth>;
  close(): Promise<void>;
}
