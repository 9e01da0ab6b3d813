import { describe, expect, it } from 'vitest';
import { rng as seeded } from '../../src/testing/vectors.js';
import { startGateway } from './fixture.js';
import { figure } from '../helpers/figure.js';

/**
 * Gateway fuzzing generated from its own OpenAPI document: every operation gets requests built from
 * its request schema — valid-looking bodies, wrong types, missing and unknown fields, extreme
 * numbers, long and odd strings, deep nesting, odd path parameters. No request may get a 5xx, and a
 * request that is refused (4xx) must leave no audit entry (nothing half-written); the chain verifies
 * at the end. Seeded: the same cases every run.
 */
type Schema = { type?: string | string[]; properties?: Record<string, Schema>; required?: string[]; items?: Schema; enum?: unknown[]; $ref?: string; anyOf?: Schema[]; oneOf?: Schema[]; minimum?: number; maximum?: number };
type Doc = { paths: Record<string, Record<string, { parameters?: { name: string; in: string; schema?: Schema }[]; requestBody?: { content: Record<string, { schema: Schema }> } }>>; components?: { schemas?: Record<string, Schema> } };

const CASES_PER_OPERATION = 24;
const ODD_STRINGS = ['', ' ', 'x'.repeat(300), '\u0000', '../../etc/passwd', '%2e%2e', "'; drop table kv; --", '🦀'.repeat(50), '<script>', '{"a":1}', 'null', '-1', '1e309', 'a'.repeat(70_000)];

describe('gateway fuzzing from the OpenAPI document', () => {
  it(`${CASES_PER_OPERATION} generated requests per operation: no 5xx, and no refused request leaves an audit entry`, async (context) => {
    const gw = await startGateway();
    const doc = (await gw.call('GET', '/v1/openapi.json')).body as Doc;
    const next = seeded(20261129);
    const rng = { int: (n: number) => Math.floor(next() * n) };
    const pick = <T,>(items: readonly T[]): T => items[rng.int(items.length)] as T;
    const resolve = (s: Schema | undefined): Schema | undefined => (s?.$ref ? doc.components?.schemas?.[s.$ref.split('/').pop() as string] : s);
    const value = (schema: Schema | undefined, depth: number): unknown => {
      const s = resolve(schema);
      const roll = rng.int(10);
      if (roll === 0) return pick([null, true, 42, -1, 1e308, 'text', [], {}, ODD_STRINGS[rng.int(ODD_STRINGS.length)]]); // a wrong type, often
      if (!s) return 'x';
      if (s.enum) return pick(s.enum);
      const variants = s.anyOf ?? s.oneOf;
      if (variants) return value(pick(variants), depth);
      const type = Array.isArray(s.type) ? pick(s.type) : s.type;
      switch (type) {
        case 'string':
          return rng.int(3) === 0 ? pick(ODD_STRINGS) : `agent-${rng.int(3)}`;
        case 'integer':
          return pick([0, 1, 5, -3, 2 ** 53, s.maximum ?? 10, (s.maximum ?? 10) + 1]);
        case 'number':
          return pick([0, 0.5, -0.1, 1e9, 3.14]);
        case 'boolean':
          return rng.int(2) === 0;
        case 'array':
          return depth > 4 ? [] : Array.from({ length: rng.int(4) }, () => value(s.items, depth + 1));
        case 'object':
        default: {
          if (depth > 4) return {};
          const out: Record<string, unknown> = {};
          for (const [key, prop] of Object.entries(s.properties ?? {})) {
            if ((s.required ?? []).includes(key) ? rng.int(8) !== 0 : rng.int(2) === 0) out[key] = value(prop, depth + 1);
          }
          if (rng.int(6) === 0) out[`unknown_${rng.int(100)}`] = 1;
          return out;
        }
      }
    };

    let requests = 0;
    const failures: string[] = [];
    let entries = (await gw.mem.audit.tip()).seq;
    for (const [template, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        for (let c = 0; c < CASES_PER_OPERATION; c++) {
          const path = template.replace(/\{(\w+)\}/g, () => encodeURIComponent(rng.int(3) === 0 ? pick(ODD_STRINGS).slice(0, 200) : `agent-${rng.int(3)}`));
          const query = (op.parameters ?? []).filter((p) => p.in === 'query' && rng.int(2) === 0).map((p) => `${p.name}=${encodeURIComponent(String(value(p.schema, 1)))}`);
          const schema = op.requestBody ? Object.values(op.requestBody.content)[0]?.schema : undefined;
          const body = schema ? (rng.int(12) === 0 ? pick(['not json', '[]', '{"deep":' + '['.repeat(5000) + ']'.repeat(5000) + '}']) : value(schema, 0)) : undefined;
          const res = await gw.call(method.toUpperCase(), `${path}${query.length ? `?${query.join('&')}` : ''}`, body);
          requests++;
          const tip = (await gw.mem.audit.tip()).seq;
          if (res.status >= 500) failures.push(`${method.toUpperCase()} ${template}: ${res.status} ${res.text.slice(0, 200)}`);
          if (res.status >= 400 && tip !== entries) failures.push(`${method.toUpperCase()} ${template}: refused with ${res.status} but appended ${tip - entries} audit entries`);
          entries = tip;
        }
      }
    }
    figure(context, `gateway fuzzing: ${requests} requests, ${failures.length} failures, ${entries} audit entries from accepted mutations`);
    expect(requests).toBeGreaterThanOrEqual(1000);
    expect(failures).toEqual([]);
    expect((await gw.mem.audit.verify()).entries).toBe(entries);
  }, 180_000);
});
