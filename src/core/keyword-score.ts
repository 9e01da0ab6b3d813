import { stemmer } from 'stemmer';
import { LIMITS } from './limits.js';

/**
 * The keyword score, defined once and computed the same way by every backend.
 *
 * Terms. Text is folded (Unicode NFKD with Latin combining accents removed, then NFKC, lower case)
 * and split into words: runs of letters, marks and digits. A word's runs of characters from scripts
 * written without spaces (Han, Hiragana, Katakana, Hangul, Thai, Lao, Khmer, Myanmar) become their
 * overlapping character bigrams (a single such character stays a unigram), so "東京タワーに行きました"
 * holds the terms 東京, 京タ, タワ, ワー, … and a query for "東京" or "タワー" finds it. Every other
 * run is reduced by the Porter stemmer ("memories" → "memori", matching "memory").
 *
 * Raw score (BM25, k1 = 1.2, b = 0.75). For a memory d and the query's distinct terms Q:
 *
 *     raw(d) = Σ_{t ∈ Q ∩ d} idf(t) × w(t, d)
 *     w(t, d) = tf × (k1 + 1) / (tf + k1 × (1 − b + b × |d| / 256))
 *     idf(t) = ln(1 + (N − df(t) + 0.5) / (df(t) + 0.5))
 *
 * where tf is how often t occurs in d, |d| d's length in terms, N the number of memories stored for
 * the searched agent (those merged into another and expired ones not yet purged included: counting
 * what is stored keeps the counts index-only) and df(t) how many of them hold t. The statistics are
 * the searched agent's own: another agent's memories never change (nor reveal anything through) an
 * agent's scores. For `allAgents` recall, N and df are over every agent's memories. The length
 * pivot is fixed at 256 terms (as FastEmbed's BM25 for Qdrant fixes it) rather than the corpus
 * average, so a memory's term weights w are fixed when it is written: every backend can index them,
 * and a memory's score only moves with the IDF of the query's terms.
 *
 * Keyword score = raw / (raw + 1), in [0, 1): absolute (not relative to the best hit), monotonic in
 * raw, the same on every backend, so `minScore` thresholds one scale. 0.5 means raw BM25 = 1.
 */

/** BM25 term-frequency saturation. */
export const BM25_K1 = 1.2;
/** BM25 length normalisation. */
export const BM25_B = 0.75;
/** The fixed length pivot (terms) standing for BM25's average document length. */
export const BM25_PIVOT = 256;

/** Scripts written without spaces between words: indexed as character bigrams. */
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}\u3005\u30fc\uff70]/u;
const WORD = /[\p{L}\p{M}\p{N}]+/gu;
/** WORD on folded (lower-case) ASCII: ASCII's letters and digits; it has no marks. */
const ASCII_WORD = /[a-z0-9]+/g;
const LATIN_ACCENTS = /[\u0300-\u036f]+/g;

/** Only ASCII: NFKD and NFKC leave it as it is, it has no combining accents and no unspaced script. */
const ASCII = /^[\x00-\x7f]*$/;

function fold(text: string): string {
  if (ASCII.test(text)) return text.toLowerCase();
  return text.normalize('NFKD').replace(LATIN_ACCENTS, '').normalize('NFKC').toLowerCase();
}

/**
 * Porter stems of the words seen lately (the stemmer is a pure function of the word): writing a
 * memory stems every word, and stemming was most of the tokenising time. Bounded: emptied when full.
 */
const STEMS = new Map<string, string>();
const STEM_CACHE_SIZE = 50_000;

function stem(word: string): string {
  let s = STEMS.get(word);
  if (s === undefined) {
    s = stemmer(word);
    if (STEMS.size >= STEM_CACHE_SIZE) STEMS.clear();
    STEMS.set(word, s);
  }
  return s;
}

function pushRun(run: string[], unspaced: boolean, out: string[]): void {
  if (run.length === 0) return;
  if (!unspaced) {
    out.push(stem(run.join('')));
    return;
  }
  if (run.length === 1) {
    out.push(run[0] as string);
    return;
  }
  for (let i = 0; i + 1 < run.length; i++) out.push((run[i] as string) + (run[i + 1] as string));
}

/** The terms of `text`, in order, repeats kept. */
export function keywordTerms(text: string): string[] {
  const out: string[] = [];
  const folded = fold(text);
  if (ASCII.test(folded)) {
    // No unspaced script in ASCII: every word is one run, stemmed.
    for (const match of folded.matchAll(ASCII_WORD)) out.push(stem(match[0]));
    return out;
  }
  for (const match of folded.matchAll(WORD)) {
    let run: string[] = [];
    let unspaced = false;
    for (const ch of match[0]) {
      const u = UNSPACED.test(ch);
      if (u !== unspaced && run.length > 0) {
        pushRun(run, unspaced, out);
        run = [];
      }
      unspaced = u;
      run.push(ch);
    }
    pushRun(run, unspaced, out);
  }
  return out;
}

/** The query's distinct terms, in order, at most `max` (64): what every backend searches for. */
export function queryTerms(text: string, max: number = LIMITS.maxQueryTerms): string[] {
  const seen = new Set<string>();
  for (const term of keywordTerms(text)) {
    seen.add(term);
    if (seen.size === max) break;
  }
  return [...seen];
}

/** A memory's BM25 term weights w(t, d) (see above); empty when it has no terms. */
export function termWeights(content: string): Map<string, number> {
  const all = keywordTerms(content);
  const counts = new Map<string, number>();
  for (const t of all) counts.set(t, (counts.get(t) ?? 0) + 1);
  const norm = BM25_K1 * (1 - BM25_B + (BM25_B * all.length) / BM25_PIVOT);
  const weights = new Map<string, number>();
  for (const [t, tf] of counts) weights.set(t, (tf * (BM25_K1 + 1)) / (tf + norm));
  return weights;
}

/**
 * BM25's IDF of a term held by `df` of `n` memories (Lucene's form: always positive). Keep it
 * self-contained: the SQLite keyword read task compiles its source into a worker thread.
 */
export function keywordIdf(n: number, df: number): number {
  return Math.log(1 + (n - df + 0.5) / (df + 0.5));
}

/** The keyword score reported for a raw BM25 score: raw / (raw + 1), in [0, 1). */
export function normaliseKeywordScore(raw: number): number {
  return raw > 0 ? raw / (raw + 1) : 0;
}
