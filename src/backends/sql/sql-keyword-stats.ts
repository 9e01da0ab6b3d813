import { sql } from 'kysely';
import { num } from './context.js';
import type { SqlEngine } from './engine.js';

/**
 * What keyword recall shares between the SQL engines: the shortlist and N, an agent's memory count
 * as BM25 counts it. Document frequencies differ by engine: PostgreSQL counts `memory_terms`
 * (postgres-keyword-stats.ts), SQLite its runs of postings (sqlite-semantic-backend.ts).
 */

/** Keyword recall reads the memories rows of the best k × 2 + this many scored memories first, on both engines. */
export const KEYWORD_SHORTLIST = 50;

/** N: the sum of an agent's `memory_agent_counts` rows (every agent's without a condition), merged memories included. */
export const memoryCount = sql<number | string | null>`cast(coalesce(sum(n), 0) as bigint)`;

/** An agent's `memory_agent_counts` rows (every agent's when undefined). */
export function agentCounts(engine: SqlEngine, agentId: string | undefined) {
  return engine.db.selectFrom('memory_agent_counts').$if(agentId !== undefined, (q) => q.where('agent_id', '=', agentId as string));
}

/** How many memories the agent has (merged duplicates included), as keyword recall's N counts them: no scan of its rows. */
export async function agentMemoryCount(engine: SqlEngine, agentId: string): Promise<number> {
  const row = await engine.reader.first(agentCounts(engine, agentId).select(memoryCount.as('n')).compile());
  return num(row?.n ?? 0);
}
