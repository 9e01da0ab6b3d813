/** Random metadata and random filter expressions for the filter property test (seeded: reproducible). */
import type { FilterCondition, FilterExpr, FilterScalar, JsonObject, JsonValue, MemorySource } from '../index.js';

export interface FilterGen {
  metadata(): JsonObject;
  expr(depth?: number): FilterExpr;
  pick<T>(list: readonly T[]): T;
  int(n: number): number;
}

const KEYS = ['a', 'b', 'n', 'f', 'flag', 'tags', 'obj', 's-k', 'x_1'] as const;
const STRINGS = ['x', 'y', 'z', '1', '', 'X'] as const;
const NUMBERS = [-3, -1, 0, 1, 2, 3, 0.5, 1.25, -0.75, 2.5, 1e-7] as const;
export const GEN_SOURCES: readonly MemorySource[] = ['observation', 'document', 'conversation'];
export const GEN_SCOPES = ['episodic', 'semantic', 'x'] as const;

export function filterGen(next: () => number, createdAt: readonly number[]): FilterGen {
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)] as T;
  const scalar = (): FilterScalar => {
    const r = next();
    return r < 0.4 ? pick(STRINGS) : r < 0.8 ? pick(NUMBERS) : next() < 0.5;
  };
  const value = (depth: number): JsonValue => {
    const r = next();
    if (r < 0.45) return scalar();
    if (r < 0.55) return null;
    if (r < 0.62) return [];
    if (r < 0.85) {
      return Array.from({ length: 1 + int(3) }, () => (next() < 0.15 ? (next() < 0.5 ? [scalar()] : { a: scalar() }) : scalar()));
    }
    if (depth >= 2) return scalar();
    const obj: JsonObject = {};
    for (const k of ['a', 'b', 'c']) if (next() < 0.6) obj[k] = value(depth + 1);
    return obj;
  };
  const metadata = (): JsonObject => {
    const out: JsonObject = {};
    for (const k of KEYS) if (next() < 0.6) out[k] = value(0);
    return out;
  };

  const metaPath = (): string => {
    const r = next();
    if (r < 0.7) return `metadata.${pick(KEYS)}`;
    if (r < 0.9) return `metadata.${pick(KEYS)}.${pick(['a', 'b', 'c'])}`;
    if (r < 0.97) return `metadata.${pick(KEYS)}.${pick(['a', 'b'])}.${pick(['a', 'b', 'c'])}`;
    return 'metadata.missing';
  };
  const number = (): number => pick(NUMBERS);
  const condition = (path: string): FilterCondition | FilterScalar => {
    const field = path.startsWith('metadata.') ? undefined : path;
    const val = (): FilterScalar =>
      field === 'source'
        ? next() < 0.9 ? pick(GEN_SOURCES) : scalar()
        : field === 'scope'
          ? next() < 0.9 ? pick(GEN_SCOPES) : scalar()
          : field === 'confidence'
            ? next() < 0.9 ? pick([0, 0.2, 0.5, 0.9, 1]) : scalar()
            : field === 'createdAt'
              ? next() < 0.9 ? pick(createdAt) : scalar()
              : scalar();
    const bound = (): number =>
      field === 'confidence' ? pick([0, 0.2, 0.35, 0.5, 0.9, 1]) : field === 'createdAt' ? pick(createdAt) + pick([-1, 0, 1]) : number();
    if (next() < 0.2) return val();
    const cond: FilterCondition = {};
    const ops = 1 + (next() < 0.25 ? 1 : 0);
    for (let i = 0; i < ops; i++) {
      const op = pick(['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$exists', '$eq', '$in'] as const);
      if (op === '$eq' || op === '$ne') cond[op] = val();
      else if (op === '$in' || op === '$nin') cond[op] = Array.from({ length: 1 + int(4) }, val);
      else if (op === '$exists') cond[op] = next() < 0.5;
      else cond[op] = bound();
    }
    return cond;
  };
  const clause = (): FilterExpr => {
    const out: Record<string, FilterCondition | FilterScalar> = {};
    const n = 1 + (next() < 0.3 ? 1 : 0);
    for (let i = 0; i < n; i++) {
      const path = next() < 0.75 ? metaPath() : pick(['source', 'scope', 'confidence', 'createdAt']);
      out[path] = condition(path);
    }
    return out;
  };
  const expr = (depth = 0): FilterExpr => {
    const r = next();
    if (depth >= 2 || r < 0.4) return clause();
    if (r < 0.65) return { $and: Array.from({ length: 1 + int(3) }, () => expr(depth + 1)) };
    if (r < 0.88) return { $or: Array.from({ length: 1 + int(3) }, () => expr(depth + 1)) };
    return { $not: expr(depth + 1) };
  };
  return { metadata, expr, pick, int };
}
