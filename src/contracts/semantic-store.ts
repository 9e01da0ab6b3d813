import type { FilterExpr } from './memory-filter.js';
import type { EpochMs, JsonObject, JsonPrimitive } from './types.js';

export const MEMORY_SOURCES = [
  'conversation',
  'document',
  'observation',
  'inference',
  'user_provided',
  'system',
] as const;
export type MemorySource = (typeof MEMORY_SOURCES)[number];

export type VectorInput = readonly number[] | Float32Array;

export interface RememberInput {
  agentId: string;
  content: string;
  /** Default `observation`. */
  source?: MemorySource;
  /** Free-form collection name. Default `episodic`. */
  scope?: string;
  metadata?: JsonObject;
  /** Caller-supplied vector; when absent and an embedder is configured, the content is embedded. */
  embedding?: VectorInput;
  /** In [0, 1]. Default 1. */
  confidence?: number;
  /**
   * A natural key (1..256 characters), unique per agent: remembering with a key the agent already
   * uses replaces that memory's content, metadata, source, scope, confidence, vector and expiry
   * (same id, same createdAt and access counts) instead of making a new memory.
   */
  key?: string;
  /**
   * `content`: when the agent already has a live memory with this scope and exactly this content,
   * return its id and write nothing (`created: false`). Not with `key`.
   */
  dedupe?: 'content';
  /** Expiry as an absolute instant (epoch ms, in the future). Not with `ttlMs`. */
  expiresAt?: EpochMs;
  /** Expiry relative to now (1 ms .. 100 years). Not with `expiresAt`. */
  ttlMs?: number;
}

/**
 * A change to one memory (`update`): at least one field. Each field given replaces the stored one —
 * `metadata` is replaced whole, never merged — and is validated as `remember` validates it. A new
 * `content` is re-embedded with the configured embedder (without one, and without an `embedding`
 * here, the memory loses its vector) and re-indexed for keyword recall. The id, agentId, key,
 * createdAt and access counts stay.
 */
export interface MemoryPatch {
  content?: string;
  source?: MemorySource;
  scope?: string;
  /** Replaces the whole metadata object. */
  metadata?: JsonObject;
  /** In [0, 1]. */
  confidence?: number;
  /** Caller-supplied vector (checked like remember's); wins over embedding a new content. */
  embedding?: VectorInput;
  /** New expiry (epoch ms, in the future), or null for none. Not with `ttlMs`. */
  expiresAt?: EpochMs | null;
  /** New expiry relative to now (1 ms .. 100 years). Not with `expiresAt`. */
  ttlMs?: number;
}

/** The names an update reports as changed (`ttlMs` is reported as `expiresAt`), in this order. */
export const MEMORY_PATCH_FIELDS = ['content', 'source', 'scope', 'metadata', 'confidence', 'embedding', 'expiresAt'] as const;
export type MemoryPatchField = (typeof MEMORY_PATCH_FIELDS)[number];

/** The fields a patch gives, by their reported names (`ttlMs` as `expiresAt`), in MEMORY_PATCH_FIELDS order. */
export function patchFields(patch: MemoryPatch): MemoryPatchField[] {
  return MEMORY_PATCH_FIELDS.filter((f) => (f === 'expiresAt' ? patch.expiresAt !== undefined || patch.ttlMs !== undefined : patch[f] !== undefined));
}

/**
 * What one remember did: `created` when a new memory was made; `updated` when a keyed memory was
 * replaced; neither when `dedupe` found the same content (nothing was written).
 */
export interface RememberResult {
  id: string;
  created: boolean;
  updated: boolean;
}

export interface MemoryRecord {
  id: string;
  agentId: string;
  content: string;
  source: MemorySource;
  scope: string;
  metadata: JsonObject;
  confidence: number;
  createdAt: EpochMs;
  accessedAt: EpochMs;
  accessCount: number;
  /** Set when consolidation merged this memory into another one (which then stands for it). */
  supersededBy?: string;
  /** Present on `get()` when the memory has a vector. */
  embedding?: number[];
  /** The memory's natural key, when it was remembered with one. */
  key?: string;
  /** When the memory expires (it is invisible to every read from this instant on). */
  expiresAt?: EpochMs;
}

export interface MemoryFilter {
  source?: MemorySource;
  scope?: string;
  minConfidence?: number;
  /** createdAt strictly after this instant. */
  after?: EpochMs;
  /** createdAt strictly before this instant. */
  before?: EpochMs;
  /**
   * Each key (one metadata key, whatever characters it holds) must hold this scalar value (an array
   * holding it matches too); a null value means the key has no value (missing, null or []).
   */
  metadata?: Record<string, JsonPrimitive>;
  /** A typed filter expression (see README, "Filtering memories"); AND-ed with the keys above. */
  where?: FilterExpr;
}

/** Whose memories: one agent's, or (`allAgents: true`) everyone's. */
export type AgentSelector = { agentId: string; allAgents?: false } | { agentId?: undefined; allAgents: true };

export type CountQuery = AgentSelector & { filter?: MemoryFilter };

/** `createdAt`: oldest first; `-createdAt`: newest first. Ties on createdAt go by id (ascending) either way. */
export type MemoryListOrder = 'createdAt' | '-createdAt';

export type ListQuery = AgentSelector & {
  filter?: MemoryFilter;
  /** Default `-createdAt` (newest first). */
  orderBy?: MemoryListOrder;
  /** 1..1000, default 50. */
  limit?: number;
  /** `nextCursor` of the previous page (same query): the page continues after it. */
  cursor?: string;
};

