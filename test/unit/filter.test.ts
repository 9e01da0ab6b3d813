import { describe, expect, it } from 'vitest';
import type { FilterExpr, MemoryFilter } from '../../src/contracts/index.js';
import { matchesFilter, type FilterTarget } from '../../src/core/filter-eval.js';
import { filterAst } from '../../src/core/filter-parse.js';

const parse = (filter: MemoryFilter) => filterAst(filter, 'unit');
const error = (where: unknown): string => {
  try {
    parse({ where: where as FilterExpr });
  } catch (e) {
    expect(e).toMatchObject({ code: 'VALIDATION', backend: 'unit' });
    return (e as Error).message;
  }
  throw new Error(`accepted: ${JSON.stringify(where)}`);
};

describe('filter grammar: errors name the exact place', () => {
  it.each([
    [{ $and: [{ source: 'system' }, { 'metadata.x': { $gtt: 1 } }] }, "filter.where.$and[1]['metadata.x'].$gtt: unknown operator"],
    [{ $and: [] }, 'filter.where.$and: must not be empty'],
    [{ $or: [] }, 'filter.where.$or: must not be empty'],
    [{ $or: {} }, 'filter.where.$or: must be an array'],
    [{ $nor: [] }, 'filter.where.$nor: unknown operator'],
    [{ $not: [] }, 'filter.where.$not: must be an object'],
    [{ 'metadata.x': null }, "filter.where['metadata.x']: null is not a filter value"],
    [{ 'metadata.x': { $eq: null } }, "filter.where['metadata.x'].$eq: null is not a filter value"],
    [{ 'metadata.x': { $eq: [1] } }, "filter.where['metadata.x'].$eq: must be a string, finite number or boolean"],
    [{ 'metadata.x': { $eq: { a: 1 } } }, "filter.where['metadata.x'].$eq: must be a string, finite number or boolean"],
    [{ 'metadata.x': [1, 2] }, "filter.where['metadata.x']: an array is not a filter value (use $in)"],
    [{ 'metadata.x': { $gt: '5' } }, "filter.where['metadata.x'].$gt: must be a finite number"],
    [{ 'metadata.x': { $lte: Number.NaN } }, "filter.where['metadata.x'].$lte: must be a finite number"],
    [{ 'metadata.x': { $eq: Number.POSITIVE_INFINITY } }, "filter.where['metadata.x'].$eq: must be a finite number"],
    [{ 'metadata.x': { $in: [] } }, "filter.where['metadata.x'].$in: must hold 1..100 values"],
    [{ 'metadata.x': { $in: Array.from({ length: 101 }, (_, i) => i) } }, "filter.where['metadata.x'].$in: must hold 1..100 values"],
    [{ 'metadata.x': { $nin: 'a' } }, "filter.where['metadata.x'].$nin: must be an array"],
    [{ 'metadata.x': { $in: [1, null] } }, "filter.where['metadata.x'].$in[1]: null is not a filter value"],
    [{ 'metadata.x': { $exists: 1 } }, "filter.where['metadata.x'].$exists: must be true or false"],
    [{ 'metadata.x': {} }, "filter.where['metadata.x']: a condition needs at least one operator"],
    [{ agentId: 'a' }, "filter.where['agentId']: unknown path"],
    [{ metadata: 1 }, "filter.where['metadata']: unknown path"],
    [{ 'metadata.': 1 }, "filter.where['metadata.']: metadata path segments must match"],
    [{ 'metadata.a..b': 1 }, "filter.where['metadata.a..b']: metadata path segments must match"],
    [{ 'metadata.a b': 1 }, "filter.where['metadata.a b']: metadata path segments must match"],
    [{ "metadata.it's": 1 }, "filter.where['metadata.it\\'s']: metadata path segments must match"],
    [{ [`metadata.${'a'.repeat(65)}`]: 1 }, 'metadata path segments must match'],
    [{ 'metadata.1.2.3.4.5.6.7.8.9': 1 }, 'a metadata path has at most 8 segments'],
    [{ 'metadata.x': 'nul\u0000' }, 'contains a NUL character'],
    [[{ source: 'system' }], 'filter.where: must be an object'],
    ['source', 'filter.where: must be an object'],
  ])('%j → %s', (where, message) => {
    expect(error(where)).toContain(message);
  });

  it('bounds the size (64 nodes) and the nesting (8 levels)', () => {
    const wide = { $or: Array.from({ length: 70 }, (_, i) => ({ 'metadata.n': i })) };
    expect(error(wide)).toContain('more than 64 nodes');
    let deep: FilterExpr = { source: 'system' };
    for (let i = 0; i < 9; i++) deep = { $not: deep };
    expect(error(deep)).toContain('nested deeper than 8 levels');
    let ok: FilterExpr = { source: 'system' };
    for (let i = 0; i < 8; i++) ok = { $not: ok };
    expect(() => parse({ where: ok })).not.toThrow();
  });

  it('unknown top-level filter keys are VALIDATION naming the key; the legacy keys keep their checks', () => {
    expect(() => parse({ colour: 'blue' } as MemoryFilter)).toThrow(/filter\.colour: unknown key/);
    expect(() => parse({ source: 'nope' as never })).toThrow(/filter\.source must be one of/);
    expect(() => parse({ minConfidence: 2 })).toThrow(/filter\.minConfidence must be between 0 and 1/);
    expect(() => parse({ metadata: { k: [1] as never } })).toThrow(/filter\.metadata\['k'\]: must be a string, finite number or boolean/);
  });
});

