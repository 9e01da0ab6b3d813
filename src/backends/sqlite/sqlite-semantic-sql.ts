import { memoryRecordFromRow, type MemoryRowBase } from '../semantic-row.js';
import type { MemoryFilter, MemoryRecord } from '../../contracts/semantic-store.js';
import { bufferToVector } from '../../core/vector.js';

/**
 * SQL fragments for the SQLite semantic backend: filter clauses (bound parameters only, never
 * interpolated values), the FTS5 query text, and row → MemoryRecord mapping.
 */

/** vec0 allows at most this many neighbours per KNN query. */
export const VEC0_MAX_K = 4096;

/** A WHERE fragment (`and …` clauses) with its parameters, in order. */
export interface Clause {
  sql: string;
  params: unknown[];
}

/** The columns every memory read selects (alias `m`). */
export const MEMORY_COLUMNS =
  'm.rowid as rowid, m.id as id, m.agent_id as agent_id, m.content as content, m.source as source, m.scope as scope, ' +
  'm.metadata as metadata, m.confidence as confidence, m.created_at as created_at, m.accessed_at as accessed_at, ' +
  'm.access_count as access_count, m.superseded_by as superseded_by';

export interface MemoryRow extends MemoryRowBase {
  rowid: number | bigint;
  metadata: string;
}

/**
 * Filter clauses on the vec0 table's own columns (agent partition key, scope, source, confidence,
 * created_at), for use INSIDE a KNN query so the k nearest are taken from the filtered set.
 * `metadata` is not a vec0 column and is ignored here (the caller takes the exact-scan path).
 */
export function vecFilterClause(agentId: string | undefined, filter: MemoryFilter): Clause {
  const parts: string[] = [];
  const params: unknown[] = [];
  if (agentId !== undefined) {
    parts.push('agent_id = ?');
    params.push(agentId);
  }
  if (filter.scope !== undefined) {
    parts.push('scope = ?');
    params.push(filter.scope);
  }
  if (filter.source !== undefined) {
    parts.push('source = ?');
    params.push(filter.source);
  }
  if (filter.minConfidence !== undefined) {
    parts.push('confidence >= ?');
    params.push(filter.minConfidence);
  }
  // vec0 integer metadata columns compare against integers: timestamps are validated integers.
  if (filter.after !== undefined) {
    parts.push('created_at > ?');
    params.push(BigInt(filter.after));
  }
  if (filter.before !== undefined) {
    parts.push('created_at < ?');
    params.push(BigInt(filter.before));
  }
  return { sql: parts.map((p) => ` and ${p}`).join(''), params };
}

/** The same filter on the memories table (alias `m`), including metadata equality; excludes superseded rows. */
export function memoryFilterClause(agentId: string | undefined, filter: MemoryFilter): Clause {
  const parts: string[] = ['m.superseded_by is null'];
  const params: unknown[] = [];
  if (agentId !== undefined) {
    parts.push('m.agent_id = ?');
    params.push(agentId);
  }
  if (filter.scope !== undefined) {
    parts.push('m.scope = ?');
    params.push(filter.scope);
  }
  if (filter.source !== undefined) {
    parts.push('m.source = ?');
    params.push(filter.source);
  }
  if (filter.minConfidence !== undefined) {
    parts.push('m.confidence >= ?');
    params.push(filter.minConfidence);
  }
  if (filter.after !== undefined) {
    parts.push('m.created_at > ?');
    params.push(filter.after);
  }
  if (filter.before !== undefined) {
    parts.push('m.created_at < ?');
    params.push(filter.before);
  }
  for (const [key, value] of Object.entries(filter.metadata ?? {})) {
    parts.push('(m.metadata -> ?) = ?');
    params.push(metadataPath(key), JSON.stringify(value));
  }
  return { sql: parts.map((p) => ` and ${p}`).join(''), params };
}

/**
 * The SQLite JSON path addressing one top-level key, whatever characters it holds: the key is
 * quoted, with backslashes and double quotes escaped (SQLite unescapes quoted path labels).
 */
export function metadataPath(key: string): string {
  return `$."${key.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * The FTS5 query for free text: its words (Unicode letters and digits), each quoted as an FTS5
 * string so no FTS5 syntax in the text is interpreted, joined with OR (bm25 ranks documents matching
 * more and rarer words higher). Undefined when the text has no words.
 */
export function ftsQuery(text: string): string | undefined {
  const words = text.normalize('NFKC').match(/[\p{L}\p{N}]+/gu);
  if (!words) return undefined;
  const unique = [...new Set(words.map((w) => w.toLowerCase()))];
  return unique.map((w) => `"${w.replace(/"/g, '""')}"`).join(' OR ');
}

/** Cosine similarity of two unit vectors from their L2 distance: 1 − d²/2. */
export function similarityFromL2(distance: number): number {
  return 1 - (distance * distance) / 2;
}

export function toRecord(row: MemoryRow, embedding?: Uint8Array | null): MemoryRecord {
  const record = memoryRecordFromRow(row);
  if (embedding) record.embedding = bufferToVector(embedding);
  return record;
}
