import type { FilterNode, FilterPath, FilterScalar } from '../contracts/memory-filter.js';
import type { MemoryRecord } from '../contracts/semantic-store.js';
import type { JsonValue } from '../contracts/types.js';

/**
 * The reference semantics of the filter grammar: every backend's compiled filter must select
 * exactly the memories this function accepts (the conformance suite checks it on random filters).
 *
 * - The value at a path is *absent* when missing, null or an empty array. A metadata path walks
 *   plain objects only (an array on the way makes the value missing).
 * - Types are strict: 1 ≠ "1", true ≠ 1; ranges match numbers only.
 * - An array matches eq / in / range when any of its scalar elements does (nested arrays and
 *   objects inside it match nothing).
 * - An object at the path matches only `exists`.
 * - `exists` = not absent. $ne, $nin and `$exists: false` are the negations (so they match absent values).
 */
export type FilterTarget = Pick<MemoryRecord, 'source' | 'scope' | 'confidence' | 'createdAt' | 'metadata'>;

export function valueAt(record: FilterTarget, path: FilterPath): JsonValue | undefined {
  if ('field' in path) return record[path.field];
  let value: JsonValue | undefined = record.metadata;
  for (const segment of path.metadata) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, segment)) return undefined;
    value = value[segment];
  }
  return value;
}

export function isAbsent(value: JsonValue | undefined): boolean {
  return value === undefined || value === null || (Array.isArray(value) && value.length === 0);
}

const isScalar = (x: JsonValue | undefined): x is FilterScalar => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean';

/** The scalars a value offers to eq / in / range: itself, or its scalar elements. */
function scalars(value: JsonValue | undefined): FilterScalar[] {
  if (Array.isArray(value)) return value.filter(isScalar);
  return isScalar(value) ? [value] : [];
}

function inRange(op: 'gt' | 'gte' | 'lt' | 'lte', x: number, bound: number): boolean {
  switch (op) {
    case 'gt':
      return x > bound;
    case 'gte':
      return x >= bound;
    case 'lt':
      return x < bound;
    case 'lte':
      return x <= bound;
  }
}

/** Whether the memory matches the filter (agent and superseded state are the caller's concern). */
export function matchesFilter(node: FilterNode, record: FilterTarget): boolean {
  switch (node.kind) {
    case 'const':
      return node.value;
    case 'and':
      return node.of.every((n) => matchesFilter(n, record));
    case 'or':
      return node.of.some((n) => matchesFilter(n, record));
    case 'not':
      return !matchesFilter(node.of, record);
    case 'exists':
      return !isAbsent(valueAt(record, node.path));
    case 'eq':
      return scalars(valueAt(record, node.path)).some((x) => x === node.value);
    case 'in':
      return scalars(valueAt(record, node.path)).some((x) => node.values.some((y) => x === y));
    case 'range':
      return scalars(valueAt(record, node.path)).some((x) => typeof x === 'number' && inRange(node.op, x, node.value));
  }
}
