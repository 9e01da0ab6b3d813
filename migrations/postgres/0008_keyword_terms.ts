import { sql, type Kysely } from 'kysely';
import { termWeights } from '../../src/core/keyword-score.js';

/**
 * 0008 — per-agent keyword statistics (the same steps as migrations/sqlite/0008_keyword_terms.ts).
 * The generated tsvector (ts_rank_cd) is replaced by `memory_terms`: one row per (term, agent,
 * memory) with the memory's BM25 term weight, as core/keyword-score.ts defines terms and weights
 * (the same on every backend, CJK as character bigrams). Keyword search computes N and df over the
 * searched agent's rows only. Existing memories are indexed here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table memory_terms (
    term text collate "C" not null,
    agent_id text not null,
    memory_id text not null references memories (id) on delete cascade,
    weight double precision not null,
    primary key (term, agent_id, memory_id)
  )`.execute(db);
  await sql`create index memory_terms_memory on memory_terms (memory_id)`.execute(db);

  let after = '';
  for (;;) {
    const { rows } = await sql<{ id: string; agent_id: string; content: string }>`
      select id, agent_id, content from memories where id collate "C" > ${after} order by id collate "C" limit 500`.execute(db);
    if (rows.length === 0) break;
    for (const r of rows) {
      const weights = [...termWeights(r.content)];
      if (weights.length > 0) {
        await sql`insert into memory_terms (term, agent_id, memory_id, weight)
          select t.term, ${r.agent_id}, ${r.id}, t.weight from unnest(${weights.map((w) => w[0])}::text[], ${weights.map((w) => w[1])}::float8[]) as t(term, weight)`.execute(db);
      }
      after = r.id;
    }
  }

  await sql`alter table memories drop column if exists content_tsv`.execute(db);
}
