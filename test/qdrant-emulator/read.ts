/** Retrieve, scroll, count, and how a point is shown (with_payload / with_vector). */
import type { Schemas } from '@qdrant/js-client-rest';
import type { Collection, StoredPoint } from './collection.js';
import { badInput, badRequest, formatError } from './errors.js';
import { matchesFilter, type Filter } from './filter.js';
import { compareIds, parsePointId, parsePointIds, type PointId } from './ids.js';
import { copyAt, isObject, removeAt, valuesAt, type JsonObject } from './json-path.js';
import { filterTarget } from './updates.js';
import { vectorOutput } from './vectors.js';

/** Schemas['WithPayloadInterface'] or Schemas['WithVector'] as received (the generated types also admit loose objects). */
export type WithPayload = unknown;
export type WithVector = unknown;

const stringList = (value: unknown, field: string): string[] => {
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
  throw formatError(`${field}: expected a list of strings`);
};

export function showPayload(payload: JsonObject, selector: WithPayload, byDefault: boolean): JsonObject | undefined {
  const s = selector ?? byDefault;
  if (s === false) return undefined;
  if (s === true) return structuredClone(payload);
  if (Array.isArray(s) || (isObject(s) && 'include' in s)) {
    const keys = stringList(Array.isArray(s) ? s : s.include, 'with_payload.include');
    const out: JsonObject = {};
    for (const key of keys) copyAt(payload, out, key);
    return out;
  }
  if (!isObject(s) || !('exclude' in s)) throw formatError('with_payload: expected a bool, a list of keys, {include} or {exclude}');
  const out = structuredClone(payload);
  for (const key of stringList(s.exclude, 'with_payload.exclude')) removeAt(out, key);
  return out;
}

export function showVector(point: StoredPoint, selector: WithVector, byDefault: boolean): Schemas['VectorStructOutput'] | undefined {
  const s = selector ?? byDefault;
  if (s === false) return undefined;
  const names = s === true ? [...point.vectors.keys()] : stringList(s, 'with_vector').filter((n) => point.vectors.has(n));
  // A point whose only shown vector is the unnamed one shows it bare, as Qdrant's single-vector mode.
  if (names.length === 1 && names[0] === '') return vectorOutput(point.vectors.get('') as number[]) as number[];
  const out: Record<string, Schemas['VectorOutput']> = {};
  for (const name of names) {
    const v = point.vectors.get(name);
    if (v !== undefined) out[name] = vectorOutput(v);
  }
  return out;
}

export function record(point: StoredPoint, withPayload: WithPayload, withVector: WithVector, payloadByDefault: boolean): Schemas['Record'] {
  const out: Schemas['Record'] = { id: point.id };
  const payload = showPayload(point.payload, withPayload, payloadByDefault);
  if (payload !== undefined) out.payload = payload;
  const vector = showVector(point, withVector, false);
  if (vector !== undefined) out.vector = vector;
  return out;
}

/** POST /points: ids that do not exist are left out; with_payload defaults to true. */
export function retrieve(collection: Collection, body: Schemas['PointRequest']): Schemas['Record'][] {
  const ids = parsePointIds(body.ids, 'ids');
  const seen = new Set<PointId>();
  const out: Schemas['Record'][] = [];
  for (const id of ids) {
    const point = collection.points.get(id);
    if (point === undefined || seen.has(id)) continue;
    seen.add(id);
    out.push(record(point, body.with_payload, body.with_vector, true));
  }
  return out;
}

export function pointsMatching(collection: Collection, filter: Filter | null | undefined): StoredPoint[] {
  return [...collection.points.values()].filter((p) => matchesFilter(filter, filterTarget(p)));
}

/**
 * POST /points/scroll. Paging as lib/collection/src/collection/point_ops.rs scroll_by: limit 0 is a bad
 * request; ids sorted in id order from `offset` on; next_page_offset is the id of the first point past
 * the page (null on the last page and always null with order_by).
 */
