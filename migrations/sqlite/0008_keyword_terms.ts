import { sql, type Kysely } from 'kysely';
import { termWeights } from '../../src/core/keyword-score.js';

/**
 * 0008 — per-agent keyword statistics (the same steps as migrations/postgres/0008_keyword_terms.ts).
 * The FTS5 index (bm25 with IDF over every agent's memories) is replaced by `memory_terms`: one row
 * per (term, agent, memory) with the memory's BM25 term weight, as core/keyword-score.ts defines
 * terms and weights (the same on every backend, CJK as character bigrams). Keyword search computes
 * N and df over the searched agent's rows only. Existing memories are indexed here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table memory_terms (
    term text not null,
    agent_id text not null,
    memory_rowid integer not null,
    weight real not null,
    primary key (term, agent_id, memory_rowid)
  ) without rowid`.execute(db);
  // Every way a memory goes (forget, deleteWhere, purgeExpired, a keyed replace, …) takes its terms
  // with it, by trigger; a content update drops them and the writer inserts the new ones.
  await sql`create index memory_terms_memory on memory_terms (memory_rowid)`.execute(db);
  await sql`create trigger memory_terms_delete after delete on memories begin
    delete from memory_terms where memory_rowid = old.rowid;
  end`.execute(db);
  await sql`create trigger memory_terms_update after update of content, agent_id on memories begin
    delete from memory_terms where memory_rowid = old.rowid;
  end`.execute(db);

  let after = -1;
  for (;;) {
    const { rows } = await sql<{ rowid: number; agent_id: string; content: string }>`
      select rowid, agent_id, content from memories where rowid > ${after} order by rowid limit 500`.execute(db);
    if (rows.length === 0) break;
    for (const r of rows) {
      for (const [term, weight] of termWeights(r.content)) {
        await sql`insert into memory_terms (term, agent_id, memory_rowid, weight) values (${term}, ${r.agent_id}, ${r.rowid}, ${weight})`.execute(db);
      }
      after = Number(r.rowid);
    }
  }

  await sql`drop trigger if exists memories_fts_insert`.execute(db);
  await sql`drop trigger if exists memories_fts_delete`.execute(db);
  await sql`drop trigger if exists memories_fts_update`.execute(db);
  await sql`drop table if exists memories_fts`.execute(db);
}