const record = (metadata: FilterTarget['metadata'], extra: Partial<FilterTarget> = {}): FilterTarget => ({
  source: 'observation',
  scope: 'episodic',
  confidence: 0.5,
  createdAt: 1000,
  metadata,
  ...extra,
});
const matches = (where: FilterExpr, r: FilterTarget) => matchesFilter(parse({ where }), r);

describe('filter semantics (the reference evaluator)', () => {
  it('types are strict: 1 ≠ "1", true ≠ 1; ranges match numbers only', () => {
    const r = record({ n: 1, s: '1', b: true, f: 1.5 });
    expect(matches({ 'metadata.n': 1 }, r)).toBe(true);
    expect(matches({ 'metadata.n': '1' }, r)).toBe(false);
    expect(matches({ 'metadata.s': 1 }, r)).toBe(false);
    expect(matches({ 'metadata.b': 1 }, r)).toBe(false);
    expect(matches({ 'metadata.b': true }, r)).toBe(true);
    expect(matches({ 'metadata.n': true }, r)).toBe(false);
    expect(matches({ 'metadata.s': { $gte: 0 } }, r)).toBe(false);
    expect(matches({ 'metadata.b': { $gte: 0 } }, r)).toBe(false);
    expect(matches({ 'metadata.f': { $gt: 1, $lt: 2 } }, r)).toBe(true);
    expect(matches({ 'metadata.f': 1.5 }, r)).toBe(true);
    expect(matches({ 'metadata.n': { $in: ['1', true] } }, r)).toBe(false);
    expect(matches({ 'metadata.n': { $in: ['1', 1] } }, r)).toBe(true);
  });

  it('absent = missing, null or []; $ne / $nin / $exists: false match absent values', () => {
    for (const metadata of [{}, { x: null }, { x: [] }] as FilterTarget["metadata"][]) {
      const r = record(metadata);
      expect(matches({ 'metadata.x': { $exists: true } }, r)).toBe(false);
      expect(matches({ 'metadata.x': { $exists: false } }, r)).toBe(true);
      expect(matches({ 'metadata.x': { $ne: 'a' } }, r)).toBe(true);
      expect(matches({ 'metadata.x': { $nin: ['a', 1] } }, r)).toBe(true);
      expect(matches({ 'metadata.x': { $lt: 100 } }, r)).toBe(false);
    }
    expect(matches({ 'metadata.x': { $exists: true } }, record({ x: [null] }))).toBe(true);
    expect(matches({ 'metadata.x': { $exists: true } }, record({ x: false }))).toBe(true);
    expect(matches({ 'metadata.x': { $exists: true } }, record({ x: '' }))).toBe(true);
  });

  it('arrays match eq / in / range when any scalar element does; nested arrays and objects inside match nothing', () => {
    const r = record({ tags: ['a', 2, true, [3], { v: 4 }] });
    expect(matches({ 'metadata.tags': 'a' }, r)).toBe(true);
    expect(matches({ 'metadata.tags': 2 }, r)).toBe(true);
    expect(matches({ 'metadata.tags': true }, r)).toBe(true);
    expect(matches({ 'metadata.tags': 3 }, r)).toBe(false);
    expect(matches({ 'metadata.tags': { $gte: 3 } }, r)).toBe(false);
    expect(matches({ 'metadata.tags': { $lt: 3 } }, r)).toBe(true);
    expect(matches({ 'metadata.tags': { $ne: 'a' } }, r)).toBe(false);
    expect(matches({ 'metadata.tags': { $nin: ['z'] } }, r)).toBe(true);
    expect(matches({ 'metadata.tags.v': 4 }, r)).toBe(false); // paths walk objects only
  });

  it('an object at the path matches only $exists; nested paths walk objects', () => {
    const r = record({ a: { b: { c: 'deep' } } });
    expect(matches({ 'metadata.a': { $exists: true } }, r)).toBe(true);
    expect(matches({ 'metadata.a': { $ne: 'x' } }, r)).toBe(true);
    expect(matches({ 'metadata.a': { $gt: 0 } }, r)).toBe(false);
    expect(matches({ 'metadata.a.b.c': 'deep' }, r)).toBe(true);
    expect(matches({ 'metadata.a.b': { $exists: true } }, r)).toBe(true);
    expect(matches({ 'metadata.a.b.c.d': { $exists: true } }, r)).toBe(false);
  });

  it('built-in fields; $and / $or / $not; several keys AND', () => {
    const r = record({ k: 1 }, { source: 'document', scope: 'facts', confidence: 0.9, createdAt: 5000 });
    expect(matches({ source: 'document', scope: 'facts' }, r)).toBe(true);
    expect(matches({ source: 'document', scope: 'other' }, r)).toBe(false);
    expect(matches({ confidence: { $gte: 0.9 }, createdAt: { $gt: 4999, $lt: 5001 } }, r)).toBe(true);
    expect(matches({ source: 5 }, r)).toBe(false);
    expect(matches({ source: { $ne: 5 } }, r)).toBe(true);
    expect(matches({ scope: { $gt: 0 } }, r)).toBe(false);
    expect(matches({ createdAt: { $exists: false } }, r)).toBe(false);
    expect(matches({ $or: [{ source: 'system' }, { 'metadata.k': 1 }] }, r)).toBe(true);
    expect(matches({ $not: { $or: [{ source: 'system' }, { 'metadata.k': 1 }] } }, r)).toBe(false);
    expect(matches({ $and: [{ source: 'document' }, { $not: { 'metadata.k': 2 } }] }, r)).toBe(true);
    expect(matches({}, r)).toBe(true);
  });

  it('legacy keys: metadata keys are one segment whatever they hold; null = no value', () => {
    const r = record({ 'a.b': 1, a: { b: 2 }, 'say "hi"': 'yes', maybe: null });
    expect(matchesFilter(parse({ metadata: { 'a.b': 1 } }), r)).toBe(true);
    expect(matchesFilter(parse({ metadata: { 'a.b': 2 } }), r)).toBe(false);
    expect(matchesFilter(parse({ where: { 'metadata.a.b': 2 } }), r)).toBe(true);
    expect(matchesFilter(parse({ metadata: { 'say "hi"': 'yes' } }), r)).toBe(true);
    expect(matchesFilter(parse({ metadata: { maybe: null } }), r)).toBe(true);
    expect(matchesFilter(parse({ metadata: { missing: null } }), r)).toBe(true);
    expect(matchesFilter(parse({ metadata: { 'a.b': null } }), r)).toBe(false);
    expect(matchesFilter(parse({ source: 'observation', minConfidence: 0.5, after: 999, before: 1001 }), r)).toBe(true);
    expect(matchesFilter(parse({ minConfidence: 0.51 }), r)).toBe(false);
    expect(matchesFilter(parse({ after: 1000 }), r)).toBe(false);
  });

  it('normalises: $ne/$nin/$exists:false become not; built-in leaves of the wrong type fold to constants', () => {
    expect(parse({})).toEqual({ kind: 'const', value: true });
    expect(parse({ where: { source: 5 } })).toEqual({ kind: 'const', value: false });
    expect(parse({ where: { 'metadata.x': { $ne: 1 } } })).toEqual({ kind: 'not', of: { kind: 'eq', path: { metadata: ['x'] }, value: 1 } });
    expect(parse({ where: { scope: { $in: [1, 'a', 'a'] } } })).toEqual({ kind: 'in', path: { field: 'scope' }, values: ['a'] });
    expect(parse({ where: { $not: { $not: { 'metadata.x': { $exists: true } } } } })).toEqual({ kind: 'exists', path: { metadata: ['x'] } });
  });
});
