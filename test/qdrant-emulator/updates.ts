/**
 * Point writes: each `prepare*` validates a request body against the collection now and returns the
 * function that applies it (possibly later, for unwaited writes).
 * Missing points: "No point with id … found" (404) — lib/collection/src/operations/types.rs PointNotFound.
 */
import type { Schemas } from '@qdrant/js-client-rest';
import type { Collection, StoredPoint } from './collection.js';
import { formatError, pointNotFound, vectorNameNotExists } from './errors.js';
import { matchesFilter, type Filter } from './filter.js';
import { parsePointId, parsePointIds, type PointId } from './ids.js';
import { isObject, mergeAtPath, mergeInto, removeAt, type JsonObject } from './json-path.js';
import { parseVectorStruct, type NamedVectors } from './vectors.js';

export type Apply = (operationId: number) => void;

export function filterTarget(point: StoredPoint) {
  return { id: point.id, payload: point.payload, hasVector: (name: string) => point.vectors.has(name) };
}

export function idsMatching(collection: Collection, filter: Filter): PointId[] {
  return [...collection.points.values()].filter((p) => matchesFilter(filter, filterTarget(p))).map((p) => p.id);
}

function parsePayload(value: unknown, field: string): JsonObject {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw formatError(`${field}: expected an object`);
  return value;
}

/** `{points: ids}` or `{filter}`; resolved when applied. */
function selector(body: { points?: unknown; filter?: unknown }): (c: Collection) => PointId[] {
  if (body.points !== undefined && body.points !== null) {
    const ids = parsePointIds(body.points, 'points');
    return () => ids;
  }
  if (isObject(body.filter)) {
    const filter = body.filter as Filter;
    return (c) => idsMatching(c, filter);
  }
  throw formatError('expected `points` or `filter`');
}

function existing(collection: Collection, ids: PointId[]): StoredPoint[] {
  return ids.map((id) => {
    const point = collection.points.get(id);
    if (point === undefined) throw pointNotFound(id);
    return point;
  });
}

export function prepareUpsert(collection: Collection, body: Schemas['PointInsertOperations']): Apply {
  const incoming: { id: PointId; vectors: NamedVectors; payload: JsonObject }[] = [];
  if ('batch' in body) {
    const { ids, vectors, payloads } = body.batch;
    const parsedIds = parsePointIds(ids, 'batch.ids');
    parsedIds.forEach((id, i) => {
      const vector: unknown = Array.isArray(vectors)
        ? vectors[i]
        : isObject(vectors)
          ? Object.fromEntries(Object.entries(vectors).map(([name, list]) => [name, Array.isArray(list) ? list[i] : undefined]))
          : undefined;
      incoming.push({ id, vectors: parseVectorStruct(collection.schema, vector, `batch.vectors[${i}]`), payload: parsePayload(payloads?.[i], 'payload') });
    });
  } else if (Array.isArray(body.points)) {
    body.points.forEach((p, i) => {
      incoming.push({
        id: parsePointId(p.id),
        vectors: parseVectorStruct(collection.schema, p.vector ?? {}, `points[${i}].vector`),
        payload: parsePayload(p.payload, `points[${i}].payload`),
      });
    });
  } else {
    throw formatError('expected `points` or `batch`');
  }
  const mode = body.update_mode ?? 'upsert';
  const updateFilter = body.update_filter ?? undefined;
  return (version) => {
    for (const p of incoming) {
      const old = collection.points.get(p.id);
      if (old !== undefined && (mode === 'insert_only' || (updateFilter && !matchesFilter(updateFilter, filterTarget(old))))) continue;
      if (old === undefined && mode === 'update_only') continue;
      collection.points.set(p.id, { id: p.id, version, payload: structuredClone(p.payload), vectors: new Map(p.vectors) });
    }
  };
}

export function prepareDelete(collection: Collection, body: Schemas['PointsSelector']): Apply {
  const select = selector(body);
  return () => {
    for (const id of select(collection)) collection.points.delete(id);
  };
}

export function prepareSetPayload(collection: Collection, body: Schemas['SetPayload'], overwrite: boolean): Apply {
  const payload = parsePayload(body.payload, 'payload');
  const select = selector(body);
  const key = body.key ?? undefined;
  return (version) => {
    for (const point of existing(collection, select(collection))) {
      if (overwrite) point.payload = {};
      if (key !== undefined) mergeAtPath(point.payload, key, payload);
      else mergeInto(point.payload, payload);
      point.version = version;
    }
  };
}

export function prepareDeletePayload(collection: Collection, body: Schemas['DeletePayload']): Apply {
  const select = selector(body);
  const keys = body.keys;
  return (version) => {
    for (const point of existing(collection, select(collection))) {
      for (const key of keys) removeAt(point.payload, key);
      point.version = version;
    }
  };
}

export function prepareClearPayload(collection: Collection, body: Schemas['PointsSelector']): Apply {
  const select = selector(body);
  return (version) => {
    for (const point of existing(collection, select(collection))) {
      point.payload = {};
      point.version = version;
    }
  };
}

export function prepareUpdateVectors(collection: Collection, body: Schemas['UpdateVectors']): Apply {
  if (!Array.isArray(body.points)) throw formatError('points: expected a list');
  const updates = body.points.map((p, i) => ({
    id: parsePointId(p.id),
    vectors: parseVectorStruct(collection.schema, p.vector, `points[${i}].vector`),
  }));
  const updateFilter = body.update_filter ?? undefined;
  return (version) => {
    const points = existing(collection, updates.map((u) => u.id));
    updates.forEach((u, i) => {
      const point = points[i] as StoredPoint;
      if (updateFilter && !matchesFilter(updateFilter, filterTarget(point))) return;
      for (const [name, vector] of u.vectors) point.vectors.set(name, vector);
      point.version = version;
    });
  };
}

export function prepareDeleteVectors(collection: Collection, body: Schemas['DeleteVectors']): Apply {
  const names = body.vector;
  if (!Array.isArray(names) || names.length === 0) throw formatError('vector: must specify vector names to delete');
  for (const name of names) {
    if (!collection.schema.dense.has(name) && !collection.schema.sparse.has(name)) throw vectorNameNotExists(name);
  }
  const select = selector(body);
  return (version) => {
    for (const point of existing(collection, select(collection))) {
      for (const name of names) point.vectors.delete(name);
      point.version = version;
    }
  };
}

/** One operation of POST /points/batch. */
export function prepareBatchOperation(collection: Collection, op: Schemas['UpdateOperation']): Apply {
  if ('upsert' in op) return prepareUpsert(collection, op.upsert);
  if ('delete' in op) return prepareDelete(collection, op.delete);
  if ('set_payload' in op) return prepareSetPayload(collection, op.set_payload, false);
  if ('overwrite_payload' in op) return prepareSetPayload(collection, op.overwrite_payload, true);
  if ('delete_payload' in op) return prepareDeletePayload(collection, op.delete_payload);
  if ('clear_payload' in op) return prepareClearPayload(collection, op.clear_payload);
  if ('update_vectors' in op) return prepareUpdateVectors(collection, op.update_vectors);
  if ('delete_vectors' in op) return prepareDeleteVectors(collection, op.delete_vectors);
  throw formatError(`unknown batch operation ${JSON.stringify(op)}`);
}
