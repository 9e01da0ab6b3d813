/** What backends declare they can do (src/contracts/backend-plugin.ts); shown in `mem.info`. */

/** What a main backend (the eight non-semantic stores and the audit storage) can do. */
export interface MainCapabilities {
  /** Several OS processes may open the same store at once (claims, audit appends stay correct). */
  multiProcess: boolean;
  /** Multi-statement writes are atomic (all or nothing). */
  transactions: boolean;
  /** Task claims skip rows locked by other claimers instead of waiting (`FOR UPDATE SKIP LOCKED`). */
  skipLockedClaims: boolean;
}

export const VECTOR_SEARCH_KINDS = ['exact', 'approximate', 'none'] as const;
export const KEYWORD_RANKINGS = ['bm25', 'ts_rank_cd', 'sparse', 'none'] as const;

/** What a semantic backend can do. */
export interface SemanticCapabilities {
  /** `exact`: true nearest neighbours; `approximate`: an ANN index (recall < 1 possible); `none`: no vectors. */
  vectorSearch: (typeof VECTOR_SEARCH_KINDS)[number];
  /**
   * How keyword recall ranks: `bm25` — memstrate's keyword score (core/keyword-score.ts, every
   * built-in backend); `none` — no keyword search. `ts_rank_cd` and `sparse` are kept for plugins
   * declaring them but no built-in backend ranks that way any more (their scores are not comparable).
   */
  keywordRanking: (typeof KEYWORD_RANKINGS)[number];
  /** Hybrid recall is fused inside the engine (one query) rather than by core from two searches. */
  hybridInEngine: boolean;
  /** A memory write can share one transaction with the main store (same database). */
  sharedTransactions: boolean;
  /** Several OS processes may use the same semantic store at once. */
  multiProcess: boolean;
  /** Largest vector dimension the backend stores. */
  maxDimensions: number;
  /** Most memories one `rememberMany` call may carry. */
  maxBatch: number;
  /**
   * Re-embedding online (`mem.reembed`, `memstrate reembed`): a new vector space is built beside the
   * current one and switched to atomically (SemanticBackend.spaces). Absent = false.
   */
  vectorSpaceMigration?: boolean;
}