/** How many memories (not merged into another) an agent has. */
export interface AgentMemoryCount {
  agentId: string;
  count: number;
}

export interface MemoryPage {
  items: MemoryRecord[];
  /** Present when more memories may follow: pass it as `cursor` for the next page. */
  nextCursor?: string;
}

export type RecallMode = 'hybrid' | 'vector' | 'keyword';

export type RecallQuery = AgentSelector & {
  text?: string;
  embedding?: VectorInput;
  /** 1..1000, default 10. */
  limit?: number;
  /** Default: `hybrid` when both a vector and text are available, else whichever is. */
  mode?: RecallMode;
  filter?: MemoryFilter;
  /** Attach per-signal ranks and scores to each result. */
  explain?: boolean;
  /**
   * Leave out results scoring below this. The scale is the mode's, the same on every backend:
   * `vector` — cosine similarity (−1..1); `keyword` — the keyword score, raw BM25 / (raw BM25 + 1) in
   * [0, 1) with BM25 over the searched agent's own memories (README, "Relevance scores"); `hybrid` —
   * the RRF score Σ 1/(60 + rank), at most 2/61 (rank-based, so not comparable across queries).
   */
  minScore?: number;
};

export interface RecallExplanation {
  /** 1-based rank in the vector candidate list. */
  vectorRank?: number;
  /** Cosine similarity in [-1, 1]. */
  vectorSimilarity?: number;
  /** 1-based rank in the keyword candidate list. */
  keywordRank?: number;
  /** The keyword score in [0, 1): raw BM25 / (raw BM25 + 1), per-agent statistics (what keyword mode reports). */
  keywordScore?: number;
  /** The Reciprocal Rank Fusion constant used (hybrid only). */
  rrfK?: number;
  /**
   * Which vector search ran (vector and hybrid recall): `exact` — every candidate compared;
   * `approximate` — an index answered (SQLite's per-agent IVF under `vector_search`, pgvector's HNSW,
   * Qdrant's HNSW), so a true neighbour may be missed.
   */
  vectorSearch?: 'exact' | 'approximate';
}

export interface RecalledMemory {
  memory: MemoryRecord;
  /**
   * Higher is better; the same meaning on every backend. vector: cosine similarity in [−1, 1];
   * keyword: the keyword score in [0, 1) (raw BM25 / (raw BM25 + 1), statistics of the searched
   * agent's memories); hybrid: the RRF score Σ 1/(60 + rank), with each signal's own score in
   * `explanation` (vectorSimilarity, keywordScore).
   */
  score: number;
  matchedBy: RecallMode;
  explanation?: RecallExplanation;
}

export interface SemanticStore {
  /** The id of the memory made, replaced (`key`) or found (`dedupe`). */
  remember(input: RememberInput): Promise<string>;
  /** All or nothing: every input is validated (and embedded) before anything is written. Two inputs naming the same (agentId, key): ValidationError. */
  rememberMany(inputs: readonly RememberInput[]): Promise<string[]>;
  /** `remember`, saying whether a memory was created, replaced, or found (dedupe). */
  rememberWithResult(input: RememberInput): Promise<RememberResult>;
  /** `rememberMany`, one result per input, in order. */
  rememberManyWithResult(inputs: readonly RememberInput[]): Promise<RememberResult[]>;
  /** Deletes every memory whose expiry has passed (by the substrate clock); returns how many. */
  purgeExpired(): Promise<number>;
  recall(query: RecallQuery): Promise<RecalledMemory[]>;
  /**
   * Removes every memory `count(query)` counts — the agent's (or, with allAgents, every agent's)
   * memories matching the filter — with their vectors, keyword entries and the memories merged into
   * them. Returns how many `count` counted. Without a filter: all of the agent's memories.
   */
  deleteWhere(query: CountQuery): Promise<number>;
  /** Removes the memory, its vector and its keyword index entry. True when something was removed. */
  forget(id: string): Promise<boolean>;
  /**
   * Changes the fields the patch gives (see MemoryPatch) and returns the updated record (with its
   * vector, as `get`). NotFoundError for an unknown, expired or merged (superseded) memory;
   * ValidationError for an empty patch, an unknown key or a bad value.
   */
  update(id: string, patch: MemoryPatch): Promise<MemoryRecord>;
  /** Replaces the vector. NotFoundError when no such memory exists. */
  updateEmbedding(id: string, vector: VectorInput): Promise<void>;
  get(id: string): Promise<MemoryRecord | undefined>;
  /** The memories of `ids` (at most 1,000) that exist, in the order asked; unknown ids are left out. */
  getMany(ids: readonly string[]): Promise<MemoryRecord[]>;
  /** How many memories (not merged into another) match the filter. */
  count(query: CountQuery): Promise<number>;
  /**
   * The agents that have memories — found from the data, registered or not — with how many each:
   * the `limit` (1..10000, default 1000) with the most, by count descending then agentId.
   */
  countByAgent(options?: { limit?: number }): Promise<AgentMemoryCount[]>;
  /**
   * The memories (not merged into another) matching the filter, a page at a time, in createdAt order
   * (ties by id); paging with `nextCursor` is stable under concurrent inserts (keyset pagination).
   */
  list(query: ListQuery): Promise<MemoryPage>;
}
