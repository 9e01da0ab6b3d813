import { sql, type Kysely } from 'kysely';
import { MERGE_FANOUT, packPostings } from '../../src/backends/sqlite/sqlite-keyword-runs.js';

/**
 * 0011 — the keyword index in sorted runs (src/backends/sqlite/sqlite-keyword-runs.ts says how it
 * works). `memory_terms` (one b-tree row per term, agent and memory, plus an index by memory) made
 * every batch of memories dirty thousands of pages at random places; its postings move into one run
 * here, docs numbered by the memories' rowids, and it is dropped. The scores do not change.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table keyword_docs (
    doc integer primary key autoincrement,
    memory_rowid integer not null,
    agent_id text not null,
    terms text not null
  )`.execute(db);
  await sql`create index keyword_docs_memory on keyword_docs (memory_rowid)`.execute(db);
  await sql`create table keyword_runs (
    run integer primary key autoincrement,
    level integer not null,
    first_doc integer not null,
    last_doc integer not null,
    merging_into integer,
    tombs integer
  )`.execute(db);
  await sql`create table keyword_postings (
    run integer not null,
    term text not null,
    agent_id text not null,
    n integer not null,
    data blob not null,
    primary key (run, term, agent_id)
  ) without rowid`.execute(db);
  await sql`create table keyword_run_agents (agent_id text not null, run integer not null, primary key (agent_id, run)) without rowid`.execute(db);
  await sql`create table keyword_dead (term text not null, agent_id text not null, n integer not null, primary key (term, agent_id)) without rowid`.execute(db);
  await sql`create table keyword_tombstones (doc integer primary key, agent_id text not null)`.execute(db);
  // Every way a memory goes (or gets new content) takes its doc with it; the doc's postings stay in
  // their run until a merge or an erasure drops them, counted as dead for document frequencies.
  await sql`create trigger keyword_docs_memory_delete after delete on memories begin
    delete from keyword_docs where memory_rowid = old.rowid;
  end`.execute(db);
  await sql`create trigger keyword_docs_memory_update after update of content, agent_id on memories begin
    delete from keyword_docs where memory_rowid = old.rowid;
  end`.execute(db);
  await sql`create trigger keyword_docs_delete after delete on keyword_docs begin
    insert into keyword_tombstones (doc, agent_id) values (old.doc, old.agent_id);
    insert into keyword_dead (term, agent_id, n) select value, old.agent_id, 1 from json_each(old.terms) where true
      on conflict (term, agent_id) do update set n = n + 1;
  end`.execute(db);

  // The docs: one per memory with terms, numbered by its rowid.
  await sql`insert into keyword_docs (doc, memory_rowid, agent_id, terms)
    select memory_rowid, memory_rowid, min(agent_id), json_group_array(term) from memory_terms group by memory_rowid`.execute(db);
  const range = (await sql<{ lo: number | null; hi: number | null; n: number }>`select min(doc) as lo, max(doc) as hi, count(*) as n from keyword_docs`.execute(db)).rows[0];
  if (range !== undefined && range.lo !== null && range.hi !== null) {
    // One run holding every posting, at the level its size would have reached by merging batches of 1000.
    let level = 0;
    for (let size = 1000; size * MERGE_FANOUT <= range.n; size *= MERGE_FANOUT) level++;
    const run = Number((await sql`insert into keyword_runs (level, first_doc, last_doc) values (${level}, ${range.lo}, ${range.hi})`.execute(db)).insertId);
    let after: { term: string; agent: string; doc: number } | undefined;
    let key: { term: string; agent: string } | undefined;
    let docs: number[] = [];
    let weights: number[] = [];
    const write = async () => {
      if (key === undefined || docs.length === 0) return;
      await sql`insert into keyword_postings (run, term, agent_id, n, data) values (${run}, ${key.term}, ${key.agent}, ${docs.length}, ${packPostings(docs, weights)})`.execute(db);
    };
    for (;;) {
      const { rows } = after === undefined
        ? await sql<{ term: string; agent_id: string; memory_rowid: number; weight: number }>`
            select term, agent_id, memory_rowid, weight from memory_terms order by term, agent_id, memory_rowid limit 20000`.execute(db)
        : await sql<{ term: string; agent_id: string; memory_rowid: number; weight: number }>`
            select term, agent_id, memory_rowid, weight from memory_terms where (term, agent_id, memory_rowid) > (${after.term}, ${after.agent}, ${after.doc})
            order by term, agent_id, memory_rowid limit 20000`.execute(db);
      if (rows.length === 0) break;
      for (const r of rows) {
        if (key === undefined || key.term !== r.term || key.agent !== r.agent_id) {
          await write();
          key = { term: r.term, agent: r.agent_id };
          docs = [];
          weights = [];
        }
        docs.push(Number(r.memory_rowid));
        weights.push(r.weight);
      }
      const last = rows.at(-1) as { term: string; agent_id: string; memory_rowid: number };
      after = { term: last.term, agent: last.agent_id, doc: Number(last.memory_rowid) };
    }
    await write();
    await sql`insert into keyword_run_agents (agent_id, run) select distinct agent_id, ${run} from keyword_docs`.execute(db);
  }

  await sql`drop trigger if exists memory_terms_delete`.execute(db);
  await sql`drop trigger if exists memory_terms_update`.execute(db);
  await sql`drop index if exists memory_terms_memory`.execute(db);
  await sql`drop table memory_terms`.execute(db);
}
