/**
 * Building blocks of the gateway's request and response schemas. Every schema the OpenAPI document
 * names is registered in `components` with its id; the same zod objects validate the requests.
 */
import { z } from 'zod';
import { LIMITS } from '../core/limits.js';

/** Named schemas: they become `#/components/schemas/<id>` in the OpenAPI document. */
export const components = z.registry<{ id: string; description?: string }>();

/** Registers `schema` under `id` (and a description) and returns it. */
export function named<S extends z.ZodType>(id: string, schema: S, description?: string): S {
  components.add(schema, description === undefined ? { id } : { id, description });
  return schema;
}

export const JsonValue = named('JsonValue', z.json(), 'Any JSON value.');
export const JsonObject = named('JsonObject', z.record(z.string(), JsonValue), 'A JSON object.');

/** An id or agent id: a non-empty string (memstrate's own ids are UUIDs). */
export const Id = z.string().min(1).max(LIMITS.idLength);
/** Epoch milliseconds (UTC). */
export const EpochMs = z.int().min(0).describe('Epoch milliseconds (UTC).');
export const Vector = z.array(z.number()).min(1).max(LIMITS.maxDimensions).describe('A vector of the store\'s fixed dimension.');

/** An integer given in a query string (`?limit=20`), checked against min..max once parsed. */
export function intQuery(min: number, max: number, description?: string) {
  const schema = z
    .string()
    .regex(/^-?\d{1,16}$/, 'must be an integer')
    .transform(Number)
    .pipe(z.int().min(min).max(max));
  return description === undefined ? schema : schema.describe(description);
}

export const IdParams = z.strictObject({ id: Id });
export const AgentParams = z.strictObject({ agentId: Id });

export const IdResponse = named('IdResponse', z.object({ id: z.string() }), 'The id of what was created.');
export const DeletedResponse = named('DeletedResponse', z.object({ deleted: z.boolean() }), 'Whether something was removed.');
export const CountResponse = named('CountResponse', z.object({ deleted: z.int() }), 'How many were removed.');

export const ErrorBody = named(
  'Error',
  z.object({
    error: z.object({
      code: z.enum([
        'VALIDATION',
        'CONFIG_INVALID',
        'NOT_FOUND',
        'CONFLICT',
        'LEASE_LOST',
        'CHAIN_INTEGRITY',
        'NOT_SUPPORTED',
        'BACKEND_UNAVAILABLE',
        'INTERNAL',
        'UNAUTHORIZED',
        'PAYLOAD_TOO_LARGE',
      ]),
      message: z.string(),
      problems: z.array(z.string()).optional(),
      seq: z.int().optional(),
    }),
  }),
  'Every error response: a stable code (see MemoryError) and a message; never a stack trace.',
);
