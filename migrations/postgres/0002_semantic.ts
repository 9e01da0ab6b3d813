import { sql, type Kysely } from 'kysely';

/**
 * 0002 — semantic memory on PostgreSQL (pgvector): the memories table with a generated tsvector
 * column (GIN-indexed) for keyword search, and the vector-space record. Mirrors
 * migrations/sqlite/0002_semantic.ts.
 *
 * The `embedding vector(N)` / `halfvec(N)` column and its HNSW index are NOT created here: their
 * dimension is only known when the store's vector space is fixed (configured, or from the first
 * vector), and they are added in the same transaction that records it in `semantic_meta`. There is
 * no `create extension` either: the main backend runs this same migration set on servers without
 * pgvector; the semantic backend creates the extension itself before migrating.
 *
 * Two deliberate differences from SQLite: the duplicate index is on md5(content) (a b-tree entry
 * must stay under ~2.7 kB; content may be 256 KiB), and `accessed_at` is not indexed, with
 * fillfactor 90, so the access bump after each recall is a HOT update that rewrites no index
 * (decay's daily scan does without that index).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('memories')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('agent_id', 'text', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('metadata', 'jsonb', (c) => c.notNull())
    .addColumn('confidence', 'double precision', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('accessed_at', 'bigint', (c) => c.notNull())
    .addColumn('access_count', 'bigint', (c) => c.notNull())
    .addColumn('superseded_by', 'text')
    .addColumn('content_tsv', sql`tsvector`, (c) =>
      c.generatedAlwaysAs(sql`to_tsvector('english', content)`).stored(),
    )
    .modifyEnd(sql`with (fillfactor = 90)`)
    .execute();
  await db.schema.createIndex('memories_agent_scope').on('memories').columns(['agent_id', 'scope', 'created_at']).execute();
  await sql`create index memories_dedupe on memories (agent_id, scope, md5(content))`.execute(db);
  await db.schema.createIndex('memories_tsv').on('memories').using('gin').column('content_tsv').execute();

  await db.schema
    .createTable('semantic_meta')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
}
