import type { ScoredId, SearchScope } from 'memstrate';
import type { Memory } from './memory.js';
import { bm25, terms } from './keywords.js';

/** Whether a memory is a candidate for the scope: not merged away, the agent (unless all agents), every filter field. */
export function inScope(m: Memory, scope: SearchScope): boolean {
  if (m.supersededBy !== undefined) return false;
  if (scope.agentId !== undefined && m.agentId !== scope.agentId) return false;
  const f = scope.filter;
  if (f.source !== undefined && m.source !== f.source) return false;
  if (f.scope !== undefined && m.scope !== f.scope) return false;
  if (f.minConfidence !== undefined && m.confidence < f.minConfidence) return false;
  if (f.after !== undefined && !(m.createdAt > f.after)) return false;
  if (f.before !== undefined && !(m.createdAt < f.before)) return false;
  for (const [key, value] of Object.entries(f.metadata ?? {})) {
    // Strict equality: 1 never matches "1", and null matches only a key that is present with null.
    if (!Object.hasOwn(m.metadata, key) || m.metadata[key] !== value) return false;
  }
  return true;
}

/** Best first; equal scores in insertion order. */
function rank(scored: { m: Memory; score: number }[], k: number): ScoredId[] {
  scored.sort((a, b) => b.score - a.score || a.m.seq - b.m.seq);
  return scored.slice(0, Math.max(1, Math.trunc(k))).map(({ m, score }) => ({ id: m.id, score }));
}

/** Exact nearest neighbours: cosine (= dot product of unit vectors) against every candidate with a vector. */
export function vectorSearch(memories: Iterable<Memory>, scope: SearchScope, query: Float32Array): ScoredId[] {
  const scored: { m: Memory; score: number }[] = [];
  for (const m of memories) {
    if (m.embedding === undefined || !inScope(m, scope)) continue;
    let dot = 0;
    for (let i = 0; i < query.length; i++) dot += (query[i] as number) * (m.embedding[i] as number);
    scored.push({ m, score: dot });
  }
  return rank(scored, scope.k);
}

/**
 * BM25 over every candidate sharing a word with the text; corpus statistics over all live memories
 * (every agent), as a full-text index keeps them. [] when the text has no words.
 */
export function keywordSearch(memories: readonly Memory[], scope: SearchScope, text: string): ScoredId[] {
  const query = terms(text);
  if (query.length === 0) return [];
  const live = memories.filter((m) => m.supersededBy === undefined);
  const score = bm25(query, live.map((m) => m.stats));
  const scored: { m: Memory; score: number }[] = [];
  for (const m of live) {
    if (!query.some((t) => m.stats.terms.has(t)) || !inScope(m, scope)) continue;
    scored.push({ m, score: score(m.stats) });
  }
  return rank(scored, scope.k);
}
