/**
 * Filter evaluation. Semantics checked against qdrant/qdrant:
 * - lib/segment/src/index/query_optimization/optimized_filter.rs (should: at least one, if not empty;
 *   min_should; must; must_not)
 * - lib/segment/src/payload_storage/query_checker.rs (field conditions, is_empty, is_null, has_id, has_vector, nested)
 * - lib/segment/src/payload_storage/condition_checker.rs (match value/any/except, range, array values)
 * - lib/segment/src/json_path/mod.rs value_get (`a.b`, `a[].b`; a trailing array is one value)
 */
import type { Schemas } from '@qdrant/js-client-rest';
import { formatError, unsupported } from './errors.js';
import { parsePointId, type PointId } from './ids.js';
import { isObject, valuesAt, type Json, type JsonObject } from './json-path.js';

export type Filter = Schemas['Filter'];
type FieldCondition = Schemas['FieldCondition'];

/** What a filter can look at. */
export interface FilterTarget {
  id: PointId;
  payload: JsonObject;
  hasVector(name: string): boolean;
}

const asList = (value: unknown): unknown[] => (value === undefined || value === null ? [] : Array.isArray(value) ? value : [value]);

export function matchesFilter(filter: Filter | null | undefined, target: FilterTarget): boolean {
  if (filter === null || filter === undefined) return true;
  if (!isObject(filter)) throw formatError('filter: expected an object');
  const check = (c: unknown): boolean => matchesCondition(c, target);
  const should = asList(filter.should);
  if (should.length > 0 && !should.some(check)) return false;
  const minShould: unknown = filter.min_should;
  if (isObject(minShould)) {
    const { conditions, min_count } = minShould;
    if (typeof min_count !== 'number') throw formatError('min_should.min_count: expected an integer');
    if (asList(conditions).filter(check).length < min_count) return false;
  }
  if (!asList(filter.must).every(check)) return false;
  return !asList(filter.must_not).some(check);
}

/** Both filters must hold (Filter::merge_opts). */
export function andFilters(a: Filter | null | undefined, b: Filter | null | undefined): Filter | undefined {
  if (a === null || a === undefined) return b ?? undefined;
  if (b === null || b === undefined) return a;
  return { must: [a, b] };
}

function matchesCondition(condition: unknown, target: FilterTarget): boolean {
  if (!isObject(condition)) throw formatError('filter condition: expected an object');
  if ('key' in condition) return matchesField(condition as unknown as FieldCondition, target.payload);
  if ('is_empty' in condition) return isEmptyValues(valuesAt(target.payload, keyOf(condition.is_empty)));
  if ('is_null' in condition) return valuesAt(target.payload, keyOf(condition.is_null)).some((v) => v === null);
  if ('has_id' in condition) return asList(condition.has_id).map(parsePointId).includes(target.id);
  if ('has_vector' in condition) return typeof condition.has_vector === 'string' && target.hasVector(condition.has_vector);
  if ('nested' in condition) return matchesNested(condition.nested, target);
  if ('must' in condition || 'should' in condition || 'must_not' in condition || 'min_should' in condition) {
    return matchesFilter(condition as Filter, target);
  }
  throw formatError(`unknown filter condition ${JSON.stringify(condition)}`);
}

function keyOf(value: Json | undefined): string {
  if (isObject(value) && typeof value.key === 'string') return value.key;
  throw formatError('condition: expected {key: string}');
}

function matchesNested(nested: Json | undefined, target: FilterTarget): boolean {
  if (!isObject(nested) || typeof nested.key !== 'string' || !isObject(nested.filter)) {
    throw formatError('nested: expected {key, filter}');
  }
  const filter = nested.filter as Filter;
  return valuesAt(target.payload, `${nested.key}[]`).some(
    (value) => isObject(value) && matchesFilter(filter, { id: target.id, payload: value, hasVector: () => false }),
  );
}

const isEmptyValues = (values: Json[]): boolean => values.every((v) => v === null || (Array.isArray(v) && v.length === 0));

