import {
  FILTER_FIELDS,
  FILTER_OPERATORS,
  type FilterField,
  type FilterNode,
  type FilterPath,
  type FilterScalar,
} from '../contracts/memory-filter.js';
import { MEMORY_SOURCES, type MemoryFilter } from '../contracts/semantic-store.js';
import { LIMITS } from './limits.js';
import { Validator as ValidatorClass, type Validator } from './validate.js';

/**
 * The filter grammar, checked and normalised: every MemoryFilter (the legacy keys and `where`)
 * becomes one FilterNode AST, the only thing backends compile. Every mistake is a ValidationError
 * naming the exact place (`filter.where.$and[1]['metadata.x'].$gtt: unknown operator`).
 */

export const FILTER_LIMITS = {
  /** Expression objects, clause entries and operators in one `where`. */
  maxNodes: 64,
  /** Nesting of $and / $or / $not. */
  maxDepth: 8,
  maxInValues: 100,
  maxPathSegments: 8,
} as const;

/** A metadata path segment in `where` (legacy `metadata` keys are one segment of any text). */
export const PATH_SEGMENT = /^[A-Za-z0-9_-]{1,64}$/;

const FILTER_KEYS = ['source', 'scope', 'minConfidence', 'after', 'before', 'metadata', 'where'] as const;

const STRING_FIELDS: readonly FilterField[] = ['source', 'scope'];

const TRUE: FilterNode = { kind: 'const', value: true };
const FALSE: FilterNode = { kind: 'const', value: false };

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `['key']` with the key quoted, for error messages. */
const bracket = (key: string): string => `['${key.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}']`;

/** Parses and normalises a whole MemoryFilter (undefined = no filter). */
export function parseMemoryFilter(v: Validator, filter: MemoryFilter | undefined): FilterNode {
  if (filter === undefined) return TRUE;
  if (!isPlainObject(filter)) v.fail('filter must be an object');
  v.knownKeys('filter.', filter, FILTER_KEYS);
  const parts: FilterNode[] = [];
  if (filter.source !== undefined) parts.push(eq('source', v.oneOf('filter.source', filter.source, MEMORY_SOURCES)));
  if (filter.scope !== undefined) parts.push(eq('scope', v.text('filter.scope', filter.scope, LIMITS.scopeLength)));
  if (filter.minConfidence !== undefined) {
    parts.push({ kind: 'range', path: { field: 'confidence' }, op: 'gte', value: v.number('filter.minConfidence', filter.minConfidence, 0, 1) });
  }
  if (filter.after !== undefined) parts.push({ kind: 'range', path: { field: 'createdAt' }, op: 'gt', value: v.timestamp('filter.after', filter.after) });
  if (filter.before !== undefined) parts.push({ kind: 'range', path: { field: 'createdAt' }, op: 'lt', value: v.timestamp('filter.before', filter.before) });
  if (filter.metadata !== undefined) {
    if (!isPlainObject(filter.metadata)) v.fail('filter.metadata must be an object of scalar values');
    for (const [key, value] of Object.entries(filter.metadata)) {
      if (key.length === 0 || key.length > LIMITS.idLength) v.fail('filter.metadata keys must be 1..256 characters');
      v.storable(`filter.metadata key`, key);
      const path: FilterPath = { metadata: [key] };
      // A legacy null asks for "no value": missing, null or [] (the same as `$exists: false`).
      if (value === null) parts.push(not({ kind: 'exists', path }));
      else parts.push({ kind: 'eq', path, value: scalar(v, `filter.metadata${bracket(key)}`, value) });
    }
  }
  if (filter.where !== undefined) parts.push(new WhereParser(v).expr(filter.where, 'filter.where', 0));
  return and(parts);
}

function eq(field: FilterField, value: string): FilterNode {
  return { kind: 'eq', path: { field }, value };
}

function scalar(v: Validator, at: string, value: unknown): FilterScalar {
  if (value === null) v.fail(`${at}: null is not a filter value (use $exists)`);
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) v.fail(`${at}: must be a finite number`);
    return value;
  }
  if (typeof value === 'string') return v.text(at, value, LIMITS.textLength, { allowEmpty: true });
  v.fail(`${at}: must be a string, finite number or boolean`);
}

class WhereParser {
  private nodes = 0;
  constructor(private readonly v: Validator) {}

  private count(at: string): void {
    this.nodes += 1;
    if (this.nodes > FILTER_LIMITS.maxNodes) this.v.fail(`${at}: the filter has more than ${FILTER_LIMITS.maxNodes} nodes`);
  }

