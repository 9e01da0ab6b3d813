import { LIMITS } from './limits.js';

/** A word: a run of Unicode letters, combining marks and digits (what every keyword index splits on). */
const WORD = /[\p{L}\p{M}\p{N}]+/gu;

/**
 * The keyword side of a recall query, bounded the same way on every backend: its first
 * `LIMITS.maxQueryTerms` distinct words (case-insensitive), in order, joined by spaces. Text may be
 * 64 KiB — some 16,000 words — and OR-ing them all makes engines fail (PostgreSQL's ts_rank_cd ran
 * out of memory) or crawl; words past the bound are ignored. Empty when the text has no words.
 */
export function boundedKeywordText(text: string, max: number = LIMITS.maxQueryTerms): string {
  const seen = new Set<string>();
  const words: string[] = [];
  for (const match of text.matchAll(WORD)) {
    const word = match[0];
    const key = word.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    words.push(word);
    if (words.length === max) break;
  }
  return words.join(' ');
}
