/**
 * Keyword ranking: Okapi BM25 over lower-cased, accent-folded, lightly stemmed words. Query syntax
 * does not exist — every word of the text is a plain term, matched with OR.
 */

/** BM25 term-frequency saturation and length normalisation (the FTS5 / Lucene defaults). */
const K1 = 1.2;
const B = 0.75;

/** What a document contributes to ranking: its term counts and its length in terms. */
export interface TermStats {
  terms: Map<string, number>;
  length: number;
}

/**
 * A light English stemmer (plural -s/-es/-ies, -ed, -ing; not Porter): "experiments" and
 * "experiment" meet, "recalled" finds "recall". Words of three letters or fewer, and words with
 * anything but a–z, are left alone.
 */
export function stem(word: string): string {
  if (word.length <= 3 || !/^[a-z]+$/.test(word)) return word;
  let w = word;
  if (w.endsWith('sses')) w = w.slice(0, -2);
  else if (w.endsWith('ies')) w = `${w.slice(0, -3)}y`;
  else if (w.endsWith('s') && !/(ss|us|is)$/.test(w)) w = w.slice(0, -1);
  for (const suffix of ['ing', 'ed']) {
    const rest = w.slice(0, -suffix.length);
    if (w.endsWith(suffix) && !w.endsWith('eed') && rest.length >= 3 && /[aeiouy]/.test(rest)) {
      // "stopped" → "stop", but "falling" → "fall" and "missed" → "miss".
      w = /([b-df-hj-np-rtv-z])\1$/.test(rest) && !/(ll|ss|zz)$/.test(rest) ? rest.slice(0, -1) : rest;
      break;
    }
  }
  return w;
}

/** The terms of a text, in order (repeats kept). */
export function terms(text: string): string[] {
  const words = text.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase().match(/[\p{L}\p{N}]+/gu);
  return words ? words.map(stem) : [];
}

export function termStats(text: string): TermStats {
  const counts = new Map<string, number>();
  const all = terms(text);
  for (const t of all) counts.set(t, (counts.get(t) ?? 0) + 1);
  return { terms: counts, length: all.length };
}

/**
 * BM25 scorer for one query over a corpus (document frequencies and the average length are taken
 * over `corpus`). Returns 0 for a document sharing no term with the query. The IDF is Lucene's
 * non-negative ln(1 + (N − df + 0.5) / (df + 0.5)), so a word in most documents still counts a little.
 */
export function bm25(queryTerms: readonly string[], corpus: readonly TermStats[]): (doc: TermStats) => number {
  const unique = [...new Set(queryTerms)];
  const n = corpus.length;
  let totalLength = 0;
  const df = new Map<string, number>(unique.map((t) => [t, 0]));
  for (const doc of corpus) {
    totalLength += doc.length;
    for (const t of unique) if (doc.terms.has(t)) df.set(t, (df.get(t) ?? 0) + 1);
  }
  const avgLength = n === 0 ? 1 : Math.max(totalLength / n, 1);
  const idf = new Map(unique.map((t) => [t, Math.log(1 + (n - (df.get(t) ?? 0) + 0.5) / ((df.get(t) ?? 0) + 0.5))]));
  return (doc) => {
    let score = 0;
    for (const t of unique) {
      const tf = doc.terms.get(t);
      if (tf === undefined) continue;
      score += (idf.get(t) as number) * ((tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * doc.length) / avgLength)));
    }
    return score;
  };
}
