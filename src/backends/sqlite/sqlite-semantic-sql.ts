import { memoryRecordFromRow, type MemoryRowBase } from '../semantic-row.js';
import type { FilterField, FilterNode, FilterRangeOp, FilterScalar } from '../../contracts/memory-filter.js';
import type { MemoryRecord } from '../../contracts/semantic-store.js';
import { bufferToVector } from '../../core/vector.js';

/**
 * SQL fragments for the SQLite semantic backend: filter clauses (bound parameters only, never
 * interpolated values) and row → MemoryRecord mapping.
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
  'm.access_count as access_count, m.superseded_by as superseded_by, m.key as key, m.expires_at as expires_at';

export interface MemoryRow extends MemoryRowBase {
  rowid: number | bigint;
  metadata: string;
}

const COLUMNS: Record<FilterField, string> = { source: 'm.source', scope: 'm.scope', confidence: 'm.confidence', createdAt: 'm.created_at' };
const VEC_COLUMNS: Record<FilterField, string> = { source: 'source', scope: 'scope', confidence: 'confidence', createdAt: 'created_at' };
const RANGE_SQL: Record<FilterRangeOp, string> = { gt: '>', gte: '>=', lt: '<', lte: '<=' };

/**
 * A SQL boolean (never NULL, so NOT is exact) for the filter AST over the memories table (alias `m`).
 * Paths and values are bound parameters: a metadata path is one `$."seg"."seg"` string. The value at
 * a path offers its scalars to eq / in / range: itself, or, when it is an array, its elements
 * (json_each; an object at the path offers none). Types are strict through json_each's `type`
 * (booleans are `true` / `false`, never 1 / 0).
 */
export function compileFilter(node: FilterNode, params: unknown[]): string {
  switch (node.kind) {
    case 'const':
      return node.value ? '1' : '0';
    case 'and':
    case 'or':
      return `(${node.of.map((n) => compileFilter(n, params)).join(node.kind === 'and' ? ' and ' : ' or ')})`;
    case 'not':
      return `(not ${compileFilter(node.of, params)})`;
    default:
      return 'field' in node.path ? fieldLeaf(node, COLUMNS[node.path.field], params) : metadataLeaf(node, node.path.metadata, params);
  }
}

type Leaf = Extract<FilterNode, { path: unknown }>;

/** A leaf on a built-in column: core folded every value of another type away, and columns are never null. */
function fieldLeaf(node: Leaf, column: string, params: unknown[]): string {
  switch (node.kind) {
    case 'eq':
      params.push(node.value);
      return `${column} = ?`;
    case 'in':
      params.push(JSON.stringify(node.values));
      return `${column} in (select value from json_each(?))`;
    case 'range':
      params.push(node.value);
      return `${column} ${RANGE_SQL[node.op]} ?`;
    case 'exists':
      return '1';
  }
}

function metadataLeaf(node: Leaf, segments: readonly string[], params: unknown[]): string {
  const path = metadataPath(segments);
  if (node.kind === 'exists') {
    params.push(path, path);
    return "(coalesce(json_type(m.metadata, ?) not in ('null', 'array'), 0) or coalesce(json_array_length(m.metadata, ?) > 0, 0))";
  }
  params.push(path, path);
  const head = "(coalesce(json_type(m.metadata, ?) <> 'object', 0) and exists (select 1 from json_each(m.metadata, ?) j where ";
  switch (node.kind) {
    case 'eq':
      return `${head}${scalarEq(node.value, params)}))`;
    case 'in': {
      const strings = node.values.filter((x) => typeof x === 'string');
      const numbers = node.values.filter((x) => typeof x === 'number');
      const bools = node.values.filter((x) => typeof x === 'boolean');
      const parts: string[] = [];
      if (strings.length > 0) {
        params.push(JSON.stringify(strings));
        parts.push("(j.type = 'text' and j.atom in (select value from json_each(?)))");
      }
      if (numbers.length > 0) {
        params.push(JSON.stringify(numbers));
        parts.push("(j.type in ('integer', 'real') and j.atom in (select value from json_each(?)))");
      }
      if (bools.length > 0) parts.push(`j.type in (${bools.map((b) => `'${b ? 'true' : 'false'}'`).join(', ')})`);
      return `${head}(${parts.join(' or ')})))`;
    }
    case 'range':
      params.push(node.value);
      return `${head}j.type in ('integer', 'real') and j.atom ${RANGE_SQL[node.op]} ?))`;
  }
}

