import { sql, type Kysely } from 'kysely';

/**
 * 0002 — semantic memory on SQLite: the memories table, its FTS5 keyword index (kept in sync by
 * triggers) and the vector-space record. The vec0 vector table itself is created when the store's
 * dimension becomes known (configured, or from the first vector), in the same transaction that
 * records it in `semantic_meta` — its DDL depends on that dimension.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('memories')
    .addColumn('rowid', 'integer', (c) => c.primaryKey())
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('agent_id', 'text', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('metadata', 'text', (c) => c.notNull())
    .addColumn('confidence', 'real', (c) => c.notNull())
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('accessed_at', 'integer', (c) => c.notNull())
    .addColumn('access_count', 'integer', (c) => c.notNull())
    .addColumn('superseded_by', 'text')
    .execute();
  await db.schema.createIndex('memories_agent_scope').on('memories').columns(['agent_id', 'scope', 'created_at']).execute();
  await db.schema.createIndex('memories_accessed').on('memories').column('accessed_at').execute();
  await db.schema.createIndex('memories_dedupe').on('memories').columns(['agent_id', 'scope', 'content']).execute();

  await sql`create virtual table memories_fts using fts5(
    content, content='memories', content_rowid='rowid',
    tokenize='porter unicode61 remove_diacritics 2'
  )`.execute(db);
  await sql`create trigger memories_fts_insert after insert on memories begin
    insert into memories_fts(rowid, content) values (new.rowid, new.content);
  end`.execute(db);
  await sql`create trigger memories_fts_delete after delete on memories begin
    insert into memories_fts(memories_fts, rowid, content) values ('delete', old.rowid, old.content);
  end`.execute(db);
  await sql`create trigger memories_fts_update after update of content on memories begin
    insert into memories_fts(memories_fts, rowid, content) values ('delete', old.rowid, old.content);
    insert into memories_fts(rowid, content) values (new.rowid, new.content);
  end`.execute(db);

  await db.schema
    .createTable('semantic_meta')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
}
