import { sql, type Kysely } from 'kysely';

/**
 * 0010 — keyword recall at scale on PostgreSQL (the SQLite side is migrations/sqlite/0010).
 *
 * 1. The postings key carries the weight (`primary key (term, agent_id, memory_id) include (weight)`),
 *    so scoring a query's terms is an index-only scan: before, each posting was a heap fetch from a
 *    table written memory by memory (a term's postings spread over the whole heap).
 * 2. Each agent's number of memories (BM25's N, merged and expired ones included), which keyword
 *    recall counted through an index on every query (11 ms at 100k, linear). Unlike SQLite, many
 *    writers run at once here, so there is no counter row to lock: statement-level triggers append
 *    signed deltas (`memory_agent_counts`: agent_id, n; N = sum(n)), and an agent's deltas are
 *    folded into one row once more than 32 pile up, by whichever writer gets the agent's advisory
 *    lock without waiting (a folder deletes only rows committed before it looked, under that lock).
 *    When a statement deletes an agent's last memory, its deltas go (under the same lock, waited
 *    for): an erased agent leaves no count behind. The one wait: an erasure of an agent racing a
 *    write to it that folded and then waits for a row the erasure holds is a deadlock PostgreSQL
 *    breaks by aborting one of the two transactions (rolled back whole; retry it).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table memory_terms drop constraint memory_terms_pkey`.execute(db);
  await sql`alter table memory_terms add constraint memory_terms_pkey primary key (term, agent_id, memory_id) include (weight)`.execute(db);

  await sql`create table memory_agent_counts (agent_id text not null, n bigint not null)`.execute(db);
  await sql`create index memory_agent_counts_agent on memory_agent_counts (agent_id)`.execute(db);
  await sql`insert into memory_agent_counts (agent_id, n) select agent_id, count(*) from memories group by agent_id`.execute(db);

  // Folds an agent's committed deltas into one row (none when they sum to 0) once more than 32 pile
  // up, when the agent's lock (the two-key advisory space: the engine's own locks use one key) is
  // free; never waits.
  await sql`create function memory_agent_counts_tidy(agent text, space text) returns void language plpgsql set search_path from current as $$
    begin
      if (select count(*) from memory_agent_counts where agent_id = agent) > 32
        and pg_try_advisory_xact_lock(hashtext(space || ':memory_agent_counts'), hashtext(agent)) then
        with gone as (delete from memory_agent_counts where agent_id = agent returning n)
        insert into memory_agent_counts (agent_id, n) select agent, sum(n) from gone having coalesce(sum(n), 0) <> 0;
      end if;
    end $$`.execute(db);
  await sql`create function memory_agent_counts_after_insert() returns trigger language plpgsql set search_path from current as $$
    declare a text;
    begin
      insert into memory_agent_counts (agent_id, n) select agent_id, count(*) from new_rows group by agent_id;
      for a in select distinct agent_id from new_rows order by 1 loop
        perform memory_agent_counts_tidy(a, tg_table_schema);
      end loop;
      return null;
    end $$`.execute(db);
  // An agent left without memories loses its deltas, under its lock (waited for: a folder's sum
  // must be visible, or not yet written, when they are deleted).
  await sql`create function memory_agent_counts_after_delete() returns trigger language plpgsql set search_path from current as $$
    declare a text;
    begin
      insert into memory_agent_counts (agent_id, n) select agent_id, -count(*) from old_rows group by agent_id;
      for a in select distinct agent_id from old_rows order by 1 loop
        if not exists (select 1 from memories where agent_id = a) then
          perform pg_advisory_xact_lock(hashtext(tg_table_schema || ':memory_agent_counts'), hashtext(a));
          delete from memory_agent_counts where agent_id = a;
        else
          perform memory_agent_counts_tidy(a, tg_table_schema);
        end if;
      end loop;
      return null;
    end $$`.execute(db);
  await sql`create function memory_agent_counts_after_move() returns trigger language plpgsql set search_path from current as $$
    begin
      insert into memory_agent_counts (agent_id, n) values (old.agent_id, -1), (new.agent_id, 1);
      return null;
    end $$`.execute(db);
  await sql`create trigger memory_agent_counts_insert after insert on memories referencing new table as new_rows
    for each statement execute function memory_agent_counts_after_insert()`.execute(db);
  await sql`create trigger memory_agent_counts_delete after delete on memories referencing old table as old_rows
    for each statement execute function memory_agent_counts_after_delete()`.execute(db);
  await sql`create trigger memory_agent_counts_move after update of agent_id on memories
    for each row when (old.agent_id is distinct from new.agent_id) execute function memory_agent_counts_after_move()`.execute(db);
}
