import type { Schemas } from '@qdrant/js-client-rest';
import type { FilterField, FilterNode, FilterPath, FilterScalar } from '../../contracts/memory-filter.js';
import type { FilterScope, NewMemoryRow } from '../../contracts/semantic-backend.js';
import { PATH_SEGMENT } from '../../core/filter-parse.js';
import { ValidationError } from '../../errors.js';
import type { MemoryRecord, MemorySource } from '../../contracts/semantic-store.js';
import type { JsonObject, JsonPrimitive } from '../../contracts/types.js';
import { documentKeywords } from './qdrant-keywords.js';

/**
 * How a memory is a Qdrant point: the point id is the memory's UUID, the dense vector is named
 * `dense` (or `dense_N` after re-embeddings: the collection metadata names the active one), the
 * keyword vector `bm25`, and every field of the record is in the payload (Qdrant is the only place
 * the memory lives).
 */
export const DENSE = 'dense';
/** memstrate's dense vector names: `dense` (generation 1), then `dense_2`, `dense_3`… as re-embeddings create them. */
const DENSE_NAME = /^dense(?:_([1-9][0-9]{0,8}))?$/;

/** The generation of a memstrate dense vector name (`dense` = 1), or undefined for another name. */
export function denseGeneration(name: string): number | undefined {
  const m = DENSE_NAME.exec(name);
  if (!m) return undefined;
  return m[1] === undefined ? 1 : Number(m[1]);
}

/** The dense vector name of a generation. */
export function denseName(generation: number): string {
  return generation === 1 ? DENSE : `${DENSE}_${generation}`;
}
/** The legacy keyword vector (Qdrant's collection-wide IDF modifier): kept in the layout, no longer written or searched. */
export const SPARSE = 'text';
/** The keyword vector: BM25 term weights, no modifier (IDF is per agent, sent with the query). */
export const BM25 = 'bm25';

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
  /** The memory's distinct keyword terms (core/keyword-score.ts): df counts per agent match on it. */
  kw_terms: string[];
  /** The natural key, unique per agent (kept so by the backend: Qdrant has no unique index). */
  key?: string;
  /** Expiry instant (epoch ms); absent = never. */
  expires_at?: number;
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
  { field: 'kw_terms', schema: 'keyword' },
  { field: 'key', schema: 'keyword' },
  { field: 'expires_at', schema: 'integer' },
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

/** The terms of each top-level scalar and of each scalar element of a top-level array. */
function metaTerms(metadata: JsonObject): string[] {
  const out = new Set<string>();
  const isScalar = (v: unknown): v is string | number | boolean => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
  for (const [key, value] of Object.entries(metadata)) {
    if (isScalar(value)) out.add(metaTerm(key, value));
    else if (Array.isArray(value)) for (const item of value) if (isScalar(item)) out.add(metaTerm(key, item));
  }
  return [...out];
}

/**
 * The point of a new row (its vector under `vectorName`, the active dense name; none when it has no
 * vector; no `bm25` when it has no words); `kept` carries the id, creation and access fields of the
 * memory a keyed row replaces. An upsert replaces a point whole, vectors included: a pending-space
 * vector the point had is dropped with it.
 */
export function pointFor(row: NewMemoryRow, vectorName: string, kept?: { id: string; created_at: number; accessed_at: number; access_count: number }): Schemas['PointStruct'] {
  const keywords = documentKeywords(row.content);
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
    kw_terms: keywords.terms,
  };
  if (kept) {
    payload.created_at = kept.created_at;
    payload.accessed_at = kept.accessed_at;
    payload.access_count = kept.access_count;
  }
  if (row.key !== undefined) payload.key = row.key;
  if (row.expiresAt !== undefined) payload.expires_at = row.expiresAt;
  const vector: Record<string, number[] | { indices: number[]; values: number[] }> = {};
  if (row.embedding) vector[vectorName] = Array.from(row.embedding);
  if (keywords.vector) vector[BM25] = keywords.vector;
  return { id: kept?.id ?? row.id, vector, payload: payload as unknown as Record<string, unknown> };
}

/** The record a point holds (with `embedding` when the point was read with its dense vector `vectorName`, the active one). */
export function recordFromPoint(point: { id: string | number; payload?: Record<string, unknown> | null; vector?: unknown }, vectorName: string): MemoryRecord {
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
  if (typeof p.key === 'string') record.key = p.key;
  if (typeof p.expires_at === 'number') record.expiresAt = p.expires_at;
  const vectors = point.vector;
  if (vectors && typeof vectors === 'object' && !Array.isArray(vectors)) {
    const dense = (vectors as Record<string, unknown>)[vectorName];
    if (Array.isArray(dense)) record.embedding = dense as number[];
  }
  return record;
}

