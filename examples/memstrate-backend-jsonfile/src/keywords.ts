/**
 * Keyword ranking: memstrate's keyword score (the same on every backend): its terms, each memory's
 * BM25 term weights (k1 = 1.2, b = 0.75, fixed length pivot) and, at query time, the IDF over the
 * searched agent's own memories. Query syntax does not exist — every term of the text is a plain
 * term, matched with OR. keywordSearch returns the raw BM25; memstrate reports raw / (raw + 1).
 */
import { keywordIdf, termWeights } from 'memstrate';

/** What a memory contributes to ranking: its BM25 weight per distinct term. */
export interface TermStats {
  weights: Map<string, number>;
}

export function termStats(text: string): TermStats {
  return { weights: termWeights(text) };
}

/**
 * BM25 scorer for one query over a corpus (the memories whose statistics count: the searched
 * agent's, or everyone's for allAgents). Returns 0 for a memory sharing no term with the query.
 */
export function bm25(queryTerms: readonly string[], corpus: readonly TermStats[]): (doc: TermStats) => number {
  const n = corpus.length;
  const df = new Map<string, number>(queryTerms.map((t) => [t, 0]));
  for (const doc of corpus) for (const t of queryTerms) if (doc.weights.has(t)) df.set(t, (df.get(t) ?? 0) + 1);
  const idf = new Map(queryTerms.map((t) => [t, keywordIdf(n, df.get(t) ?? 0)]));
  return (doc) => {
    let score = 0;
    for (const t of queryTerms) {
      const w = doc.weights.get(t);
      if (w !== undefined) score += (idf.get(t) as number) * w;
    }
    return score;
  };
}
