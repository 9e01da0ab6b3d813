import { describe, expect, it } from 'vitest';
import { documentKeywords, queryVector, termIndex } from '../../src/backends/qdrant/qdrant-keywords.js';
import { keywordIdf, keywordTerms, normaliseKeywordScore, queryTerms, termWeights } from '../../src/core/keyword-score.js';

/** The tokenisation and score README documents for keyword recall on every backend (core/keyword-score.ts). */
describe('keyword terms and score (core)', () => {
  it('words are runs of letters, marks and digits, lower-cased, Latin accents removed, Porter-stemmed', () => {
    expect(keywordTerms('Experiments, EXPERIMENT; experimental-results_2024!')).toEqual(['experi', 'experi', 'experiment', 'result', '2024']);
    expect(keywordTerms('Café naïve Ærø')).toEqual(['cafe', 'naiv', 'ærø']);
    expect(keywordTerms('quantum AND "entanglement OR (NOT* ^x')).toEqual(['quantum', 'and', 'entangl', 'or', 'not', 'x']);
    expect(keywordTerms('!!! ... ???')).toEqual([]);
  });

  it('text written without spaces becomes character bigrams (a lone character a unigram); mixed words split by script', () => {
    expect(keywordTerms('東京タワーに行きました')).toEqual(['東京', '京タ', 'タワ', 'ワー', 'ーに', 'に行', '行き', 'きま', 'まし', 'した']);
    expect(keywordTerms('東')).toEqual(['東']);
    expect(keywordTerms('iPhone用ケース')).toEqual(['iphon', '用ケ', 'ケー', 'ース']);
    expect(keywordTerms('서울 여행')).toEqual(['서울', '여행']);
    // Katakana voicing marks are kept (ド is not ト); half-width katakana is folded to full width.
    expect(keywordTerms('ドア ｶﾀｶﾅ')).toEqual(['ドア', 'カタ', 'タカ', 'カナ']);
  });

  it('query terms are distinct, at most 64', () => {
    expect(queryTerms('apple Apple apples pie')).toEqual(['appl', 'pie']);
    expect(queryTerms(Array.from({ length: 100 }, (_, i) => `w${i}`).join(' '))).toHaveLength(64);
  });

  it('weights are BM25 term-frequency parts with the fixed pivot; idf is Lucene\'s; the score is raw / (raw + 1)', () => {
    const w = termWeights('apple apple pie');
    const norm = 1.2 * (0.25 + (0.75 * 3) / 256);
    expect(w.get('appl')).toBeCloseTo((2 * 2.2) / (2 + norm), 12);
    expect(w.get('pie')).toBeCloseTo(2.2 / (1 + norm), 12);
    expect(keywordIdf(10, 1)).toBeCloseTo(Math.log(1 + 9.5 / 1.5), 12);
    expect(normaliseKeywordScore(1)).toBe(0.5);
    expect(normaliseKeywordScore(0)).toBe(0);
    expect(normaliseKeywordScore(3)).toBe(0.75);
  });
});

describe('qdrant keyword vectors', () => {
  it("a term's index is the 32-bit FNV-1a hash of its UTF-8 bytes", () => {
    expect(termIndex('')).toBe(0x811c9dc5);
    expect(termIndex('a')).toBe(0xe40c292c);
    expect(termIndex('foobar')).toBe(0xbf9cf968);
  });

  it('a memory carries its BM25 weights (sorted indices) and distinct terms; text without words has no vector', () => {
    const d = documentKeywords('b a c a');
    expect(d.terms.sort()).toEqual(['a', 'b', 'c']);
    expect([...(d.vector?.indices ?? [])]).toEqual([...(d.vector?.indices ?? [])].sort((x, y) => x - y));
    expect(d.vector?.values[d.vector.indices.indexOf(termIndex('a'))]).toBeCloseTo(termWeights('b a c a').get('a') as number, 12);
    expect(documentKeywords('   ')).toEqual({ vector: undefined, terms: [] });
  });

  it('a query weighs each term held by some memory by its per-agent IDF; terms no memory holds are left out', () => {
    const v = queryVector(10, new Map([['appl', 2], ['zzz', 0]]));
    expect(v).toEqual({ indices: [termIndex('appl')], values: [keywordIdf(10, 2)] });
    expect(queryVector(10, new Map([['zzz', 0]]))).toBeUndefined();
  });
});
