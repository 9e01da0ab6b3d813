import type { MemoryRecord, MemorySource } from '../contracts/semantic-store.js';
import type { JsonObject } from '../contracts/types.js';
import { num } from './sql/context.js';

/** The `memories` columns every SQL semantic backend selects (names are the same on every engine). */
export interface MemoryRowBase {
  id: string;
  agent_id: string;
  content: string;
  source: string;
  scope: string;
  /** JSON text (SQLite) or an already-parsed jsonb object (PostgreSQL). */
  metadata: string | JsonObject;
  confidence: number;
  created_at: number | bigint;
  accessed_at: number | bigint;
  access_count: number | bigint;
  superseded_by: string | null;
  key: string | null;
  expires_at: number | bigint | string | null;
}

/** A memory row as the public record (without `embedding`, which each engine decodes itself). */
export function memoryRecordFromRow(row: MemoryRowBase): MemoryRecord {
  const record: MemoryRecord = {
    id: row.id,
    agentId: row.agent_id,
    content: row.content,
    source: row.source as MemorySource,
    scope: row.scope,
    metadata: typeof row.metadata === 'string' ? (JSON.parse(row.metadata) as JsonObject) : row.metadata,
    confidence: num(row.confidence),
    createdAt: num(row.created_at),
    accessedAt: num(row.accessed_at),
    accessCount: num(row.access_count),
  };
  if (row.superseded_by !== null) record.supersededBy = row.superseded_by;
  if (row.key !== null && row.key !== undefined) record.key = row.key;
  if (row.expires_at !== null && row.expires_at !== undefined) record.expiresAt = num(row.expires_at);
  return record;
}
