import type { SparseVector } from './vectors.js';

/**
 * IDF of one dimension, as lib/segment/src/data_types/query_context.rs fancy_idf:
 * ln((N − df + 0.5) / (df + 0.5) + 1), N = vectors indexed under the sparse name,
 * df = those among them with a value at this index.
 */
export function idf(n: number, df: number): number {
  return Math.fround(Math.log((n - df + 0.5) / (df + 0.5) + 1));
}

/** Query weights multiplied by each index's IDF over `corpus` (all stored vectors of that name). */
export function applyIdf(query: SparseVector, corpus: SparseVector[]): SparseVector {
  const values = query.indices.map((index, i) => {
    const df = corpus.reduce((count, doc) => count + (doc.indices.includes(index) ? 1 : 0), 0);
    return Math.fround((query.values[i] ?? 0) * idf(corpus.length, df));
  });
  return { indices: query.indices, values };
}

/**
 * Dot product over shared indices; undefined when no index is shared, because Qdrant's
 * sparse search only visits the query's posting lists and skips documents without a hit
 * (lib/sparse/src/index/search_context.rs plain_search).
 */
export function sparseScore(query: SparseVector, doc: SparseVector): number | undefined {
  const docWeights = new Map<number, number>();
  doc.indices.forEach((index, i) => docWeights.set(index, doc.values[i] ?? 0));
  let score = 0;
  let shared = false;
  query.indices.forEach((index, i) => {
    const weight = docWeights.get(index);
    if (weight === undefined) return;
    shared = true;
    score += (query.values[i] ?? 0) * weight;
  });
  return shared ? Math.fround(score) : undefined;
}
