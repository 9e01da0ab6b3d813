export interface ConsolidationReport {
  /** Memories whose confidence decayed. */
  decayed: number;
  /** Exact duplicates merged into an older twin (kept, linked through `supersededBy`). */
  merged: number;
  durationMs: number;
  dryRun: boolean;
}

export interface ConsolidationStore {
  /**
   * Decay as OpenFang: memories not accessed for 7 days lose `decay_rate` of their confidence
   * (floor 0.1); then exact duplicates (same agent, scope and content) are merged into the oldest.
   */
  consolidate(options?: { dryRun?: boolean }): Promise<ConsolidationReport>;
}
