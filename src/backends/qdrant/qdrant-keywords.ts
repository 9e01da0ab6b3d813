import { keywordIdf, termWeights } from '../../core/keyword-score.js';

/**
 * Keyword recall on Qdrant, by the keyword score core defines (core/keyword-score.ts: its terms,
 * BM25 weights and per-agent IDF), the same as on every other backend.
 *
 * A memory point carries its BM25 term weights w(t, d) as the sparse vector `bm25` (no modifier:
 * Qdrant's own IDF modifier is collection-wide, every agent's) and its distinct terms in the payload
 * field `kw_terms` (keyword-indexed). A search first counts, exactly and with the scope's agent, N
 * (its memories) and df(t) for each query term (at most 64, counted in parallel), then queries with
 * the sparse vector idf(t) per term: the server's sparse dot product is then Σ idf(t) × w(t, d), the
 * raw BM25. A term's sparse index is the 32-bit FNV-1a hash of its UTF-8 bytes (terms that collide
 * share a dimension, their weights added).
 */

export interface SparseVector {
  indices: number[];
  values: number[];
}

/** 32-bit FNV-1a of the term's UTF-8 bytes: the term's sparse index. */
export function termIndex(term: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(term)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

function sparse(entries: Iterable<[string, number]>): SparseVector | undefined {
  const map = new Map<number, number>();
  for (const [term, value] of entries) {
    const index = termIndex(term);
    map.set(index, (map.get(index) ?? 0) + value);
  }
  if (map.size === 0) return undefined;
  const indices = [...map.keys()].sort((a, b) => a - b);
  return { indices, values: indices.map((i) => map.get(i) as number) };
}

/** The memory's keyword index: its BM25 weight vector and distinct terms (undefined vector when it has none). */
export function documentKeywords(content: string): { vector: SparseVector | undefined; terms: string[] } {
  const weights = termWeights(content);
  return { vector: sparse(weights), terms: [...weights.keys()] };
}

/** The query's sparse vector: each term held by any memory of the scope weighted by its IDF. */
export function queryVector(n: number, df: ReadonlyMap<string, number>): SparseVector | undefined {
  return sparse([...df].filter(([, d]) => d > 0).map(([t, d]) => [t, keywordIdf(n, d)] as [string, number]));
}
