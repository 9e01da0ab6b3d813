import type { FusedHit, ScoredId } from '../contracts/semantic-backend.js';

/** The usual Reciprocal Rank Fusion constant. */
export const RRF_K = 60;


/** Fuses two ranked lists: score = Σ 1 / (k + rank). Ties break on the better single rank, then id. */
export function reciprocalRankFusion(vector: readonly ScoredId[], keyword: readonly ScoredId[], k = RRF_K): FusedHit[] {
  const hits = new Map<string, FusedHit>();
  vector.forEach((h, i) => {
    hits.set(h.id, { id: h.id, score: 1 / (k + i + 1), vectorRank: i + 1, vectorScore: h.score });
  });
  keyword.forEach((h, i) => {
    const existing = hits.get(h.id);
    const part = 1 / (k + i + 1);
    if (existing) {
      existing.score += part;
      existing.keywordRank = i + 1;
      existing.keywordScore = h.score;
    } else {
      hits.set(h.id, { id: h.id, score: part, keywordRank: i + 1, keywordScore: h.score });
    }
  });
  const best = (h: FusedHit) => Math.min(h.vectorRank ?? Infinity, h.keywordRank ?? Infinity);
  return [...hits.values()].sort((a, b) => b.score - a.score || best(a) - best(b) || (a.id < b.id ? -1 : 1));
}