/** Payload fields a memory read needs (all but the filter-only `meta_eq`). */
export const RECORD_PAYLOAD = { exclude: ['meta_eq', 'kw_terms'] } satisfies Schemas['PayloadSelector'];

type Condition = Schemas['Condition'];

/**
 * The Qdrant filter for a search scope: the agent (unless every agent), the filter AST, and never a
 * memory merged into another. Used inside every prefetch of a query, so each signal takes its
 * candidates from the filtered set.
 */
export function scopeFilter(scope: FilterScope): Schemas['Filter'] {
  const { agentId, filter } = scope;
  const must: Condition[] = [{ is_empty: { key: 'superseded_by' } }, liveAt(scope.now)];
  if (agentId !== undefined) must.push({ key: 'agent_id', match: { value: agentId } });
  if (!(filter.kind === 'const' && filter.value)) must.push(compileFilter(filter));
  return { must };
}

/** Matches no point / every point (an empty has_id list matches nothing). */
/** Not expired at `now`: no expiry, or one after now. */
export function liveAt(now: number): Condition {
  return { should: [{ is_empty: { key: 'expires_at' } }, { key: 'expires_at', range: { gt: now } }] };
}

const NOTHING: Condition = { has_id: [] };
const EVERYTHING: Condition = { must_not: [NOTHING] };

const FIELD_KEYS: Record<FilterField, keyof MemoryPayload> = { source: 'source', scope: 'scope', confidence: 'confidence', createdAt: 'created_at' };

/**
 * The filter AST as a native Qdrant condition: and / or / not as must / should / must_not; eq on a
 * string or boolean as `match value`, on a number as `range gte = lte` (one rule for integers and
 * floats); `in` as `match any` (strings) or a should of those; ranges as `range`; exists as
 * `must_not is_empty`. Qdrant matches an array when any element does, as the grammar says. A
 * metadata path is the key `metadata.<seg>…` (segments are [A-Za-z0-9_-], so nothing in them is key
 * syntax). A legacy `metadata` key outside that grammar is matched through the `meta_eq` terms.
 */
export function compileFilter(node: FilterNode): Condition {
  switch (node.kind) {
    case 'const':
      return node.value ? EVERYTHING : NOTHING;
    case 'and':
      return { must: node.of.map(compileFilter) };
    case 'or':
      return { should: node.of.map(compileFilter) };
    case 'not':
      return { must_not: [compileFilter(node.of)] };
    default:
      break;
  }
  const key = keyOf(node.path);
  if (key === undefined) return legacyCondition(node);
  switch (node.kind) {
    case 'exists':
      return { must_not: [{ is_empty: { key } }] };
    case 'eq':
      return eqCondition(key, node.value);
    case 'range':
      return { key, range: { [node.op]: node.value } };
    case 'in': {
      const strings = node.values.filter((x): x is string => typeof x === 'string');
      const others = node.values.filter((x) => typeof x !== 'string');
      const should: Condition[] = others.map((x) => eqCondition(key, x));
      if (strings.length > 0) should.unshift({ key, match: { any: strings } });
      return should.length === 1 ? (should[0] as Condition) : { should };
    }
  }
}

function eqCondition(key: string, value: FilterScalar): Condition {
  return typeof value === 'number' ? { key, range: { gte: value, lte: value } } : { key, match: { value } };
}

/** The payload key of a path; undefined for a metadata key Qdrant's key syntax cannot spell. */
function keyOf(path: FilterPath): string | undefined {
  if ('field' in path) return FIELD_KEYS[path.field];
  return path.metadata.every((s) => PATH_SEGMENT.test(s)) ? `metadata.${path.metadata.join('.')}` : undefined;
}

/** A legacy `metadata` key with characters outside [A-Za-z0-9_-]: equality through `meta_eq`. */
function legacyCondition(node: Exclude<FilterNode, { kind: 'and' | 'or' | 'not' | 'const' }>): Condition {
  const key = 'metadata' in node.path ? node.path.metadata.join('.') : '';
  if (node.kind === 'eq') return { key: 'meta_eq', match: { value: metaTerm(key, node.value) } };
  throw new ValidationError(`filter.metadata key ${JSON.stringify(key)}: on qdrant, a key outside [A-Za-z0-9_-] can only be compared with a value (not null)`, {
    backend: 'qdrant',
  });
}
