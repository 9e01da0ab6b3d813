import type { ArchivePage, ArchiveRowOutcome, ArchiveWriteOptions } from './archive.js';
import type { FilterNode } from './memory-filter.js';
import type { AgentMemoryCount, MemoryRecord, MemorySource } from './semantic-store.js';
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
  /** Natural key: an existing memory of (agentId, key) is replaced in place (its id kept) instead. */
  key: string | undefined;
  /** Expiry instant, or undefined for none. */
  expiresAt: EpochMs | undefined;
  /** When true: if the agent has a live, unmerged memory with this scope and content, write nothing and report its id. */
  dedupe: boolean;
}

/**
 * The fields `replace` changes; an absent one keeps its stored value. `embedding`: a new vector, or
 * null to drop it. `expiresAt`: a new expiry, or null for none.
 */
export interface MemoryReplacement {
  content?: string;
  source?: MemorySource;
  scope?: string;
  metadata?: JsonObject;
  confidence?: number;
  embedding?: Float32Array | null;
  expiresAt?: EpochMs | null;
}

/** What `insert` did with one row: the id stored or found, and which of created / updated / found it was. */
export interface InsertOutcome {
  id: string;
  /** created: a new memory; updated: a keyed memory replaced in place; existing: dedupe found it. */
  outcome: 'created' | 'updated' | 'existing';
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
  /** The substrate clock's now: a memory with expiresAt <= now is invisible (never returned or counted). */
  now: EpochMs;
  /** When present (recall with `explain`), the backend records here which vector search path ran. */
  trace?: VectorSearchTrace;
}

/** Which vector search ran: `exact` (every candidate compared) or `approximate` (an index: recall may be < 1). */
export interface VectorSearchTrace {
  vectorSearch?: 'exact' | 'approximate';
}

/** One agent's approximate vector index (VectorIndexes). */
export interface VectorIndexStatus {
  agentId: string;
  /** `building`: being filled (queries scan exactly); `ready`: in use. */
  state: 'building' | 'ready';
  /** Memories the agent had when the index was built. */
  rowsAtBuild: number;
  /** Partitions (k-means cells). */
  cells: number;
  builtAt: EpochMs;
}

export interface VectorIndexBuild {
  agentId: string;
  rows: number;
  cells: number;
  /** Bits of each memory's sign code. */
  codeBits: number;
  ms: number;
}

/** Optional (SQLite): per-agent approximate vector indexes, built explicitly or by the `auto` setting. */
export interface VectorIndexes {
  build(agentId: string, options?: { onProgress?: (done: number, total: number) => void; signal?: AbortSignal }): Promise<VectorIndexBuild>;
  status(): Promise<VectorIndexStatus[]>;
  /** False when the agent had no index. */
  drop(agentId: string): Promise<boolean>;
}

/** Which memories count / list look at: the agent (undefined = every agent) and the filter (never merged ones). */
export type FilterScope = Pick<SearchScope, 'agentId' | 'filter' | 'now'>;

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

/**
 * The vector spaces of a store during and after a re-embedding: the `current` one recall searches,
 * the `pending` one being built beside it, and the `previous` one kept after a switch until dropped.
 */
export interface VectorSpaces {
  current: VectorSpace | undefined;
  pending: VectorSpace | undefined;
  previous: VectorSpace | undefined;
}

/** A memory that still needs a vector in the pending space. */
export interface PendingVectorTask {
  id: string;
  content: string;
}

/**
 * Optional SPI (re-embedding, `mem.reembed`): a second vector space built beside the current one and
 * switched to atomically. Recall keeps searching the current space until the switch. Only unmerged
 * memories (expired ones included) get vectors in the pending space; a memory whose content changes
 * or that is deleted loses its pending vector (the engine sees to it, whichever process writes).
 */
export interface VectorSpaceSlots {
  spaces(): Promise<VectorSpaces>;
  /**
   * Creates the pending space (idempotent for the same space). ValidationError when another space is
   * pending (abort it first).
   */
  begin(space: VectorSpace): Promise<void>;
  /** Up to `limit` unmerged memories without a vector in the pending space, by id, after `after`. */
  missing(after: string | undefined, limit: number): Promise<PendingVectorTask[]>;
  /** How many unmerged memories have no vector in the pending space. */
  countMissing(): Promise<number>;
  /**
   * Stores pending-space vectors (unit length, of its dimension) for memories whose content is still
   * `content`; ids that no longer exist, or whose content changed meanwhile, are skipped.
   */
  write(vectors: readonly { id: string; content: string; vector: Float32Array }[]): Promise<void>;
  /**
   * Atomically: the pending space becomes the current one (what recall searches), the current one
   * the previous one (replacing an older previous one). Returns how many memories still lack a
   * pending vector: when that is not 0 nothing was switched.
   */
  switch(): Promise<number>;
  /** Drops the previous space's vectors; false when there was none. */
  dropPrevious(): Promise<boolean>;
  /** Drops the pending space; false when there was none. */
  abort(): Promise<boolean>;
  /**
   * For a store without memories only: forgets every vector space (current, pending, previous), so
   * that the next open fixes the configured one. Returns false (changing nothing) when memories exist.
   */
  reset(): Promise<boolean>;
}

export interface DecayPolicy {
  /** Memories accessed before this instant decay. */
  accessedBefore: EpochMs;
  factor: number;
  floor: number;
  dryRun: boolean;
  /** Memories expired at this instant are left alone (they are invisible). */
  now: EpochMs;
}

