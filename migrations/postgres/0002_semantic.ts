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
    .execute();
  await db.schema.createIndex('memories_agent_scope').on('memories').columns(['agent_id', 'scope', 'created_at']).execute();
  await db.schema.createIndex('memories_accessed').on('memories').column('accessed_at').execute();
  await db.schema.createIndex('memories_dedupe').on('memories').columns(['agent_id', 'scope', 'content']).execute();
  await db.schema.createIndex('memories_tsv').on('memories').using('gin').column('content_tsv').execute();

  await db.schema
    .createTable('semantic_meta')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
}
