import { describe, expect, it } from 'vitest';
import { documentVector, queryVector, termIndex, terms } from '../../src/backends/qdrant/qdrant-keywords.js';

/** The tokenisation README documents for keyword recall on Qdrant (FTS5's porter unicode61 rules). */
describe('qdrant keyword vectors', () => {
  it('words are runs of letters and digits, lower-cased, diacritics removed, Porter-stemmed', () => {
    expect(terms('Experiments, EXPERIMENT; experimental-results_2024!')).toEqual(['experi', 'experi', 'experiment', 'result', '2024']);
    expect(terms('Café naïve Ærø')).toEqual(['cafe', 'naiv', 'ærø']);
    expect(terms('quantum AND "entanglement OR (NOT* ^x')).toEqual(['quantum', 'and', 'entangl', 'or', 'not', 'x']);
    expect(terms('!!! ... ???')).toEqual([]);
  });

  it("a term's index is the 32-bit FNV-1a hash of its UTF-8 bytes", () => {
    expect(termIndex('')).toBe(0x811c9dc5);
    expect(termIndex('a')).toBe(0xe40c292c);
    expect(termIndex('foobar')).toBe(0xbf9cf968);
  });

  it('a query weighs each distinct term 1; text without words has no vector', () => {
    expect(queryVector('apple apple pie')?.values).toEqual([1, 1]);
    expect(queryVector('...')).toBeUndefined();
    expect(documentVector('   ')).toBeUndefined();
  });

  it('memory weights grow with term frequency and fall with length (BM25 with a fixed average length)', () => {
    const weight = (text: string) => {
      const v = documentVector(text);
      const i = v?.indices.indexOf(termIndex('appl')) ?? -1;
      return v?.values[i] as number;
    };
    expect(weight('apple apple pie')).toBeGreaterThan(weight('apple pie'));
    expect(weight('apple pie')).toBeGreaterThan(weight('apple pie with a long list of other words'));
    const v = documentVector('b a c a') as { indices: number[] };
    expect([...v.indices]).toEqual([...v.indices].sort((x, y) => x - y));
  });
});
