import { sql, type Kysely, type RawBuilder } from 'kysely';

/**
 * 0001 — the eight main stores and the audit chain on PostgreSQL: migrations/sqlite/0001_core.ts
 * table for table, column for column (same names, same indexes, same migration name), with
 * PostgreSQL types. Epoch-ms timestamps, seq and every counter a caller can push past 2^31
 * (versions, token counts, cursors) are `bigint`; SQLite `real` is `double precision`; priorities
 * and attempts (validated to 32 bits) stay `integer`.
 *
 * Every text column uses the "C" collation, so ORDER BY and comparisons work on bytes (UTF-8 code
 * point order) exactly as SQLite's BINARY collation does, whatever the database's default locale.
 * Tables are created unqualified: the engine's connections put the configured schema first on the
 * search_path.
 */
const text: RawBuilder<unknown> = sql`text collate "C"`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('kv')
    .addColumn('agent_id', text, (c) => c.notNull())
    .addColumn('key', text, (c) => c.notNull())
    .addColumn('value', text, (c) => c.notNull())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('kv_pk', ['agent_id', 'key'])
    .execute();

  await db.schema
    .createTable('agents')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('entry', text, (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('agents_name').on('agents').columns(['name', 'id']).execute();

  await db.schema
    .createTable('entities')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('agent_id', text, (c) => c.notNull())
    .addColumn('entity_type', text, (c) => c.notNull())
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('properties', text, (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('entities_agent_name').on('entities').columns(['agent_id', 'name']).execute();

  await db.schema
    .createTable('relations')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('agent_id', text, (c) => c.notNull())
    .addColumn('source_entity', text, (c) => c.notNull().references('entities.id').onDelete('cascade'))
    .addColumn('relation_type', text, (c) => c.notNull())
    .addColumn('target_entity', text, (c) => c.notNull().references('entities.id').onDelete('cascade'))
    .addColumn('properties', text, (c) => c.notNull())
    .addColumn('confidence', 'double precision', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('relations_source').on('relations').columns(['source_entity', 'relation_type']).execute();
  await db.schema.createIndex('relations_target').on('relations').column('target_entity').execute();
  await db.schema.createIndex('relations_agent').on('relations').columns(['agent_id', 'relation_type']).execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('agent_id', text, (c) => c.notNull())
    .addColumn('label', text)
    .addColumn('messages', text, (c) => c.notNull())
    .addColumn('message_count', 'bigint', (c) => c.notNull())
    .addColumn('context_window_tokens', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sessions_agent').on('sessions').columns(['agent_id', 'created_at']).execute();
  await db.schema.createIndex('sessions_created').on('sessions').columns(['created_at', 'id']).execute();
  await db.schema
    .createIndex('sessions_agent_label')
    .on('sessions')
    .columns(['agent_id', 'label'])
    .unique()
    .where(sql.ref('label'), 'is not', null)
    .execute();

  await db.schema
    .createTable('canonical_sessions')
    .addColumn('agent_id', text, (c) => c.primaryKey())
    .addColumn('messages', text, (c) => c.notNull())
    .addColumn('compaction_cursor', 'bigint', (c) => c.notNull())
    .addColumn('compacted_summary', text)
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('usage_events')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('agent_id', text, (c) => c.notNull())
    .addColumn('model', text, (c) => c.notNull())
    .addColumn('input_tokens', 'bigint', (c) => c.notNull())
    .addColumn('output_tokens', 'bigint', (c) => c.notNull())
    .addColumn('cost_usd', 'double precision', (c) => c.notNull())
    .addColumn('tool_calls', 'bigint', (c) => c.notNull())
    .addColumn('timestamp', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('usage_agent_time').on('usage_events').columns(['agent_id', 'timestamp']).execute();
  await db.schema.createIndex('usage_time').on('usage_events').column('timestamp').execute();

  await db.schema
    .createTable('paired_devices')
    .addColumn('device_id', text, (c) => c.primaryKey())
    .addColumn('display_name', text, (c) => c.notNull())
    .addColumn('platform', text, (c) => c.notNull())
    .addColumn('paired_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen', 'bigint', (c) => c.notNull())
    .addColumn('push_token', text)
    .execute();

  await db.schema
    .createTable('tasks')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('title', text, (c) => c.notNull())
    .addColumn('description', text, (c) => c.notNull())
    .addColumn('status', text, (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull())
    .addColumn('assigned_to', text)
    .addColumn('created_by', text)
    .addColumn('claimed_by', text)
    .addColumn('lease_token', text)
    .addColumn('lease_expires_at', 'bigint')
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('result', text)
    .addColumn('error', text)
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('completed_at', 'bigint')
    .execute();
  await db.schema.createIndex('tasks_claim').on('tasks').columns(['status', 'priority', 'created_at']).execute();
  await db.schema.createIndex('tasks_created').on('tasks').columns(['created_at', 'id']).execute();

  await db.schema
    .createTable('audit_entries')
    .addColumn('seq', 'bigint', (c) => c.primaryKey())
    .addColumn('timestamp', 'bigint', (c) => c.notNull())
    .addColumn('agent_id', text, (c) => c.notNull())
    .addColumn('action', text, (c) => c.notNull())
    .addColumn('detail', text, (c) => c.notNull())
    .addColumn('outcome', text, (c) => c.notNull())
    .addColumn('prev_hash', text, (c) => c.notNull())
    .addColumn('hash', text, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_agent').on('audit_entries').columns(['agent_id', 'seq']).execute();

  await db.schema
    .createTable('audit_checkpoints')
    .addColumn('seq', 'bigint', (c) => c.primaryKey())
    .addColumn('hash', text, (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('meta')
    .addColumn('key', text, (c) => c.primaryKey())
    .addColumn('value', text, (c) => c.notNull())
    .execute();
}
