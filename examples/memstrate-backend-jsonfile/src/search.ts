import { matchesFilter, queryTerms, type FilterScope, type ListScope, type ScoredId, type SearchScope } from 'memstrate';
import { live, type Memory } from './memory.js';
import { bm25 } from './keywords.js';

/**
 * Whether a memory is a candidate for the scope: not merged away, the agent (unless all agents), and
 * the filter — core's reference evaluator decides it, so this backend means exactly what the grammar says.
 */
export function inScope(m: Memory, scope: FilterScope): boolean {
  if (m.supersededBy !== undefined || !live(m, scope.now)) return false;
  if (scope.agentId !== undefined && m.agentId !== scope.agentId) return false;
  return matchesFilter(scope.filter, m);
}

/** The scope's memories after `scope.after`, in its order (createdAt, ties by id ascending), at most `scope.limit`. */
export function listMemories(memories: Iterable<Memory>, scope: ListScope): Memory[] {
  const sign = scope.order === 'asc' ? 1 : -1;
  const compare = (a: { createdAt: number; id: string }, b: { createdAt: number; id: string }): number =>
    sign * (a.createdAt - b.createdAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const after = scope.after;
  const found = [...memories].filter((m) => inScope(m, scope) && (after === undefined || compare(m, after) > 0));
  return found.sort(compare).slice(0, scope.limit);
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
 * BM25 over every candidate sharing a term with the text; statistics (N, df) over the searched
 * agent's memories only (merged ones included) (every agent's for allAgents), so one agent's memories never move
 * another's scores. [] when the text has no terms.
 */
export function keywordSearch(memories: readonly Memory[], scope: SearchScope, text: string): ScoredId[] {
  const query = queryTerms(text);
  if (query.length === 0) return [];
  // Statistics: the agent's memories, merged ones included (as every backend counts them).
  const corpus = memories.filter((m) => scope.agentId === undefined || m.agentId === scope.agentId);
  const score = bm25(query, corpus.map((m) => m.stats));
  const scored: { m: Memory; score: number }[] = [];
  for (const m of corpus) {
    if (!query.some((t) => m.stats.weights.has(t)) || !inScope(m, scope)) continue;
    scored.push({ m, score: score(m.stats) });
  }
  return rank(scored, scope.k);
}
