/**
 * Kysely table types shared by the SQL engines. Timestamps are epoch milliseconds; JSON values are
 * stored as text. The semantic tables are engine-specific (src/backends/<engine>/…-semantic-*) and
 * are not listed here.
 */
export interface KvTable {
  agent_id: string;
  key: string;
  value: string;
  version: number;
  updated_at: number;
  /** Epoch ms after which the entry reads as absent; null = never (0004). */
  expires_at: number | null;
}

export interface AgentsTable {
  id: string;
  name: string;
  entry: string;
  created_at: number;
  updated_at: number;
}

export interface EntitiesTable {
  id: string;
  agent_id: string;
  entity_type: string;
  name: string;
  /** `name` with ASCII A-Z folded to a-z, nothing else (0005): the case-insensitive lookup key. */
  name_folded: string;
  properties: string;
  created_at: number;
  updated_at: number;
}

export interface RelationsTable {
  id: string;
  agent_id: string;
  source_entity: string;
  relation_type: string;
  target_entity: string;
  properties: string;
  confidence: number;
  created_at: number;
}

export interface SessionsTable {
  id: string;
  agent_id: string;
  label: string | null;
  messages: string;
  message_count: number;
  context_window_tokens: number;
  created_at: number;
  updated_at: number;
}

export interface CanonicalSessionsTable {
  agent_id: string;
  messages: string;
  compaction_cursor: number;
  compacted_summary: string | null;
  updated_at: number;
}

export interface UsageEventsTable {
  id: string;
  agent_id: string;
  model: string;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  tool_calls: number;
  timestamp: number;
}

export interface PairedDevicesTable {
  device_id: string;
  display_name: string;
  platform: string;
  paired_at: number;
  last_seen: number;
  push_token: string | null;
}

export interface TasksTable {
  id: string;
  title: string;
  description: string;
  status: string;
  priority: number;
  assigned_to: string | null;
  created_by: string | null;
  claimed_by: string | null;
  lease_token: string | null;
  lease_expires_at: number | null;
  attempts: number;
  max_attempts: number;
  result: string | null;
  error: string | null;
  created_at: number;
  updated_at: number;
  completed_at: number | null;
  /** JSON text (0003). */
  payload: string | null;
}

export interface AuditEntriesTable {
  seq: number;
  timestamp: number;
  agent_id: string;
  action: string;
  detail: string;
  outcome: string;
  prev_hash: string;
  hash: string;
}

export interface AuditCheckpointsTable {
  seq: number;
  hash: string;
  created_at: number;
}

/** A saved LangGraph checkpoint (0009); the bytes are the serializer's, opaque to memstrate. */
export interface CheckpointsTable {
  agent_id: string;
  thread_id: string;
  checkpoint_ns: string;
  checkpoint_id: string;
  parent_checkpoint_id: string | null;
  type: string;
  checkpoint: Uint8Array;
  metadata_type: string;
  metadata: Uint8Array;
  /** JSON object channel → version: the blobs this checkpoint's channel values are. */
  channel_versions: string;
  created_at: number;
}

/** One channel value at one version (0009), shared by every checkpoint of the thread that reads it. */
export interface CheckpointBlobsTable {
  agent_id: string;
  thread_id: string;
  checkpoint_ns: string;
  channel: string;
  version: string;
  type: string;
  value: Uint8Array;
}

/** A pending write against a checkpoint (0009). */
export interface CheckpointWritesTable {
  agent_id: string;
  thread_id: string;
  checkpoint_ns: string;
  checkpoint_id: string;
  task_id: string;
  idx: number;
  channel: string;
  type: string;
  value: Uint8Array;
}

export interface MetaTable {
  key: string;
  value: string;
}

/** The keyword postings on PostgreSQL (SQLite keeps its postings in sorted runs since migration 0011: sqlite-keyword-runs.ts). */
export interface MemoryTermsTable {
  term: string;
  agent_id: string;
  weight: number;
}

/** Each agent's memory count: N = sum(n) (one row per agent on SQLite, signed deltas on PostgreSQL). */
export interface MemoryAgentCountsTable {
  agent_id: string;
  n: number;
}

export interface Database {
  kv: KvTable;
  agents: AgentsTable;
  entities: EntitiesTable;
  relations: RelationsTable;
  sessions: SessionsTable;
  canonical_sessions: CanonicalSessionsTable;
  usage_events: UsageEventsTable;
  paired_devices: PairedDevicesTable;
  tasks: TasksTable;
  audit_entries: AuditEntriesTable;
  audit_checkpoints: AuditCheckpointsTable;
  meta: MetaTable;
  checkpoints: CheckpointsTable;
  checkpoint_blobs: CheckpointBlobsTable;
  checkpoint_writes: CheckpointWritesTable;
  memory_terms: MemoryTermsTable;
  memory_agent_counts: MemoryAgentCountsTable;
}
