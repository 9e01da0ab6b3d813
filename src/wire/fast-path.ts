/**
 * Fast paths in front of a few hot zod schemas (the recall request and its answer). zod stays the
 * definition — of the OpenAPI document, of every error message, of every input the fast path is not
 * sure about — the fast path only short-cuts the common, plainly valid case:
 *
 *   a fast check returns the parsed value ONLY when zod would accept the input and output that very
 *   value; for anything else (an unknown or undefined-valued key, a filter, a value of the wrong
 *   type or range, …) it returns undefined and zod parses as before.
 *
 * So a fast check may be conservative (fall back more often than needed) but never more lenient;
 * test/unit/wire-fast-path.test.ts holds each one against its schema on valid and mutated inputs.
 *
 * Why: measured inside `memstrate serve` on a 10k × 384 recall (load ~4 on 2 cores), zod took
 * ~0.12 ms p50 on the gateway (RecallQuery: a strictObject and a transform) and ~0.11 ms on the
 * client (RecallResponse) — the fast checks take a few µs each.
 */
import type { z } from 'zod';

const fastChecks = new WeakMap<z.ZodType, (value: unknown) => unknown>();

/** Puts `check` in front of `schema` (see above for what it must guarantee). Returns the schema. */
export function withFastPath<S extends z.ZodType>(schema: S, check: (value: unknown) => z.output<S> | undefined): S {
  fastChecks.set(schema, check);
  return schema;
}

/** `schema.safeParse(value)`, through the schema's fast check first when it has one. */
export function safeParse<S extends z.ZodType>(schema: S, value: unknown): z.ZodSafeParseResult<z.output<S>> {
  const fast = fastChecks.get(schema);
  if (fast !== undefined) {
    const out = fast(value);
    if (out !== undefined) return { success: true, data: out as z.output<S> } as z.ZodSafeParseResult<z.output<S>>;
  }
  return schema.safeParse(value) as z.ZodSafeParseResult<z.output<S>>;
}

// ── building blocks (each answers exactly what the zod schema it names accepts) ───────────────

/** A plain object (not null, not an array, prototype Object or null) with no undefined-valued key. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Every own key of `value` is in `known` and none holds undefined. */
export function onlyKnownKeys(value: Record<string, unknown>, known: ReadonlySet<string>): boolean {
  for (const key in value) {
    if (key === '__proto__' || !Object.prototype.hasOwnProperty.call(value, key)) return false;
    if (!known.has(key) || value[key] === undefined) return false;
  }
  // Symbol keys: zod ignores them, but an object carrying them is not "plainly valid".
  return Object.getOwnPropertySymbols(value).length === 0;
}

/** z.number(): a finite number. */
export const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
/** z.int(): a safe integer. */
export const isInt = (v: unknown): v is number => Number.isSafeInteger(v);
/** EpochMs: z.int().min(0). */
export const isEpochMs = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
/** z.array(z.number()) (no length bounds). */
export function isNumberArray(v: unknown): v is number[] {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) if (!isNumber(v[i])) return false;
  return true;
}

/** z.json(): null, a string, a finite number, a boolean, or an array / plain object of JSON values. */
export function isJsonValue(v: unknown, depth = 0): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (depth > 64 || typeof v !== 'object') return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!isJsonValue(v[i], depth + 1)) return false;
    return true;
  }
  if (!isPlainObject(v) || Object.getOwnPropertySymbols(v).length > 0) return false;
  for (const key in v) {
    // `__proto__` (an own key JSON.parse can make) is left to zod.
    if (key === '__proto__' || !Object.prototype.hasOwnProperty.call(v, key) || !isJsonValue(v[key], depth + 1)) return false;
  }
  return true;
}

/** What the fast check alone answers (undefined: it leaves the input to zod). For tests. */
export function fastCheckOnly(schema: z.ZodType, value: unknown): unknown {
  return fastChecks.get(schema)?.(value);
}