function matchesField(condition: FieldCondition, payload: JsonObject): boolean {
  if (condition.geo_bounding_box || condition.geo_radius || condition.geo_polygon) throw unsupported('Geo conditions');
  const values = valuesAt(payload, condition.key);
  if (values.length === 0) {
    if (condition.values_count) return countInRange(0, condition.values_count);
    if (typeof condition.is_empty === 'boolean') return condition.is_empty;
    if (typeof condition.is_null === 'boolean') return !condition.is_null;
    return false;
  }
  return values.some((value) => checkValue(condition, value));
}

function checkValue(condition: FieldCondition, value: Json): boolean {
  if (condition.values_count) return countInRange(Array.isArray(value) ? value.length : 1, condition.values_count);
  if (typeof condition.is_empty === 'boolean') {
    const empty = value === null || (Array.isArray(value) && value.length === 0);
    return empty === condition.is_empty;
  }
  if (typeof condition.is_null === 'boolean') {
    const isNull = value === null || (Array.isArray(value) && value.some((v) => v === null));
    return isNull === condition.is_null;
  }
  return Array.isArray(value) ? value.some((v) => checkMatch(condition, v)) : checkMatch(condition, value);
}

function checkMatch(condition: FieldCondition, value: Json): boolean {
  const m: unknown = condition.match;
  if (isObject(m) && matchOne(m as Schemas['Match'], value)) return true;
  const r = condition.range;
  return r !== null && r !== undefined && inRange(r, value);
}

const isInteger = (v: Json): v is number => typeof v === 'number' && Number.isInteger(v);

function matchOne(m: Schemas['Match'], value: Json): boolean {
  if ('value' in m) {
    const expected = m.value;
    if (typeof expected === 'number' && !Number.isInteger(expected)) throw formatError('match.value: expected a string, an integer or a bool');
    return typeof expected === 'number' ? isInteger(value) && value === expected : value === expected;
  }
  if ('any' in m) {
    const list: readonly (string | number)[] = m.any;
    return (typeof value === 'string' || isInteger(value)) && list.some((x) => typeof x === typeof value && x === value);
  }
  if ('except' in m) {
    const list: readonly (string | number)[] = m.except;
    const stringsList = list.length === 0 || typeof list[0] === 'string';
    if (value === null) return false;
    if (typeof value === 'string' && stringsList) return !list.includes(value);
    if (typeof value === 'number' && !stringsList) return !Number.isInteger(value) || !list.includes(value);
    return true;
  }
  if (typeof value !== 'string') return false;
  if ('text' in m) return value.includes(m.text);
  if ('phrase' in m) return value.includes(m.phrase);
  if ('text_any' in m) return m.text_any.split(/\s+/).filter(Boolean).some((t) => value.includes(t));
  throw formatError(`unknown match ${JSON.stringify(m)}`);
}

type RangeBounds = { lt?: number | string | null; gt?: number | string | null; gte?: number | string | null; lte?: number | string | null };

function inRange(range: RangeBounds, value: Json): boolean {
  const bounds = [range.lt, range.gt, range.gte, range.lte].filter((b) => b !== undefined && b !== null);
  const datetime = bounds.some((b) => typeof b === 'string');
  let x: number;
  if (datetime) {
    if (typeof value !== 'string') return false;
    x = Date.parse(value);
    if (Number.isNaN(x)) return false;
  } else {
    if (typeof value !== 'number') return false;
    x = value;
  }
  const num = (b: number | string): number => (typeof b === 'string' ? Date.parse(b) : b);
  if (range.lt !== undefined && range.lt !== null && !(x < num(range.lt))) return false;
  if (range.gt !== undefined && range.gt !== null && !(x > num(range.gt))) return false;
  if (range.lte !== undefined && range.lte !== null && !(x <= num(range.lte))) return false;
  if (range.gte !== undefined && range.gte !== null && !(x >= num(range.gte))) return false;
  return true;
}

function countInRange(count: number, range: Schemas['ValuesCount']): boolean {
  return inRange(range, count);
}
