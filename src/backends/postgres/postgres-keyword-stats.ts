import { sql, type CompiledQuery } from 'kysely';
import { keywordIdf } from '../../core/keyword-score.js';
import { num, raw } from '../sql/context.js';
import type { SqlEngine } from '../sql/engine.js';
import { agentCounts, memoryCount } from '../sql/sql-keyword-stats.js';

/**
 * The idf of each of `terms` some memory holds (every agent's memories when `agentId` is
 * undefined), from N and df read in one statement on PostgreSQL:
 * N is the sum of the agent's `memory_agent_counts` rows (merged memories included; signed deltas
 * kept by triggers), each term's df counted
 * through `memory_terms`' (term, agent, …) key. Undefined when no memory holds any of the terms.
 */
export async function keywordIdfs(engine: SqlEngine, agentId: string | undefined, terms: readonly string[]): Promise<Record<string, number> | undefined> {
  if (terms.length === 0) return undefined;
  const rows = await engine.reader.rows(statsStatement(engine, agentId, terms));
  const n = num(rows.find((r) => r.term === null)?.n ?? 0);
  const idf: Record<string, number> = {};
  let held = 0;
  for (const r of rows) {
    if (r.term === null || num(r.n) === 0) continue;
    idf[r.term] = keywordIdf(n, num(r.n));
    held++;
  }
  return held === 0 ? undefined : idf;
}

type StatsRow = { term: string | null; n: number | string | bigint | null };

/** Where each parameter of a compiled statistics statement comes from: the agent, or the i-th term. */
type Slot = 'agent' | number;

/**
 * The statistics statements compiled so far, per query builder (engine) and shape (term count, one
 * agent or every agent). Building and compiling one with Kysely costs about 0.15 ms on the main
 * thread (measured in a running recall), as much as the statement itself on a small store, and in
 * a hybrid recall it delays the start of the vector search; a shape is compiled once, with
 * placeholder values that tell where each parameter goes.
 */
const compiled = new WeakMap<object, Map<string, { sql: string; slots: Slot[] }>>();
const PLACEHOLDER = '\u0000memstrate-keyword-stats:';

function statsStatement(engine: SqlEngine, agentId: string | undefined, terms: readonly string[]): CompiledQuery<StatsRow> {
  let shapes = compiled.get(engine.db);
  if (shapes === undefined) compiled.set(engine.db, (shapes = new Map()));
  const key = `${terms.length}:${agentId === undefined ? 'all' : 'agent'}`;
  let shape = shapes.get(key);
  if (shape === undefined) {
    const q = buildStats(engine, agentId === undefined ? undefined : `${PLACEHOLDER}agent`, terms.map((_, i) => `${PLACEHOLDER}${i}`)).compile();
    const slots = q.parameters.map((p): Slot => {
      const tag = typeof p === 'string' && p.startsWith(PLACEHOLDER) ? p.slice(PLACEHOLDER.length) : undefined;
      if (tag === undefined) throw new Error(`keyword statistics: a parameter that is not a placeholder (${String(p)})`);
      return tag === 'agent' ? 'agent' : Number(tag);
    });
    shapes.set(key, (shape = { sql: q.sql, slots }));
  }
  return raw<StatsRow>(shape.sql, shape.slots.map((s) => (s === 'agent' ? agentId : terms[s])));
}

/**
 * N and the terms' df in one statement: N is the sum of the agent's `memory_agent_counts` rows, each
 * term's df a scalar count (measured at 1M on SQLite's former `memory_terms`: half the time of a grouped `term in (…)`).
 */
function buildStats(engine: SqlEngine, agentId: string | undefined, terms: readonly string[]) {
  const { db } = engine;
  let query = agentCounts(engine, agentId).select([sql<string | null>`cast(null as text)`.as('term'), memoryCount.as('n')]);
  for (const term of terms) {
    const df = db
      .selectFrom('memory_terms')
      .select(sql<number | string>`cast(count(*) as bigint)`.as('n'))
      .where('term', '=', term)
      .$if(agentId !== undefined, (q) => q.where('agent_id', '=', agentId as string));
    query = query.unionAll(db.selectNoFrom([sql<string | null>`cast(${term} as text)`.as('term'), df.as('n')]));
  }
  return query;
}