  expr(value: unknown, at: string, depth: number): FilterNode {
    if (!isPlainObject(value)) this.v.fail(`${at}: must be an object (a clause, $and, $or or $not)`);
    if (depth > FILTER_LIMITS.maxDepth) this.v.fail(`${at}: nested deeper than ${FILTER_LIMITS.maxDepth} levels`);
    this.count(at);
    const parts: FilterNode[] = [];
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined) continue;
      if (key === '$and' || key === '$or') {
        const place = `${at}.${key}`;
        if (!Array.isArray(item)) this.v.fail(`${place}: must be an array of expressions`);
        if (item.length === 0) this.v.fail(`${place}: must not be empty`);
        const of = item.map((e, i) => this.expr(e, `${place}[${i}]`, depth + 1));
        parts.push(key === '$and' ? and(of) : or(of));
      } else if (key === '$not') {
        parts.push(not(this.expr(item, `${at}.$not`, depth + 1)));
      } else if (key.startsWith('$')) {
        this.v.fail(`${at}.${key}: unknown operator (an expression is a clause, $and, $or or $not)`);
      } else {
        parts.push(this.clause(key, item, `${at}${bracket(key)}`));
      }
    }
    return and(parts);
  }

  private path(key: string, at: string): FilterPath {
    if ((FILTER_FIELDS as readonly string[]).includes(key)) return { field: key as FilterField };
    const segments = key.split('.');
    if (segments[0] === 'metadata' && segments.length >= 2) {
      const rest = segments.slice(1);
      if (rest.length > FILTER_LIMITS.maxPathSegments) this.v.fail(`${at}: a metadata path has at most ${FILTER_LIMITS.maxPathSegments} segments`);
      if (rest.every((s) => PATH_SEGMENT.test(s))) return { metadata: rest };
      this.v.fail(`${at}: metadata path segments must match [A-Za-z0-9_-]{1,64}`);
    }
    this.v.fail(`${at}: unknown path (known: ${FILTER_FIELDS.join(', ')}, metadata.<key>(.<key>)*)`);
  }

  private clause(key: string, item: unknown, at: string): FilterNode {
    const path = this.path(key, at);
    if (!isPlainObject(item)) {
      this.count(at);
      if (Array.isArray(item)) this.v.fail(`${at}: an array is not a filter value (use $in)`);
      return leaf(path, { kind: 'eq', path, value: scalar(this.v, at, item) });
    }
    const ops = Object.entries(item).filter(([, x]) => x !== undefined);
    if (ops.length === 0) this.v.fail(`${at}: a condition needs at least one operator`);
    const parts: FilterNode[] = [];
    for (const [op, operand] of ops) {
      const place = `${at}.${op}`;
      this.count(place);
      switch (op as (typeof FILTER_OPERATORS)[number]) {
        case '$eq':
        case '$ne': {
          const node = leaf(path, { kind: 'eq', path, value: scalar(this.v, place, operand) });
          parts.push(op === '$eq' ? node : not(node));
          break;
        }
        case '$gt':
        case '$gte':
        case '$lt':
        case '$lte': {
          if (typeof operand !== 'number' || !Number.isFinite(operand)) this.v.fail(`${place}: must be a finite number`);
          parts.push(leaf(path, { kind: 'range', path, op: op.slice(1) as 'gt', value: operand }));
          break;
        }
        case '$in':
        case '$nin': {
          if (!Array.isArray(operand)) this.v.fail(`${place}: must be an array of 1..${FILTER_LIMITS.maxInValues} values`);
          if (operand.length === 0 || operand.length > FILTER_LIMITS.maxInValues) {
            this.v.fail(`${place}: must hold 1..${FILTER_LIMITS.maxInValues} values`);
          }
          const values = operand.map((x, i) => scalar(this.v, `${place}[${i}]`, x));
          const node = leaf(path, { kind: 'in', path, values: distinct(values) });
          parts.push(op === '$in' ? node : not(node));
          break;
        }
        case '$exists': {
          if (typeof operand !== 'boolean') this.v.fail(`${place}: must be true or false`);
          const node = leaf(path, { kind: 'exists', path });
          parts.push(operand ? node : not(node));
          break;
        }
        default:
          this.v.fail(`${place}: unknown operator (known: ${FILTER_OPERATORS.join(', ')})`);
      }
    }
    return and(parts);
  }
}

function distinct(values: FilterScalar[]): FilterScalar[] {
  const out: FilterScalar[] = [];
  for (const x of values) if (!out.some((y) => y === x)) out.push(x);
  return out;
}

/**
 * Built-in fields are never absent and hold one type (source, scope: strings; confidence,
 * createdAt: numbers): a leaf whose value cannot match is folded to a constant here, so backends
 * never compare a column with a value of another type.
 */
function leaf(path: FilterPath, node: FilterNode): FilterNode {
  if (!('field' in path)) return node;
  const wanted = STRING_FIELDS.includes(path.field) ? 'string' : 'number';
  switch (node.kind) {
    case 'exists':
      return TRUE;
    case 'eq':
      return typeof node.value === wanted ? node : FALSE;
    case 'range':
      return wanted === 'number' ? node : FALSE;
    case 'in': {
      const values = node.values.filter((x) => typeof x === wanted);
      return values.length === 0 ? FALSE : { ...node, values };
    }
    default:
      return node;
  }
}

/** AND of the parts, with constants folded and nested ANDs flattened. */
export function and(parts: readonly FilterNode[]): FilterNode {
  const out: FilterNode[] = [];
  for (const p of parts) {
    if (p.kind === 'const') {
      if (!p.value) return FALSE;
    } else if (p.kind === 'and') out.push(...p.of);
    else out.push(p);
  }
  return out.length === 0 ? TRUE : out.length === 1 ? (out[0] as FilterNode) : { kind: 'and', of: out };
}

/** OR of the parts, with constants folded and nested ORs flattened. */
export function or(parts: readonly FilterNode[]): FilterNode {
  const out: FilterNode[] = [];
  for (const p of parts) {
    if (p.kind === 'const') {
      if (p.value) return TRUE;
    } else if (p.kind === 'or') out.push(...p.of);
    else out.push(p);
  }
  return out.length === 0 ? FALSE : out.length === 1 ? (out[0] as FilterNode) : { kind: 'or', of: out };
}

export function not(node: FilterNode): FilterNode {
  if (node.kind === 'const') return { kind: 'const', value: !node.value };
  if (node.kind === 'not') return node.of;
  return { kind: 'not', of: node };
}

/** parseMemoryFilter with its own Validator: errors name `backend`. For tests, tools and plugins. */
export function filterAst(filter: MemoryFilter | undefined, backend = 'memstrate'): FilterNode {
  return parseMemoryFilter(new ValidatorClass(backend), filter);
}
