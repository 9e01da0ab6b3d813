import type { Kysely } from 'kysely';

/**
 * 0009 — the checkpoint store (LangGraph's checkpointer, `memstrate/langgraph`): `checkpoints`, one
 * row per saved checkpoint of an agent's thread and namespace (the serialised checkpoint and
 * metadata as bytes, with the serializer's type tag, and the channel versions it reads);
 * `checkpoint_blobs`, each channel value once per (channel, version) — a checkpoint stores only the
 * channels that changed; and `checkpoint_writes`, the pending writes of a checkpoint, one row per
 * (task, index). Keyed by agent first: every thread belongs to the
 * agent that saved it (erasure removes an agent's threads).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('checkpoints')
    .addColumn('agent_id', 'text', (c) => c.notNull())
    .addColumn('thread_id', 'text', (c) => c.notNull())
    .addColumn('checkpoint_ns', 'text', (c) => c.notNull())
    .addColumn('checkpoint_id', 'text', (c) => c.notNull())
    .addColumn('parent_checkpoint_id', 'text')
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('checkpoint', 'blob', (c) => c.notNull())
    .addColumn('metadata_type', 'text', (c) => c.notNull())
    .addColumn('metadata', 'blob', (c) => c.notNull())
    .addColumn('channel_versions', 'text', (c) => c.notNull())
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('checkpoints_pkey', ['agent_id', 'thread_id', 'checkpoint_ns', 'checkpoint_id'])
    .execute();
  await db.schema.createIndex('checkpoints_agent_id').on('checkpoints').columns(['agent_id', 'checkpoint_id']).execute();

  await db.schema
    .createTable('checkpoint_blobs')
    .addColumn('agent_id', 'text', (c) => c.notNull())
    .addColumn('thread_id', 'text', (c) => c.notNull())
    .addColumn('checkpoint_ns', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('value', 'blob', (c) => c.notNull())
    .addPrimaryKeyConstraint('checkpoint_blobs_pkey', ['agent_id', 'thread_id', 'checkpoint_ns', 'channel', 'version'])
    .execute();

  await db.schema
    .createTable('checkpoint_writes')
    .addColumn('agent_id', 'text', (c) => c.notNull())
    .addColumn('thread_id', 'text', (c) => c.notNull())
    .addColumn('checkpoint_ns', 'text', (c) => c.notNull())
    .addColumn('checkpoint_id', 'text', (c) => c.notNull())
    .addColumn('task_id', 'text', (c) => c.notNull())
    .addColumn('idx', 'integer', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('value', 'blob', (c) => c.notNull())
    .addPrimaryKeyConstraint('checkpoint_writes_pkey', ['agent_id', 'thread_id', 'checkpoint_ns', 'checkpoint_id', 'task_id', 'idx'])
    .execute();
}
