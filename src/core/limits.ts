/** Input limits, identical on every backend. Exceeding one is a ValidationError with nothing written. */
export const LIMITS = {
  idLength: 256,
  /** KV keys, UTF-8 bytes (they are indexed: a PostgreSQL b-tree entry must stay under ~2.7 kB). */
  keyLength: 1024,
  /** KV values and agent entries, serialised. */
  valueBytes: 1_048_576,
  /** Memory content, UTF-8. */
  contentBytes: 262_144,
  metadataBytes: 65_536,
  scopeLength: 128,
  labelLength: 256,
  maxDimensions: 16_000,
  maxRecallLimit: 1000,
  /** Distinct words of a recall's text that keyword ranking uses (the rest are ignored). */
  maxQueryTerms: 64,
  maxBatch: 10_000,
  maxGraphDepth: 16,
  maxGraphLimit: 10_000,
  /** Entities one graph query may reach before it stops with VALIDATION (its work budget). */
  maxGraphVisited: 100_000,
  maxListLimit: 10_000,
  /** Largest `days` of a cleanup or retention setting: keeps `days × 24 h` an exact integer of ms. */
  maxRetentionDays: 100_000_000,
  textLength: 65_536,
  /** Session messages, serialised. */
  sessionBytes: 16_777_216,
  /**
   * One usage event's input or output tokens (a billion: beyond any model's context), and its tool
   * calls. Sums stay exact up to 2^53 tokens, millions of maximal events.
   */
  usageTokens: 1_000_000_000,
  usageToolCalls: 1_000_000,
  /** One usage event's cost in USD (a million dollars for one call is not a real bill). */
  usageCostUsd: 1_000_000,
} as const;
