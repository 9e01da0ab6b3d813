/**
 * The typed filter grammar of semantic memory (`MemoryFilter.where`) and the AST core turns every
 * filter into. Callers write a FilterExpr; backends compile only the FilterNode AST (see
 * src/core/filter-parse.ts for the rules and src/core/filter-eval.ts for the reference semantics).
 */

/** A value a condition compares with: a string, a finite number or a boolean (never null). */
export type FilterScalar = string | number | boolean;

/** One or more operators on one path, all of which must hold. */
export interface FilterCondition {
  $eq?: FilterScalar;
  $ne?: FilterScalar;
  $gt?: number;
  $gte?: number;
  $lt?: number;
  $lte?: number;
  /** 1..100 values. */
  $in?: readonly FilterScalar[];
  /** 1..100 values. */
  $nin?: readonly FilterScalar[];
  $exists?: boolean;
}

export const FILTER_OPERATORS = ['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$exists'] as const;
export type FilterOperator = (typeof FILTER_OPERATORS)[number];

/**
 * A clause: `{ <path>: Condition | Scalar, … }`, every key must hold (a bare scalar is `$eq`).
 * Paths: `source`, `scope`, `confidence`, `createdAt`, or `metadata.<seg>(.<seg>)*`
 * (seg = [A-Za-z0-9_-]{1,64}, at most 8 segments).
 */
export interface FilterClause {
  [path: string]: FilterCondition | FilterScalar;
}

export type FilterExpr =
  | { $and: readonly FilterExpr[] }
  | { $or: readonly FilterExpr[] }
  | { $not: FilterExpr }
  | FilterClause;

/** The built-in record fields a filter can address. */
export const FILTER_FIELDS = ['source', 'scope', 'confidence', 'createdAt'] as const;
export type FilterField = (typeof FILTER_FIELDS)[number];

/** Where a leaf looks: a built-in field, or a metadata path as segments (never a dotted string). */
export type FilterPath = { field: FilterField } | { metadata: readonly string[] };

export type FilterRangeOp = 'gt' | 'gte' | 'lt' | 'lte';

/**
 * The normalised filter every backend compiles. Negated operators are `not` nodes ($ne = not eq,
 * $nin = not in, $exists: false = not exists). Built-in fields only carry values of their own type
 * (core folds the rest to `const`). `in` values are distinct.
 */
export type FilterNode =
  | { kind: 'and'; of: readonly FilterNode[] }
  | { kind: 'or'; of: readonly FilterNode[] }
  | { kind: 'not'; of: FilterNode }
  | { kind: 'const'; value: boolean }
  | { kind: 'eq'; path: FilterPath; value: FilterScalar }
  | { kind: 'in'; path: FilterPath; values: readonly FilterScalar[] }
  | { kind: 'range'; path: FilterPath; op: FilterRangeOp; value: number }
  | { kind: 'exists'; path: FilterPath };
