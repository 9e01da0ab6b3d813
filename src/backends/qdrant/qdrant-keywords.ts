import { stemmer } from 'stemmer';

/**
 * Keyword recall on Qdrant: text becomes a sparse vector on the client, and the server ranks by it
 * (sparse dot product, each term weighted by the IDF Qdrant computes over the collection).
 *
 * Tokenisation follows SQLite FTS5's `porter unicode61 remove_diacritics 2` tokenizer, which the
 * sqlite backend uses: Unicode NFKD with diacritics removed, lower case, runs of letters and digits
 * are words (everything else separates), each word reduced by the Porter stemmer. A term's index is
 * the 32-bit FNV-1a hash of its UTF-8 bytes.
 *
 * A memory's term weights are BM25's term-frequency part with a fixed average length (as FastEmbed's
 * BM25 model for Qdrant does, k1 = 1.2, b = 0.75, average 256 terms): the weight grows with how often
 * the term occurs and falls with the memory's length. A query weighs each distinct term 1, so a
 * score is Σ idf(term) × weight(term) over the terms the query and the memory share — BM25.
 */

export interface SparseVector {
  indices: number[];
  values: number[];
}

const K1 = 1.2;
const B = 0.75;
const AVERAGE_LENGTH = 256;

const WORD = /[\p{L}\p{N}]+/gu;
const MARKS = /\p{M}+/gu;

/** The stemmed terms of `text`, in order (repeats kept). */
export function terms(text: string): string[] {
  const folded = text.normalize('NFKD').replace(MARKS, '').toLowerCase();
  return (folded.match(WORD) ?? []).map((word) => stemmer(word));
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

function counts(text: string): { counts: Map<number, number>; length: number } {
  const list = terms(text);
  const map = new Map<number, number>();
  for (const term of list) {
    const index = termIndex(term);
    map.set(index, (map.get(index) ?? 0) + 1);
  }
  return { counts: map, length: list.length };
}

/** The memory's sparse vector (BM25 term weights), or undefined when it has no words. */
export function documentVector(content: string): SparseVector | undefined {
  const { counts: map, length } = counts(content);
  if (map.size === 0) return undefined;
  const norm = K1 * (1 - B + (B * length) / AVERAGE_LENGTH);
  const indices = [...map.keys()].sort((a, b) => a - b);
  return { indices, values: indices.map((i) => { const tf = map.get(i) as number; return (tf * (K1 + 1)) / (tf + norm); }) };
}

/** The query's sparse vector (1 per distinct term), or undefined when the text has no words. */
export function queryVector(text: string): SparseVector | undefined {
  const { counts: map } = counts(text);
  if (map.size === 0) return undefined;
  const indices = [...map.keys()].sort((a, b) => a - b);
  return { indices, values: indices.map(() => 1) };
}
