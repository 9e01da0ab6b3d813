/** The REST routes the emulator serves; anything else is a 404 with an empty body. */
import type { Schemas } from '@qdrant/js-client-rest';
import { Collection, parseSparseParams, parseVectorParams } from './collection.js';
import { alreadyExists, badInput, collectionNotFound, formatError, validationError } from './errors.js';
import { isObject, mergeInto } from './json-path.js';
import { runQuery } from './query.js';
import { count, facet, retrieve, scroll } from './read.js';
import * as updates from './updates.js';

export interface RouteContext {
  params: Record<string, string>;
  body: unknown;
  wait: boolean;
  state: EmulatorState;
}
export interface EmulatorState {
  collections: Map<string, Collection>;
  unwaitedDelayMs: number;
}
type Handler = (ctx: RouteContext) => unknown;
export interface Route {
  method: string;
  pattern: string[];
  handler: Handler;
}

const routes: Route[] = [];
const on = (method: string, path: string, handler: Handler): void => {
  routes.push({ method, pattern: path.split('/').filter(Boolean), handler });
};

export function findRoute(method: string, segments: string[]): { route: Route; params: Record<string, string> } | undefined {
  for (const route of routes) {
    if (route.method !== method || route.pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const ok = route.pattern.every((p, i) => {
      const s = segments[i] as string;
      if (p.startsWith(':')) params[p.slice(1)] = s;
      return p.startsWith(':') || p === s;
    });
    if (ok) return { route, params };
  }
  return undefined;
}

/** Collection name checks: lib/common/common/src/validation.rs (strict on create, legacy elsewhere). */
function checkName(name: string, strict: boolean): void {
  if (name.length < 1 || name.length > 255) {
    throw validationError('path parameters', 'collection_name', `value ${JSON.stringify(name)} invalid, must be from 1 to 255 characters`);
  }
  const invalid = strict ? ['<', '>', ':', '"', '/', '\\', '|', '?', '*', '\0', '\u001f'] : ['/', '\0'];
  const c = invalid.find((ch) => name.includes(ch));
  if (c !== undefined) throw validationError('path parameters', 'collection_name', `collection name cannot contain "${c}" char`);
}

function collection(ctx: RouteContext): Collection {
  const name = ctx.params.name as string;
  checkName(name, false);
  const found = ctx.state.collections.get(name);
  if (found === undefined) throw collectionNotFound(name);
  return found;
}

const body = <T>(ctx: RouteContext): T => {
  if (ctx.body === undefined) return {} as T;
  if (!isObject(ctx.body)) throw formatError('invalid type: expected a JSON object');
  return ctx.body as T;
};

const write = (ctx: RouteContext, c: Collection, apply: updates.Apply) => c.submit(apply, ctx.wait, ctx.state.unwaitedDelayMs);

on('GET', '/collections', (ctx) => ({ collections: [...ctx.state.collections.keys()].map((name) => ({ name })) }));
on('GET', '/collections/:name/exists', (ctx) => {
  checkName(ctx.params.name as string, false);
  return { exists: ctx.state.collections.has(ctx.params.name as string) };
});
on('GET', '/collections/:name', (ctx) => collection(ctx).info());
on('PUT', '/collections/:name', (ctx) => {
  const name = ctx.params.name as string;
  checkName(name, true);
  const created = Collection.fromCreateBody(body<Schemas['CreateCollection']>(ctx));
  // lib/storage/src/content_manager/collections_ops.rs validate_collection_not_exists
  if (ctx.state.collections.has(name)) throw alreadyExists(`Collection \`${name}\` already exists!`);
  ctx.state.collections.set(name, created);
  return true;
});
on('PATCH', '/collections/:name', (ctx) => {
  const c = collection(ctx);
  const metadata: unknown = body<Schemas['UpdateCollection']>(ctx).metadata;
  if (metadata !== undefined && metadata !== null) {
    if (!isObject(metadata)) throw formatError('metadata: expected an object');
    // lib/collection/src/collection/collection_ops.rs update_metadata: merged into existing metadata.
    if (c.metadata === undefined) c.metadata = structuredClone(metadata);
    else mergeInto(c.metadata, metadata);
  }
  return true;
});
on('DELETE', '/collections/:name', (ctx) => {
  const name = ctx.params.name as string;
  checkName(name, false);
  const c = ctx.state.collections.get(name);
  c?.dispose();
  return ctx.state.collections.delete(name);
});

on('PUT', '/collections/:name/vectors/:vector', (ctx) => {
  const c = collection(ctx);
  const name = ctx.params.vector as string;
  const config = body<Schemas['VectorNameConfig']>(ctx);
  addVectorName(c, name, config);
  return write(ctx, c, () => undefined);
});
on('DELETE', '/collections/:name/vectors/:vector', (ctx) => {
  const c = collection(ctx);
  const name = ctx.params.vector as string;
  // lib/collection/src/collection/vector_name_schema.rs remove_vector_from_config: absent names are a no-op.
  c.schema.dense.delete(name);
  c.schema.sparse.delete(name);
  for (const point of c.points.values()) point.vectors.delete(name);
  return write(ctx, c, () => undefined);
});

/** lib/collection/src/collection/vector_name_schema.rs add_vector_to_config: same config is a no-op. */
function addVectorName(c: Collection, name: string, config: Schemas['VectorNameConfig']): void {
  const { dense, sparse } = c.schema;
  if ('dense' in config) {
    const params = parseVectorParams(config.dense, 'dense');
    const old = dense.get(name);
    if (old !== undefined) {
      if (old.size !== params.size || old.distance !== params.distance) throw badInput(`Vector \`${name}\` already exists with a different configuration`);
      return;
    }
    if (sparse.has(name)) throw badInput(`Vector \`${name}\` already exists as a sparse vector`);
    dense.set(name, { size: params.size, distance: params.distance });
  } else if ('sparse' in config) {
    const params = parseSparseParams(config.sparse, 'sparse');
    const old = sparse.get(name);
    if (old !== undefined) {
      if ((old.modifier ?? null) !== (params.modifier ?? null)) throw badInput(`Sparse vector \`${name}\` already exists with a different configuration`);
      return;
    }
    if (dense.has(name)) throw badInput(`Vector \`${name}\` already exists as a dense vector`);
    sparse.set(name, params.modifier ? { modifier: params.modifier } : {});
  } else {
    throw formatError('expected `dense` or `sparse`');
  }
}

on('PUT', '/collections/:name/index', (ctx) => {
  const c = collection(ctx);
  const { field_name, field_schema } = body<Schemas['CreateFieldIndex']>(ctx);
  c.createPayloadIndex(field_name, field_schema);
  return write(ctx, c, () => undefined);
});
on('DELETE', '/collections/:name/index/:field', (ctx) => {
  const c = collection(ctx);
  c.payloadIndexes.delete(ctx.params.field as string);
  return write(ctx, c, () => undefined);
});

on('PUT', '/collections/:name/points', (ctx) => {
  const c = collection(ctx);
  return write(ctx, c, updates.prepareUpsert(c, body(ctx)));
});
on('POST', '/collections/:name/points', (ctx) => retrieve(collection(ctx), body(ctx)));
on('POST', '/collections/:name/points/delete', (ctx) => {
  const c = collection(ctx);
  return write(ctx, c, updates.prepareDelete(c, body(ctx)));
});
on('POST', '/collections/:name/points/payload', (ctx) => {
  const c = collection(ctx);
  return write(ctx, c, updates.prepareSetPayload(c, body(ctx), false));
});
on('PUT', '/collections/:name/points/payload', (ctx) => {
  const c = collection(ctx);
  return write(ctx, c, updates.prepareSetPayload(c, body(ctx), true));
});
on('POST', '/collections/:name/points/payload/delete', (ctx) => {
  const c = collection(ctx);
  return write(ctx, c, updates.prepareDeletePayload(c, body(ctx)));
});
on('POST', '/collections/:name/points/payload/clear', (ctx) => {
  const c = collection(ctx);
  return write(ctx, c, updates.prepareClearPayload(c, body(ctx)));
});
on('PUT', '/collections/:name/points/vectors', (ctx) => {
  const c = collection(ctx);
  return write(ctx, c, updates.prepareUpdateVectors(c, body(ctx)));
});
on('POST', '/collections/:name/points/vectors/delete', (ctx) => {
  const c = collection(ctx);
  return write(ctx, c, updates.prepareDeleteVectors(c, body(ctx)));
});
on('POST', '/collections/:name/points/batch', (ctx) => {
  const c = collection(ctx);
  const { operations } = body<Schemas['UpdateOperations']>(ctx);
  if (!Array.isArray(operations)) throw formatError('operations: expected a list');
  const prepared = operations.map((op) => updates.prepareBatchOperation(c, op));
  return prepared.map((apply) => write(ctx, c, apply));
});
on('POST', '/collections/:name/points/scroll', (ctx) => scroll(collection(ctx), body(ctx)));
on('POST', '/collections/:name/points/count', (ctx) => count(collection(ctx), body(ctx)));
on('POST', '/collections/:name/facet', (ctx) => facet(collection(ctx), body(ctx)));
on('POST', '/collections/:name/points/query', (ctx) => runQuery(collection(ctx), body(ctx)));
on('POST', '/collections/:name/points/query/batch', (ctx) => {
  const c = collection(ctx);
  const { searches } = body<Schemas['QueryRequestBatch']>(ctx);
  if (!Array.isArray(searches)) throw formatError('searches: expected a list');
  return searches.map((search) => runQuery(c, search));
});

