import type { FilterExpr, FilterScalar } from '../contracts/memory-filter.js';
import { fail } from './namespace.js';

/**
 * LangGraph's search `filter` over an item's value: `{ field: value }` (strict equality) or
 * `{ field: { $eq | $ne | $gt | $gte | $lt | $lte | $in | $nin: … } }`, every field must hold —
 * exactly the semantics of LangGraph's own stores (InMemoryStore's compareValues), evaluated here.
 * The conditions the semantic backend can evaluate as well (a scalar equality on a plain top-level
 * field) are also pushed down as a `where` on `metadata.value.<field>`; that selects a superset
 * (memstrate's eq also matches an array holding the value), and the exact check below decides.
 */
const OPERATORS = ['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin'] as const;
const SEGMENT = /^[A-Za-z0-9_-]{1,64}$/;

type Filter = Record<string, unknown>;

const isOperators = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).every((k) => (OPERATORS as readonly string[]).includes(k));

const isScalar = (value: unknown): value is FilterScalar =>
  typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));

/** Rejects what is not a filter (an operator object with an unknown `$` key is a typo, not a value). */
export function checkFilter(filter: unknown): Filter | undefined {
  if (filter === undefined || filter === null) return undefined;
  if (typeof filter !== 'object' || Array.isArray(filter)) fail('filter must be an object of field conditions');
  for (const [field, condition] of Object.entries(filter)) {
    if (typeof condition === 'object' && condition !== null && !Array.isArray(condition)) {
      const unknown = Object.keys(condition).filter((k) => k.startsWith('$') && !(OPERATORS as readonly string[]).includes(k));
      if (unknown.length > 0) fail(`filter.${field}: unknown operator${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${OPERATORS.join(', ')})`);
    }
  }
  return filter as Filter;
}

function compare(itemValue: unknown, condition: unknown): boolean {
  if (!isOperators(condition)) return itemValue === condition;
  return Object.entries(condition).every(([op, value]) => {
    switch (op) {
      case '$eq':
        return itemValue === value;
      case '$ne':
        return itemValue !== value;
      case '$gt':
        return Number(itemValue) > Number(value);
      case '$gte':
        return Number(itemValue) >= Number(value);
      case '$lt':
        return Number(itemValue) < Number(value);
      case '$lte':
        return Number(itemValue) <= Number(value);
      case '$in':
        return Array.isArray(value) ? value.includes(itemValue) : false;
      case '$nin':
        return Array.isArray(value) ? !value.includes(itemValue) : true;
      default:
        return false;
    }
  });
}

/** Whether an item's value satisfies the filter (LangGraph's semantics). */
export function matchesItemFilter(filter: Filter | undefined, value: Record<string, unknown>): boolean {
  if (filter === undefined) return true;
  return Object.entries(filter).every(([field, condition]) => compare(Object.hasOwn(value, field) ? value[field] : undefined, condition));
}

/** The part of the filter the backend can evaluate (a superset of the matches), as `where` clauses. */
export function pushedDown(filter: Filter | undefined): FilterExpr[] {
  if (filter === undefined) return [];
  const clauses: FilterExpr[] = [];
  for (const [field, condition] of Object.entries(filter)) {
    if (!SEGMENT.test(field)) continue;
    const value = isOperators(condition) && Object.keys(condition).length === 1 && '$eq' in condition ? condition['$eq'] : condition;
    if (isScalar(value)) clauses.push({ [`metadata.value.${field}`]: value });
  }
  return clauses;
}
