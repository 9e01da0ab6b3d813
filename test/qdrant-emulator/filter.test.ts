import type { Schemas } from '@qdrant/js-client-rest';
import { beforeAll, describe, expect, it } from 'vitest';
import { uniqueName, useEmulator } from './fixture.js';

const points: Schemas['PointStruct'][] = [
  { id: 1, vector: {}, payload: { kind: 'note', n: 1, tags: ['x', 'y'], nums: [1, 10], meta: { lang: 'en' }, items: [{ sku: 'a' }, { sku: 'b' }] } },
  { id: 2, vector: {}, payload: { kind: 'task', n: 5, tags: [], meta: { lang: 'fr' }, items: [{ sku: 'c' }], flag: true } },
  { id: 3, vector: {}, payload: { kind: 'note', n: 9, tags: null, code: '1', nothing: null } },
  { id: 4, vector: { v: [1, 0] }, payload: { kind: 1, flag: false } },
];

describe('qdrant emulator: filters', () => {
  const f = useEmulator();
  const name = uniqueName('filter');
  const matching = async (filter: Schemas['Filter']) =>
    (await f.client.scroll(name, { filter, with_payload: false })).points.map((p) => p.id);

  beforeAll(async () => {
    await f.client.createCollection(name, { vectors: { v: { size: 2, distance: 'Dot' } } });
    await f.client.upsert(name, { points });
  });

  it('must: all conditions', async () => {
    expect(await matching({ must: [{ key: 'kind', match: { value: 'note' } }, { key: 'n', range: { gt: 5 } }] })).toEqual([3]);
  });

  it('should: at least one; an empty should list does not restrict', async () => {
    expect(await matching({ should: [{ key: 'n', match: { value: 1 } }, { key: 'n', match: { value: 5 } }] })).toEqual([1, 2]);
    expect(await matching({ should: [] })).toEqual([1, 2, 3, 4]);
  });

  it('must_not: none of the conditions', async () => {
    expect(await matching({ must_not: [{ key: 'kind', match: { value: 'note' } }] })).toEqual([2, 4]);
  });

  it('min_should: at least min_count conditions', async () => {
    const conditions: Schemas['Condition'][] = [
      { key: 'kind', match: { value: 'note' } },
      { key: 'n', range: { lte: 5 } },
      { key: 'meta.lang', match: { value: 'en' } },
    ];
    expect(await matching({ min_should: { conditions, min_count: 2 } })).toEqual([1]);
  });

  it('nested Filter objects as conditions', async () => {
    expect(await matching({ must: [{ should: [{ key: 'n', match: { value: 9 } }, { key: 'flag', match: { value: true } }] }] })).toEqual([2, 3]);
  });

  it('match value on an array matches when any element matches', async () => {
    expect(await matching({ must: [{ key: 'tags', match: { value: 'y' } }] })).toEqual([1]);
  });

  it('match any and match except', async () => {
    expect(await matching({ must: [{ key: 'kind', match: { any: ['task', 'other'] } }] })).toEqual([2]);
    // except: the field must exist; an integer value is not in a list of strings.
    expect(await matching({ must: [{ key: 'kind', match: { except: ['note'] } }] })).toEqual([2, 4]);
    expect(await matching({ must: [{ key: 'n', match: { except: [1, 5] } }] })).toEqual([3]);
  });

  it('match compares by type: the string "1" is not the integer 1, bools are bools', async () => {
    expect(await matching({ must: [{ key: 'code', match: { value: 1 } }] })).toEqual([]);
    expect(await matching({ must: [{ key: 'code', match: { value: '1' } }] })).toEqual([3]);
    expect(await matching({ must: [{ key: 'kind', match: { value: 1 } }] })).toEqual([4]);
    expect(await matching({ must: [{ key: 'flag', match: { value: false } }] })).toEqual([4]);
  });

  it('range on numbers, and on arrays when any element is in range', async () => {
    expect(await matching({ must: [{ key: 'n', range: { gte: 5, lt: 9 } }] })).toEqual([2]);
    expect(await matching({ must: [{ key: 'nums', range: { gt: 5 } }] })).toEqual([1]);
  });

  it('is_empty: missing, null or []', async () => {
    expect(await matching({ must: [{ is_empty: { key: 'tags' } }] })).toEqual([2, 3, 4]);
  });

  it('is_null: the value is null (a missing key is not null)', async () => {
    expect(await matching({ must: [{ is_null: { key: 'nothing' } }] })).toEqual([3]);
    expect(await matching({ must: [{ is_null: { key: 'tags' } }] })).toEqual([3]);
  });

  it('has_id and has_vector', async () => {
    expect(await matching({ must: [{ has_id: [2, 4, 99] }] })).toEqual([2, 4]);
    expect(await matching({ must: [{ has_vector: 'v' }] })).toEqual([4]);
  });

  it('dotted keys into objects and a[].b into arrays of objects', async () => {
    expect(await matching({ must: [{ key: 'meta.lang', match: { value: 'fr' } }] })).toEqual([2]);
    expect(await matching({ must: [{ key: 'items[].sku', match: { value: 'b' } }] })).toEqual([1]);
  });

  it('count applies the same filter', async () => {
    expect((await f.client.count(name, { filter: { must: [{ key: 'kind', match: { value: 'note' } }] } })).count).toBe(2);
  });

  // What memstrate's filter compiler relies on (src/backends/qdrant/qdrant-points.ts compileFilter).
  it('an empty has_id matches nothing (and its must_not everything); nested keys into objects only', async () => {
    expect(await matching({ must: [{ has_id: [] }] })).toEqual([]);
    expect(await matching({ must: [{ must_not: [{ has_id: [] }] }] })).toEqual([1, 2, 3, 4]);
    expect(await matching({ must: [{ key: 'items.sku', match: { value: 'a' } }] })).toEqual([]);
    expect(await matching({ must_not: [{ is_empty: { key: 'meta.lang' } }] })).toEqual([1, 2]);
  });

  it('range gte = lte is numeric equality for integers and floats; booleans and strings are not numbers', async () => {
    expect(await matching({ must: [{ key: 'n', range: { gte: 5, lte: 5 } }] })).toEqual([2]);
    expect(await matching({ must: [{ key: 'nums', range: { gte: 10, lte: 10 } }] })).toEqual([1]);
    expect(await matching({ must: [{ key: 'flag', range: { gte: 0, lte: 1 } }] })).toEqual([]);
    expect(await matching({ must: [{ key: 'code', range: { gte: 1, lte: 1 } }] })).toEqual([]);
  });

  it('must_not of a match holds where the key is missing, null or []', async () => {
    expect(await matching({ must_not: [{ key: 'tags', match: { value: 'x' } }] })).toEqual([2, 3, 4]);
    expect(await matching({ must_not: [{ key: 'tags', match: { any: ['y', 'z'] } }] })).toEqual([2, 3, 4]);
  });
});