export function scroll(collection: Collection, body: Schemas['ScrollRequest']): Schemas['ScrollResult'] {
  const limit = body.limit ?? 10;
  if (limit === 0) throw badRequest('Limit cannot be 0');
  if (!Number.isInteger(limit) || limit < 0) throw formatError('limit: expected an unsigned integer');
  const matching = pointsMatching(collection, body.filter);
  if (body.order_by !== undefined && body.order_by !== null) return scrollOrdered(collection, matching, body, limit);
  const offset = body.offset === undefined || body.offset === null ? undefined : parsePointId(body.offset);
  const sorted = matching.sort((a, b) => compareIds(a.id, b.id)).filter((p) => offset === undefined || compareIds(p.id, offset) >= 0);
  const page = sorted.slice(0, limit);
  const next = sorted[limit];
  return {
    points: page.map((p) => record(p, body.with_payload, body.with_vector, true)),
    next_page_offset: next === undefined ? null : next.id,
  };
}

/** order_by needs a range-capable payload index (OperationError::MissingRangeIndexForOrderBy). */
function scrollOrdered(collection: Collection, matching: StoredPoint[], body: Schemas['ScrollRequest'], limit: number): Schemas['ScrollResult'] {
  const orderBy = typeof body.order_by === 'string' ? { key: body.order_by } : (body.order_by as Schemas['OrderBy']);
  const index = collection.payloadIndexes.get(orderBy.key);
  const type = typeof index === 'string' ? index : isObject(index) ? index.type : undefined;
  if (type !== 'integer' && type !== 'float') {
    throw badInput(
      `No range index for \`order_by\` key: \`${orderBy.key}\`. Please create one to use \`order_by\`. Check https://qdrant.tech/documentation/concepts/indexing/#payload-index to see which payload schemas support Range conditions`,
    );
  }
  const desc = orderBy.direction === 'desc';
  const start = typeof orderBy.start_from === 'number' ? orderBy.start_from : undefined;
  const entries: { value: number; point: StoredPoint }[] = [];
  for (const point of matching) {
    for (const v of valuesAt(point.payload, orderBy.key).flat()) {
      if (typeof v !== 'number') continue;
      if (start !== undefined && (desc ? v > start : v < start)) continue;
      entries.push({ value: v, point });
    }
  }
  entries.sort((a, b) => (desc ? b.value - a.value || compareIds(b.point.id, a.point.id) : a.value - b.value || compareIds(a.point.id, b.point.id)));
  return {
    points: entries.slice(0, limit).map(({ value, point }) => ({ ...record(point, body.with_payload, body.with_vector, true), order_value: value })),
    next_page_offset: null,
  };
}

export function count(collection: Collection, body: Schemas['CountRequest'] | undefined): Schemas['CountResult'] {
  return { count: pointsMatching(collection, body?.filter).length };
}

/**
 * POST /collections/:name/facet: how many matching points hold each value of `key` (a point
 * holding a value twice, e.g. in an array, counts once). Qdrant facets only fields with a keyword,
 * integer or bool index; hits come by count descending, then value ascending; `limit` default 10.
 */
export function facet(collection: Collection, body: Schemas['FacetRequest']): Schemas['FacetResponse'] {
  const limit = body.limit ?? 10;
  if (!Number.isInteger(limit) || limit < 1) throw formatError('limit: must be at least 1');
  const index = collection.payloadIndexes.get(body.key);
  const type = typeof index === 'string' ? index : isObject(index) ? index.type : undefined;
  if (type !== 'keyword' && type !== 'integer' && type !== 'bool') {
    throw badInput(`Index required but not found for "${body.key}" of one of the following types: [keyword, integer, bool]. Help: Create an index for this key or use a different key.`);
  }
  const counts = new Map<string | number | boolean, number>();
  for (const point of pointsMatching(collection, body.filter)) {
    const seen = new Set<string | number | boolean>();
    for (const value of valuesAt(point.payload, body.key)) {
      for (const v of Array.isArray(value) ? value : [value]) {
        if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') seen.add(v);
      }
    }
    for (const v of seen) counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  const hits = [...counts].map(([value, count]) => ({ value, count }));
  hits.sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  return { hits: hits.slice(0, limit) } as Schemas['FacetResponse'];
}
