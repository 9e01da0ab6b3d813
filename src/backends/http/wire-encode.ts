import type { Validator } from '../../core/validate.js';

const MAX_DEPTH = 64;
/** Where a typed array is a vector (sent as a number array): the `embedding` of an input, a query or a batch item. */
const VECTOR_PATH = /^(?:input|query|vector|inputs\.memories\[\d+\])\.embedding$/;

/**
 * JSON text of a request body. Typed-array vectors become number arrays; whatever JSON would
 * change silently — NaN and ±Infinity (→ null), `undefined` in an array (→ null), class instances
 * such as Date or Map (→ a string or `{}`), typed arrays other than vectors (→ an object) — or cannot hold
 * (bigint, functions, cycles) is a ValidationError, so the gateway sees exactly what the caller
 * gave. An `undefined` property is simply absent, as in any JSON client.
 *
 * One walk (copying only where a typed array is replaced), then a plain JSON.stringify: about a
 * third cheaper than a replacer function for a 384-dimension vector.
 */
export function encodeBody(field: string, value: unknown, v: Validator): string {
  return JSON.stringify(toWire(value, field, v, 0, new Set()));
}

function toWire(value: unknown, path: string, v: Validator, depth: number, seen: Set<object>): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'undefined':
      return value;
    case 'number':
      if (!Number.isFinite(value)) v.fail(`${path} is not a finite number`);
      return value;
    case 'object': {
      if (value === null) return null;
      if (ArrayBuffer.isView(value)) {
        if (!VECTOR_PATH.test(path)) v.fail(`${path} must be a plain JSON value, not a ${value.constructor.name}`);
        return vector(value, path, v);
      }
      if (depth >= MAX_DEPTH) v.fail(`${path} is nested deeper than ${MAX_DEPTH} levels`);
      if (seen.has(value)) v.fail(`${path} contains a cycle`);
      seen.add(value);
      if (Array.isArray(value)) {
        let out: unknown[] | undefined;
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          if (typeof item === 'number') {
            // The hot path (plain number[] vectors): no recursion, no path string.
            if (!Number.isFinite(item)) v.fail(`${path}[${i}] is not a finite number`);
            continue;
          }
          if (item === undefined) v.fail(`${path}[${i}] is undefined`);
          const wired = toWire(item, `${path}[${i}]`, v, depth + 1, seen);
          if (wired !== item) (out ??= value.slice())[i] = wired;
        }
        seen.delete(value);
        return out ?? value;
      }
      {
        let out: Record<string, unknown> | undefined;
        const proto: unknown = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) v.fail(`${path} must be a plain JSON object`);
        for (const key of Object.keys(value)) {
          const item = (value as Record<string, unknown>)[key];
          const wired = toWire(item, `${path}.${key}`, v, depth + 1, seen);
          if (wired !== item) (out ??= { ...(value as Record<string, unknown>) })[key] = wired;
        }
        seen.delete(value);
        return out ?? value;
      }
    }
    default:
      return v.fail(`${path} cannot be sent as JSON (${typeof value})`);
  }
}

/** A typed array as a plain array of finite numbers. */
function vector(view: ArrayBufferView, path: string, v: Validator): number[] {
  if (view instanceof DataView || view instanceof BigInt64Array || view instanceof BigUint64Array) v.fail(`${path} must be an array of numbers`);
  const out = Array.from(view as unknown as ArrayLike<number>);
  for (let i = 0; i < out.length; i++) if (!Number.isFinite(out[i])) v.fail(`${path}[${i}] is not a finite number`);
  return out;
}
