import { createHash } from 'node:crypto';
import { ValidationError } from '../errors.js';

/**
 * How a LangGraph namespace maps onto memstrate (README, "LangGraph"):
 *
 * - `namespace[0]` is the agent id: the item is one of that agent's memories (so erasing the agent
 *   erases its items, and `mem.semantic.list({ agentId })` shows them);
 * - the rest of the namespace is the memory's scope, joined with `/` (`langgraph` when empty);
 * - the item's (namespace, key) is the memory's natural key, `langgraph:` + the SHA-256 of the JSON
 *   array [...namespace, key] (any length of namespace and key fits the 256-character key limit);
 * - the metadata holds the item under `value` and the LangGraph bookkeeping under `langgraph`:
 *   the exact namespace and key, the prefixes of the namespace's path (for prefix search inside the
 *   backend), whether it is indexed, when it was last put, and its ttl in minutes.
 */
export const BACKEND = 'langgraph';
export const ROOT_SCOPE = 'langgraph';
const SCOPE_LENGTH = 128;

export type Namespace = readonly string[];

export function fail(message: string): never {
  throw new ValidationError(message, { backend: BACKEND });
}

/** A namespace of at least `min` labels: non-empty strings without `.` (LangGraph's rule). */
export function checkNamespace(field: string, value: unknown, min: number): string[] {
  if (!Array.isArray(value)) fail(`${field} must be an array of strings`);
  if (value.length < min) fail(`${field} must have at least ${min} label${min === 1 ? '' : 's'}`);
  value.forEach((label, i) => {
    if (typeof label !== 'string' || label.length === 0) fail(`${field}[${i}] must be a non-empty string`);
    if (label.includes('.')) fail(`${field}[${i}] must not contain a period ('.')`);
  });
  return value as string[];
}

/** The memory scope of a namespace: its path after the agent, joined with `/`. */
export function scopeOf(namespace: Namespace): string {
  const path = namespace.slice(1);
  const scope = path.length === 0 ? ROOT_SCOPE : path.join('/');
  if (scope.length > SCOPE_LENGTH) fail(`namespace ${JSON.stringify(namespace)}: its path after the agent id joins to more than ${SCOPE_LENGTH} characters (the memory scope)`);
  return scope;
}

/** The encoding of a path (namespace after the agent) that prefix search matches on. */
export const pathCode = (path: Namespace): string => JSON.stringify(path);

/** Every prefix of the namespace's path, shortest first (`[]` included: every item carries it). */
export function prefixCodes(namespace: Namespace): string[] {
  const path = namespace.slice(1);
  return Array.from({ length: path.length + 1 }, (_, n) => pathCode(path.slice(0, n)));
}

/** The item's identity hash: the same for the same (namespace, key), different otherwise. */
export function itemHash(namespace: Namespace, key: string): string {
  return createHash('sha256').update(JSON.stringify([...namespace, key])).digest('hex');
}

export const naturalKey = (hash: string): string => `langgraph:${hash}`;

/** Code-point order of two namespaces, label by label (a shorter prefix first). */
export function compareNamespaces(a: Namespace, b: Namespace): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.length - b.length;
}
