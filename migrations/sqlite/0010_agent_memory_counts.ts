import { sql, type Kysely } from 'kysely';

/**
 * 0010 — each agent's number of memories, kept by triggers (SQLite only: its writers are serialised
 * anyway, so the counter row costs no concurrency; PostgreSQL still counts). Keyword recall's BM25
 * needs N, the agent's memories (merged and expired ones included, as before), for every query:
 * counted through an index it was 8.6 ms at 200k memories and grew linearly. A row leaves with the
 * agent's last memory (an erased agent leaves no count behind).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table memory_agent_counts (agent_id text primary key, n integer not null) without rowid`.execute(db);
  await sql`insert into memory_agent_counts (agent_id, n) select agent_id, count(*) from memories group by agent_id`.execute(db);
  await sql`create trigger memory_agent_counts_insert after insert on memories begin
    insert into memory_agent_counts (agent_id, n) values (new.agent_id, 1) on conflict (agent_id) do update set n = n + 1;
  end`.execute(db);
  await sql`create trigger memory_agent_counts_delete after delete on memories begin
    update memory_agent_counts set n = n - 1 where agent_id = old.agent_id;
    delete from memory_agent_counts where agent_id = old.agent_id and n <= 0;
  end`.execute(db);
  await sql`create trigger memory_agent_counts_move after update of agent_id on memories when old.agent_id is not new.agent_id begin
    update memory_agent_counts set n = n - 1 where agent_id = old.agent_id;
    delete from memory_agent_counts where agent_id = old.agent_id and n <= 0;
    insert into memory_agent_counts (agent_id, n) values (new.agent_id, 1) on conflict (agent_id) do update set n = n + 1;
  end`.execute(db);
}

