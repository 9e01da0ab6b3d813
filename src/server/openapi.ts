/**
 * The OpenAPI 3.1 document of the gateway, generated from the route table and the very zod schemas
 * that validate requests (`z.toJSONSchema`; JSON Schema 2020-12 is OpenAPI 3.1's dialect).
 */
import { z } from 'zod';
import type { AnyRoute } from './route.js';
import { components } from '../wire/common.js';

type Json = Record<string, unknown>;

const STATUS_TEXT: Record<number, string> = {
  400: 'VALIDATION (or CONFIG_INVALID): the request is malformed; `problems` lists every issue.',
  401: 'UNAUTHORIZED: missing or wrong bearer token; nothing was touched.',
  404: 'NOT_FOUND',
  409: 'CONFLICT or LEASE_LOST',
  413: 'PAYLOAD_TOO_LARGE: the body exceeds the server\'s body limit.',
  422: 'CHAIN_INTEGRITY: the audit chain does not verify.',
  500: 'INTERNAL',
  501: 'NOT_SUPPORTED by the configured backend.',
  503: 'BACKEND_UNAVAILABLE',
};

const ERROR_REF = { $ref: '#/components/schemas/Error' };

/** Every registered schema as `components.schemas`, references pointing inside the document. */
function componentSchemas(): Record<string, Json> {
  const out = z.toJSONSchema(components, {
    io: 'input',
    unrepresentable: 'any',
    uri: (id) => `#/components/schemas/${id}`,
  }) as { schemas: Record<string, Json> };
  const schemas: Record<string, Json> = {};
  for (const [id, schema] of Object.entries(out.schemas)) {
    const { $schema: _s, $id: _i, ...rest } = schema;
    schemas[id] = rest;
  }
  return schemas;
}

/**
 * A `$ref` for a registered schema, else the schema inlined. Parameters are described by the value
 * they parse to (`?limit=20` is an integer in OpenAPI terms), bodies by what is sent.
 */
function schemaRef(schema: z.ZodType, io: 'input' | 'output' = 'input'): Json {
  const meta = components.get(schema);
  if (meta) return { $ref: `#/components/schemas/${meta.id}` };
  const { $schema: _s, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
  return rest;
}

function parameters(schema: z.ZodType | undefined, location: 'path' | 'query'): Json[] {
  if (schema === undefined) return [];
  const shape = (schema as unknown as { shape?: Record<string, z.ZodType> }).shape;
  if (!shape) throw new Error(`${location} schema must be an object schema`);
  return Object.entries(shape).map(([name, field]) => {
    const json = schemaRef(field, 'output');
    const description = typeof json['description'] === 'string' ? json['description'] : undefined;
    return {
      name,
      in: location,
      required: location === 'path' || !field.safeParse(undefined).success,
      ...(description ? { description } : {}),
      schema: json,
    };
  });
}

function operation(route: AnyRoute): Json {
  const params = [...parameters(route.params, 'path'), ...parameters(route.query, 'query')];
  const responses: Json = {};
  const success = route.status === 204 || route.response === undefined
    ? { description: route.responseDescription ?? 'Done (no body).' }
    : { description: route.responseDescription ?? 'Success.', content: { 'application/json': { schema: schemaRef(route.response) } } };
  responses[String(route.status)] = success;
  if (route.unchangedStatus !== undefined) {
    responses[String(route.unchangedStatus)] = { ...success, description: route.unchangedDescription ?? 'Nothing new was created (same body).' };
  }
  const errors = new Set<number>(route.errors ?? []);
  if (route.params || route.query || route.body) errors.add(400);
  if (route.body) errors.add(413);
  if (!route.public) errors.add(401);
  errors.add(500);
  for (const status of [...errors].sort((a, b) => a - b)) {
    responses[String(status)] = { description: STATUS_TEXT[status] ?? 'Error.', content: { 'application/json': { schema: ERROR_REF } } };
  }
  return {
    operationId: route.operationId,
    tags: [route.tag],
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(route.body
      ? { requestBody: { required: !route.bodyOptional, content: { 'application/json': { schema: schemaRef(route.body) } } } }
      : {}),
    responses,
    ...(route.public ? { security: [] } : {}),
    // What a scoped token must grant (src/server/access.ts): public, read, write, admin; `owner` = checked on the record's agent.
    'x-memstrate-access': accessLabel(route.access),
  };
}

/** Builds the OpenAPI 3.1 document for `routes`. */
function accessLabel(access: AnyRoute['access']): string {
  if ('public' in access) return 'public';
  if (access.scope === 'admin') return 'admin';
  return 'owner' in access ? `${access.scope} (owner)` : access.scope;
}

export function buildOpenApiDocument(routes: readonly AnyRoute[]): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of routes) {
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const item = (paths[path] ??= {});
    item[route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'memstrate gateway',
      version: '1.0.0',
      description:
        'The memory substrate over HTTP: OpenFang\'s memory-api wire shapes (`/health`, `/memory/store`, ' +
        '`/memory/search`) and the full API under `/v1/`. Errors are `{ "error": { "code", "message" } }` ' +
        'with the HTTP status of the code (VALIDATION 400, NOT_FOUND 404, CONFLICT/LEASE_LOST 409, ' +
        'CHAIN_INTEGRITY 422, NOT_SUPPORTED 501, BACKEND_UNAVAILABLE 503, INTERNAL 500).',
    },
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'The token from the env var named by [server] token_env (every agent, every scope), or a scoped token of [[server.tokens]]: x-memstrate-access on each operation says what it needs.' } },
      schemas: componentSchemas(),
    },
    security: [{ bearerAuth: [] }],
    paths,
  };
}
