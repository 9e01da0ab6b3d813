import { ValidationError } from '../errors.js';
import type { JsonObject, JsonValue } from '../contracts/types.js';
import { LIMITS } from './limits.js';

/**
 * Boundary checks shared by every backend, so bad input gets the same ValidationError everywhere
 * and nothing is written.
 */
export class Validator {
  constructor(private readonly backend: string) {}

  fail(message: string): never {
    throw new ValidationError(message, { backend: this.backend });
  }

  /** Rejects every key of `value` outside `allowed`, naming it (a typo is never silently dropped). */
  knownKeys(prefix: string, value: object, allowed: readonly string[]): void {
    const unknown = Object.keys(value).filter((k) => !allowed.includes(k) && (value as Record<string, unknown>)[k] !== undefined);
    if (unknown.length > 0) this.fail(`${unknown.map((k) => `${prefix}${k}`).join(', ')}: unknown key${unknown.length > 1 ? 's' : ''} (known: ${allowed.join(', ')})`);
  }

  id(field: string, value: unknown): string {
    if (typeof value !== 'string' || value.length === 0) this.fail(`${field} must be a non-empty string`);
    if (value.length > LIMITS.idLength) this.fail(`${field} is longer than ${LIMITS.idLength} characters`);
    this.storable(field, value);
    return value;
  }

  text(field: string, value: unknown, maxBytes: number, options: { allowEmpty?: boolean } = {}): string {
    if (typeof value !== 'string') this.fail(`${field} must be a string`);
    if (!options.allowEmpty && value.length === 0) this.fail(`${field} must not be empty`);
    if (value.length > maxBytes || Buffer.byteLength(value, 'utf8') > maxBytes) {
      this.fail(`${field} is larger than ${maxBytes} bytes`);
    }
    this.storable(field, value);
    return value;
  }

  /**
   * Text every backend stores unchanged: no U+0000 (PostgreSQL rejects it) and no lone surrogate
   * (not valid UTF-8; engines would store it lossily, each differently).
   */
  storable(field: string, value: string): void {
    if (value.includes('\0')) this.fail(`${field} contains a NUL character (U+0000)`);
    if (!value.isWellFormed()) this.fail(`${field} contains a lone surrogate (not valid Unicode)`);
  }

  optionalText(field: string, value: unknown, maxBytes: number): string | undefined {
    if (value === undefined || value === null) return undefined;
    return this.text(field, value, maxBytes);
  }

  int(field: string, value: unknown, min: number, max: number): number {
    if (typeof value !== 'number' || !Number.isInteger(value)) this.fail(`${field} must be an integer`);
    if (value < min || value > max) this.fail(`${field} must be between ${min} and ${max}`);
    return value;
  }

  number(field: string, value: unknown, min: number, max: number): number {
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(`${field} must be a finite number`);
    if (value < min || value > max) this.fail(`${field} must be between ${min} and ${max}`);
    return value;
  }

  timestamp(field: string, value: unknown): number {
    return this.int(field, value, 0, 8_640_000_000_000_000);
  }

  oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      this.fail(`${field} must be one of ${allowed.join(', ')}`);
    }
    return value as T;
  }

  /** Serialises a JSON value, rejecting what JSON cannot represent faithfully. */
  json(field: string, value: unknown, maxBytes: number): string {
    checkJson(value, field, this, new Set(), 0);
    const text = JSON.stringify(value);
    if (text.length > maxBytes || Buffer.byteLength(text, 'utf8') > maxBytes) this.fail(`${field} is larger than ${maxBytes} bytes`);
    return text;
  }

  jsonObject(field: string, value: unknown, maxBytes: number): { object: JsonObject; text: string } {
    if (value === undefined) return { object: {}, text: '{}' };
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(`${field} must be a JSON object`);
    return { object: value as JsonObject, text: this.json(field, value, maxBytes) };
  }
}

function checkJson(value: unknown, path: string, v: Validator, seen: Set<object>, depth: number): asserts value is JsonValue {
  if (depth > 64) v.fail(`${path} is nested deeper than 64 levels`);
  switch (typeof value) {
    case 'string':
      v.storable(path, value);
      return;
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) v.fail(`${path} contains a non-finite number`);
      return;
    case 'object': {
      if (value === null) return;
      if (seen.has(value)) v.fail(`${path} contains a cycle`);
      seen.add(value);
      if (Array.isArray(value)) {
        value.forEach((item, i) => checkJson(item, `${path}[${i}]`, v, seen, depth + 1));
      } else {
        const proto = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) v.fail(`${path} must be a plain JSON object`);
        for (const [key, item] of Object.entries(value)) {
          v.storable(`${path} key`, key);
          checkJson(item, `${path}.${key}`, v, seen, depth + 1);
        }
      }
      seen.delete(value);
      return;
    }
    default:
      v.fail(`${path} is not JSON (${typeof value})`);
  }
}
