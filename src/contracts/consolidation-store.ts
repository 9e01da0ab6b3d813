export interface ConsolidationReport {
  /** Memories whose confidence decayed. */
  decayed: number;
  /** Exact duplicates merged into an older twin (kept, linked through `supersededBy`). */
  merged: number;
  /** Memories past their expiry removed (a dry run removes nothing: 0). */
  expired: number;
  durationMs: number;
  dryRun: boolean;
}

export interface ConsolidationStore {
  /**
   * Decay as OpenFang: memories not accessed for 7 days lose `decay_rate` of their confidence
   * (floor 0.1); then exact duplicates (same agent, scope and content) are merged into the oldest;
   * memories past their expiry are removed.
   */
  consolidate(options?: { dryRun?: boolean }): Promise<ConsolidationReport>;
}