/** A memory deleteWhere removed. */
export interface DeletedMemory {
  id: string;
  agentId: string;
}

export interface SemanticBackend {
  readonly name: string;
  /** Where this opened instance differs from its definition's declared capabilities. */
  readonly capabilities?: Partial<SemanticCapabilities>;
  /** The vector space fixed for this store, if any vector was ever stored or one was configured. */
  vectorSpace(): Promise<VectorSpace | undefined>;
  /** Fixes the vector space (first use). ConfigError/ValidationError when another one is fixed. */
  fixVectorSpace(space: VectorSpace): Promise<void>;
  /** Optional (re-embedding): a second vector space beside the current one. Declared as `vectorSpaceMigration`. */
  readonly spaces?: VectorSpaceSlots;
  /** Optional: approximate vector indexes per agent (SQLite). */
  readonly vectorIndexes?: VectorIndexes;
  /**
   * Writes the rows in one unit (all or nothing where the engine can): a row with a `key` replaces
   * the live memory of (agentId, key) in place — content, source, scope, metadata, confidence,
   * vector (none when the row has none) and expiry; id, createdAt and access counts kept — and an
   * expired one of that key is deleted first (the row is then created anew); a `dedupe` row whose
   * (agentId, scope, content) a live unmerged memory already has writes nothing. Expiry is judged
   * at `now`. One outcome per row, in order. Rows never repeat a (agentId, key) (core checks).
   */
  insert(rows: readonly NewMemoryRow[], now: EpochMs): Promise<InsertOutcome[]>;
  /**
   * Changes a live (not expired at `now`), unmerged memory in place — the same replacement a keyed
   * insert makes (keyword index re-indexed, the vector index following scope / source / confidence),
   * of only the given fields; id, agentId, key, createdAt and access counts kept. Atomic where the
   * engine can be. Returns the updated record as `get` returns it (its vector included), or
   * undefined when no such live, unmerged memory exists (nothing changed).
   */
  replace(id: string, fields: MemoryReplacement, now: EpochMs): Promise<MemoryRecord | undefined>;
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
  /**
   * Memories per agent (never merged or expired ones at `now`): the `limit` agents with the most,
   * by count descending then agentId ascending (byte order).
   */
  countByAgent(limit: number, now: EpochMs): Promise<AgentMemoryCount[]>;
  /** Up to `limit` memories of the scope (never merged ones) matching its filter, after `after`, in the scope's order. */
  list(scope: ListScope): Promise<MemoryRecord[]>;
  /** The records of `ids` that exist, in any order (the caller orders them). */
  fetch(ids: readonly string[]): Promise<MemoryRecord[]>;
  get(id: string): Promise<MemoryRecord | undefined>;
  /**
   * Removes every memory `count(scope)` counts, with the memories merged into them; returns the
   * removed memories of the scope (not the merged ones), each once. With `secure` (an erasure),
   * what is deleted is overwritten where the engine can (SQLite: secure_delete, keyword terms included,
   * a truncating WAL checkpoint).
   */
  deleteWhere(scope: FilterScope, options?: { secure?: boolean }): Promise<DeletedMemory[]>;
  /** Removes the memory (and what merged into it); returns its owner, or undefined when it did not exist. */
  delete(id: string): Promise<Owner | undefined>;
  /** Replaces the vector; returns the memory's owner, or undefined when no such memory exists. */
  setEmbedding(id: string, vector: Float32Array): Promise<Owner | undefined>;
  /** accessCount += 1 and accessedAt = at, for each id (ids may repeat). */
  touch(ids: readonly string[], at: EpochMs): Promise<void>;
  decay(policy: DecayPolicy): Promise<number>;
  /**
   * Links exact duplicates (agent, scope, content) to their oldest twin; returns how many were merged.
   * Memories with a key or an expiry are never merged (nor merged into), and expired ones are left alone.
   */
  mergeExactDuplicates(options: { dryRun: boolean; now: EpochMs }): Promise<number>;
  /** Deletes every memory with expiresAt <= now (its vector and keyword entry too); returns how many. */
  purgeExpired(now: EpochMs): Promise<number>;
  /**
   * Optional (export): a page of every memory — merged and expired ones too — of the agents (all when
   * undefined) in a stable order, each with its vector when it has one, and the next page's opaque
   * cursor (undefined after the last). Without it (or `importRows`), export / import fail with NOT_SUPPORTED.
   */
  exportRows?(page: ArchivePage): Promise<{ rows: MemoryRecord[]; cursor: string | undefined }>;
  /** Optional, with `exportRows`: how many memories it would return over all its pages (export progress shows an ETA with it). */
  countRows?(agentIds: readonly string[] | undefined): Promise<number>;
  /**
   * Optional (import): writes the memories as they are — id, agent, key, createdAt, accessedAt,
   * accessCount, supersededBy, expiry, vector — in one unit where the engine can. A memory whose id,
   * or whose (agentId, key), is already stored is left alone (`existing`) or, with `overwrite`,
   * replaced whole (`replaced`; only that row, not what merged into it). One outcome per row. Vectors
   * are unit length in the store's fixed vector space (core fixes it first).
   */
  importRows?(rows: readonly MemoryRecord[], options: ArchiveWriteOptions): Promise<ArchiveRowOutcome[]>;
  health(): Promise<BackendHealth>;
  close(): Promise<void>;
}
