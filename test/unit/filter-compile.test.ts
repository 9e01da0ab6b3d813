import { describe, expect, it } from 'vitest';
import { Params, compileFilter as compilePg } from '../../src/backends/postgres/postgres-semantic-sql.js';
import { compileFilter as compileQdrant } from '../../src/backends/qdrant/qdrant-points.js';
import { compileFilter as compileSqlite, metadataPath } from '../../src/backends/sqlite/sqlite-semantic-sql.js';
import type { MemoryFilter } from '../../src/contracts/index.js';
import { filterAst } from '../../src/core/filter-parse.js';

const hostile = "x'); drop table memories; --";
const filter: MemoryFilter = {
  metadata: { [`a"b\\c'${hostile}`]: hostile, 'dotted.key': 1 },
  where: {
    $or: [{ 'metadata.k-1.s_2': { $in: [hostile, 2.5, true] } }, { scope: hostile }, { $not: { 'metadata.n': { $gte: 1e-7, $exists: true } } }],
  },
};

describe('filters compile with every path and value bound, never in the statement text', () => {
  it('SQLite: values and JSON paths are parameters', () => {
    const params: unknown[] = [];
    const sql = compileSqlite(filterAst(filter), params);
    expect(sql).not.toContain('drop table');
    expect(sql).not.toContain('dotted');
    expect(sql).not.toContain('k-1');
    expect(params).toContain(hostile);
    expect(params).toContain(metadataPath([`a"b\\c'${hostile}`]));
    expect(params).toContain('$."dotted.key"');
    expect(params).toContain('$."k-1"."s_2"');
  });

  it('PostgreSQL: values are parameters, paths are text[] parameters', () => {
    const p = new Params();
    const sql = compilePg(p, filterAst(filter));
    expect(sql).not.toContain('drop table');
    expect(sql).not.toContain('dotted');
    expect(p.values).toContainEqual(['dotted.key']);
    expect(p.values).toContainEqual(['k-1', 's_2']);
    expect(p.values).toContain(JSON.stringify(hostile));
  });

  it('Qdrant: keys only from grammar segments; a legacy key outside it matches through meta_eq', () => {
    const json = JSON.stringify(compileQdrant(filterAst(filter)));
    expect(json).toContain('"key":"metadata.k-1.s_2"');
    expect(json).not.toContain('"key":"metadata.dotted.key"');
    expect(json).toContain('"key":"meta_eq"');
    expect(() => compileQdrant(filterAst({ metadata: { 'dotted.key': null } }))).toThrow(/qdrant/);
    expect(JSON.stringify(compileQdrant(filterAst({ metadata: { plain: null } })))).toContain('"is_empty":{"key":"metadata.plain"}');
  });
});
