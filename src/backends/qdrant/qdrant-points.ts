import type { Schemas } from '@qdrant/js-client-rest';
import type { NewMemoryRow, SearchScope } from '../../contracts/semantic-backend.js';
import type { MemoryRecord, MemorySource } from '../../contracts/semantic-store.js';
import type { JsonObject, JsonPrimitive } from '../../contracts/types.js';
import { documentVector } from './qdrant-keywords.js';

/**
 * How a memory is a Qdrant point: the point id is the memory's UUID, the dense vector is named
 * `dense`, the keyword vector `text`, and every field of the record is in the payload (Qdrant is
 * the only place the memory lives).
 */
export const DENSE = 'dense';
export const SPARSE = 'text';

/** The payload of a memory point (snake_case, as stored). */
export interface MemoryPayload {
  agent_id: string;
  content: string;
  source: string;
  scope: string;
  metadata: JsonObject;
  /** `key\u0000json(value)` for each scalar metadata entry: metadata equality filters match on it. */
  meta_eq: string[];
  confidence: number;
  created_at: number;
  accessed_at: number;
  access_count: number;
  /** Set when consolidation merged the memory into another one. */
  superseded_by?: string;
}

/** Payload fields with an index (created with the collection), and their index types. */
export const PAYLOAD_INDEXES: readonly { field: keyof MemoryPayload; schema: 'keyword' | 'integer' | 'float' }[] = [
  { field: 'agent_id', schema: 'keyword' },
  { field: 'scope', schema: 'keyword' },
  { field: 'source', schema: 'keyword' },
  { field: 'created_at', schema: 'integer' },
  { field: 'confidence', schema: 'float' },
  { field: 'accessed_at', schema: 'integer' },
  { field: 'meta_eq', schema: 'keyword' },
  { field: 'superseded_by', schema: 'keyword' },
];

const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Whether `id` can name a memory point. Memory ids are lower-case hyphenated UUIDs; Qdrant would
 * normalise other spellings of a UUID (and reject non-UUIDs), so those name no memory here, as on
 * the SQL engines.
 */
export function isPointId(id: string): boolean {
  return CANONICAL_UUID.test(id);
}

/** The value a metadata equality condition matches in `meta_eq`. */
export function metaTerm(key: string, value: JsonPrimitive): string {
  return `${key}\u0000${JSON.stringify(value)}`;
}

function metaTerms(metadata: JsonObject): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(metadata)) {
    if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') out.push(metaTerm(key, value));
  }
  return out;
}

/** The point for a new memory (no `dense` when it has no vector, no `text` when it has no words). */
export function pointFor(row: NewMemoryRow): Schemas['PointStruct'] {
  const payload: MemoryPayload = {
    agent_id: row.agentId,
    content: row.content,
    source: row.source,
    scope: row.scope,
    metadata: row.metadata,
    meta_eq: metaTerms(row.metadata),
    confidence: row.confidence,
    created_at: row.createdAt,
    accessed_at: row.createdAt,
    access_count: 0,
  };
  const vector: Record<string, number[] | { indices: number[]; values: number[] }> = {};
  if (row.embedding) vector[DENSE] = Array.from(row.embedding);
  const sparse = documentVector(row.content);
  if (sparse) vector[SPARSE] = sparse;
  return { id: row.id, vector, payload: payload as unknown as Record<string, unknown> };
}

/** The record a point holds (with `embedding` when the point was read with its dense vector). */
export function recordFromPoint(point: { id: string | number; payload?: Record<string, unknown> | null; vector?: unknown }): MemoryRecord {
  const p = (point.payload ?? {}) as unknown as MemoryPayload;
  const record: MemoryRecord = {
    id: String(point.id),
    agentId: p.agent_id,
    content: p.content,
    source: p.source as MemorySource,
    scope: p.scope,
    metadata: p.metadata ?? {},
    confidence: p.confidence,
    createdAt: p.created_at,
    accessedAt: p.accessed_at,
    accessCount: p.access_count,
  };
  if (typeof p.superseded_by === 'string') record.supersededBy = p.superseded_by;
  const vectors = point.vector;
  if (vectors && typeof vectors === 'object' && !Array.isArray(vectors)) {
    const dense = (vectors as Record<string, unknown>)[DENSE];
    if (Array.isArray(dense)) record.embedding = dense as number[];
  }
  return record;
}

/** Payload fields a memory read needs (all but the filter-only `meta_eq`). */
export const RECORD_PAYLOAD = { exclude: ['meta_eq'] } satisfies Schemas['PayloadSelector'];

type Condition = Schemas['Condition'];

/**
 * The Qdrant filter for a search scope: the agent (unless every agent), each filter field, and
 * never a memory merged into another. Used inside every prefetch of a query, so each signal takes
 * its candidates from the filtered set.
 */
export function scopeFilter(scope: Pick<SearchScope, 'agentId' | 'filter'>): Schemas['Filter'] {
  const { agentId, filter } = scope;
  const must: Condition[] = [{ is_empty: { key: 'superseded_by' } }];
  if (agentId !== undefined) must.push({ key: 'agent_id', match: { value: agentId } });
  if (filter.scope !== undefined) must.push({ key: 'scope', match: { value: filter.scope } });
  if (filter.source !== undefined) must.push({ key: 'source', match: { value: filter.source } });
  if (filter.minConfidence !== undefined) must.push({ key: 'confidence', range: { gte: filter.minConfidence } });
  if (filter.after !== undefined || filter.before !== undefined) {
    must.push({ key: 'created_at', range: { ...(filter.after !== undefined ? { gt: filter.after } : {}), ...(filter.before !== undefined ? { lt: filter.before } : {}) } });
  }
  for (const [key, value] of Object.entries(filter.metadata ?? {})) must.push({ key: 'meta_eq', match: { value: metaTerm(key, value) } });
  return { must };
}
