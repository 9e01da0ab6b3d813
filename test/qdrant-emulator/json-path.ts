import { formatError } from './errors.js';

/** Payload key paths: `a.b`, `a[].b` (every element), `a[0].b` (one element). */
export type PathItem = { key: string } | { index: number } | { wildcard: true };
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function parsePath(path: string): PathItem[] {
  const items: PathItem[] = [];
  for (const part of path.split('.')) {
    const match = /^([^[\]]*)((?:\[\d*\])*)$/.exec(part);
    if (match === null) throw formatError(`invalid payload key path ${path}`);
    if (match[1] !== '') items.push({ key: match[1] ?? '' });
    for (const bracket of (match[2] ?? '').match(/\[\d*\]/g) ?? []) {
      const inner = bracket.slice(1, -1);
      items.push(inner === '' ? { wildcard: true } : { index: Number(inner) });
    }
  }
  return items;
}

export const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every value found at the path; an array at the end of the path is one value (not flattened). */
export function valuesAt(payload: JsonObject, path: string): Json[] {
  const out: Json[] = [];
  const walk = (items: PathItem[], value: Json | undefined): void => {
    if (value === undefined) return;
    const [head, ...rest] = items;
    if (head === undefined) {
      out.push(value);
    } else if ('key' in head) {
      if (isObject(value)) walk(rest, value[head.key]);
    } else if ('index' in head) {
      if (Array.isArray(value)) walk(rest, value[head.index]);
    } else if (Array.isArray(value)) {
      for (const element of value) walk(rest, element);
    }
  };
  walk(parsePath(path), payload);
  return out;
}

/** Removes the value at a path of plain keys (used for delete_payload and payload `exclude`). */
export function removeAt(payload: JsonObject, path: string): void {
  const items = parsePath(path);
  const remove = (value: Json | undefined, rest: PathItem[]): void => {
    const [head, ...tail] = rest;
    if (head === undefined || value === undefined) return;
    if ('key' in head && isObject(value)) {
      if (tail.length === 0) delete value[head.key];
      else remove(value[head.key], tail);
    } else if ('index' in head && Array.isArray(value)) {
      if (tail.length === 0) value.splice(head.index, 1);
      else remove(value[head.index], tail);
    } else if ('wildcard' in head && Array.isArray(value)) {
      if (tail.length === 0) value.length = 0;
      else for (const element of value) remove(element, tail);
    }
  };
  remove(payload, items);
}

/** Copies the value at a path of plain keys into `target` at the same path (payload `include`). */
export function copyAt(source: JsonObject, target: JsonObject, path: string): void {
  const keys = path.split('.');
  let from: Json | undefined = source;
  let to: JsonObject = target;
  for (const [i, key] of keys.entries()) {
    if (!isObject(from) || !(key in from)) return;
    from = from[key];
    if (i === keys.length - 1) {
      to[key] = structuredClone(from ?? null);
    } else {
      const next: Json | undefined = to[key];
      if (!isObject(next)) to[key] = {};
      to = to[key] as JsonObject;
    }
  }
}

/**
 * Merges top-level keys of `source` into `dest`; a null value removes the key.
 * Checked against lib/segment/src/common/utils.rs merge_map.
 */
export function mergeInto(dest: JsonObject, source: JsonObject): void {
  for (const [key, value] of Object.entries(source)) {
    if (value === null) delete dest[key];
    else dest[key] = structuredClone(value);
  }
}

/** set_payload with `key`: merge `source` into the object at the path, creating objects on the way. */
export function mergeAtPath(dest: JsonObject, path: string, source: JsonObject): void {
  let target: JsonObject = dest;
  for (const key of path.split('.')) {
    const next = target[key];
    if (!isObject(next)) target[key] = {};
    target = target[key] as JsonObject;
  }
  mergeInto(target, source);
}
