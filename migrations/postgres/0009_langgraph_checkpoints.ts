import { sql, type Kysely, type RawBuilder } from 'kysely';

/**
 * 0009 — the checkpoint store on PostgreSQL: migrations/sqlite/0009_langgraph_checkpoints.ts table
 * for table (same names, keys and index), text in the "C" collation, bytes as `bytea`, integer
 * indexes (validated to 32 bits) as `integer`, the epoch-ms timestamp as `bigint`.
 */
const text: RawBuilder<unknown> = sql`text collate "C"`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('checkpoints')
    .addColumn('agent_id', text, (c) => c.notNull())
    .addColumn('thread_id', text, (c) => c.notNull())
    .addColumn('checkpoint_ns', text, (c) => c.notNull())
    .addColumn('checkpoint_id', text, (c) => c.notNull())
    .addColumn('parent_checkpoint_id', text)
    .addColumn('type', text, (c) => c.notNull())
    .addColumn('checkpoint', 'bytea', (c) => c.notNull())
    .addColumn('metadata_type', text, (c) => c.notNull())
    .addColumn('metadata', 'bytea', (c) => c.notNull())
    .addColumn('channel_versions', text, (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('checkpoints_pkey', ['agent_id', 'thread_id', 'checkpoint_ns', 'checkpoint_id'])
    .execute();
  await db.schema.createIndex('checkpoints_agent_id').on('checkpoints').columns(['agent_id', 'checkpoint_id']).execute();

  await db.schema
    .createTable('checkpoint_blobs')
    .addColumn('agent_id', text, (c) => c.notNull())
    .addColumn('thread_id', text, (c) => c.notNull())
    .addColumn('checkpoint_ns', text, (c) => c.notNull())
    .addColumn('channel', text, (c) => c.notNull())
    .addColumn('version', text, (c) => c.notNull())
    .addColumn('type', text, (c) => c.notNull())
    .addColumn('value', 'bytea', (c) => c.notNull())
    .addPrimaryKeyConstraint('checkpoint_blobs_pkey', ['agent_id', 'thread_id', 'checkpoint_ns', 'channel', 'version'])
    .execute();

  await db.schema
    .createTable('checkpoint_writes')
    .addColumn('agent_id', text, (c) => c.notNull())
    .addColumn('thread_id', text, (c) => c.notNull())
    .addColumn('checkpoint_ns', text, (c) => c.notNull())
    .addColumn('checkpoint_id', text, (c) => c.notNull())
    .addColumn('task_id', text, (c) => c.notNull())
    .addColumn('idx', 'integer', (c) => c.notNull())
    .addColumn('channel', text, (c) => c.notNull())
    .addColumn('type', text, (c) => c.notNull())
    .addColumn('value', 'bytea', (c) => c.notNull())
    .addPrimaryKeyConstraint('checkpoint_writes_pkey', ['agent_id', 'thread_id', 'checkpoint_ns', 'checkpoint_id', 'task_id', 'idx'])
    .execute();
}