function scalarEq(value: FilterScalar, params: unknown[]): string {
  if (typeof value === 'boolean') return `j.type = '${value ? 'true' : 'false'}'`;
  params.push(value);
  return typeof value === 'string' ? "j.type = 'text' and j.atom = ?" : "j.type in ('integer', 'real') and j.atom = ?";
}

/** The top-level conjuncts of a filter. */
function conjuncts(node: FilterNode): readonly FilterNode[] {
  return node.kind === 'and' ? node.of : node.kind === 'const' && node.value ? [] : [node];
}

/**
 * Filter clauses on the vec0 table's own columns (agent partition key, scope, source, confidence,
 * created_at), for use INSIDE a KNN query so the k nearest are taken from the filtered set: the
 * top-level conjuncts vec0 can evaluate (equality on scope / source, ranges on confidence and
 * integer ranges on created_at). `rest` is what remains for the memories table (true when nothing).
 */
export function vecFilterClause(agentId: string | undefined, filter: FilterNode): Clause & { rest: FilterNode } {
  const parts: string[] = [];
  const params: unknown[] = [];
  const rest: FilterNode[] = [];
  if (agentId !== undefined) {
    parts.push('agent_id = ?');
    params.push(agentId);
  }
  for (const c of conjuncts(filter)) {
    if (c.kind === 'eq' && 'field' in c.path && typeof c.value === 'string') {
      parts.push(`${VEC_COLUMNS[c.path.field]} = ?`);
      params.push(c.value);
    } else if (c.kind === 'range' && 'field' in c.path && c.path.field === 'confidence') {
      parts.push(`confidence ${RANGE_SQL[c.op]} ?`);
      params.push(c.value);
    } else if (c.kind === 'range' && 'field' in c.path && c.path.field === 'createdAt' && Number.isSafeInteger(c.value)) {
      // vec0 integer metadata columns compare against integers.
      parts.push(`created_at ${RANGE_SQL[c.op]} ?`);
      params.push(BigInt(c.value));
    } else rest.push(c);
  }
  const remaining: FilterNode = rest.length === 0 ? { kind: 'const', value: true } : rest.length === 1 ? (rest[0] as FilterNode) : { kind: 'and', of: rest };
  return { sql: parts.map((p) => ` and ${p}`).join(''), params, rest: remaining };
}

/** The filter on the memories table (alias `m`), as `and …` clauses; excludes superseded rows and those expired at `now`. */
export function memoryFilterClause(agentId: string | undefined, filter: FilterNode, now: number): Clause {
  const parts: string[] = ['m.superseded_by is null', '(m.expires_at is null or m.expires_at > ?)'];
  const params: unknown[] = [now];
  if (agentId !== undefined) {
    parts.push('m.agent_id = ?');
    params.push(agentId);
  }
  if (!(filter.kind === 'const' && filter.value)) parts.push(compileFilter(filter, params));
  return { sql: parts.map((p) => ` and ${p}`).join(''), params };
}

/**
 * The SQLite JSON path addressing a metadata path, whatever characters its segments hold: each
 * segment quoted, with backslashes and double quotes escaped (SQLite unescapes quoted path labels).
 */
export function metadataPath(segments: readonly string[]): string {
  return `$${segments.map((key) => `."${key.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join('')}`;
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
