/**
 * Building blocks of the HTTP wire's request and response schemas, shared by the gateway
 * (src/server validates requests and builds its OpenAPI document with them) and the `http` semantic
 * backend (src/backends/http checks the gateway's answers with them). Every schema the OpenAPI
 * document names is registered in `components` with its id.
 *
 * Each request schema is checked against its contract type at compile time
 * (`satisfies z.ZodType<Contract>`): what the schema parses to must be assignable to what the store
 * takes, so a route hands it over without a cast and a drift between the two is a type error.
 * Response schemas are checked the same way against the type the store returns.
 */
import { z } from 'zod';
import type * as C from '../contracts/types.js';
import { LIMITS } from '../core/limits.js';

/** Named schemas: they become `#/components/schemas/<id>` in the OpenAPI document. */
export const components = z.registry<{ id: string; description?: string }>();

/** Registers `schema` under `id` (and a description) and returns it. */
export function named<S extends z.ZodType>(id: string, schema: S, description?: string): S {
  components.add(schema, description === undefined ? { id } : { id, description });
  return schema;
}

export const JsonValue = named('JsonValue', z.json() satisfies z.ZodType<C.JsonValue>, 'Any JSON value.');
export const JsonObject = named('JsonObject', z.record(z.string(), JsonValue) satisfies z.ZodType<C.JsonObject>, 'A JSON object.');
/**
 * The extra fields of an open object whose contract says they are JSON (an agent registry entry):
 * accepted as they are, exactly as a loose object keeps them (a request body is parsed JSON, so
 * they are JSON values), and documented as any value.
 */
export const JsonField = z.custom<C.JsonValue>();

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
        'FORBIDDEN',
        'RATE_LIMITED',
        'PAYLOAD_TOO_LARGE',
      ]),
      message: z.string(),
      problems: z.array(z.string()).optional(),
      seq: z.int().optional(),
    }),
  }),
  'Every error response: a stable code (see MemoryError) and a message; never a stack trace.',
);
