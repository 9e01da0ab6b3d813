/**
 * The wire's fast paths (src/wire/fast-path.ts) against their zod schemas: whenever a fast check
 * answers, zod accepts the same input and outputs the same value; and it does answer for the
 * plain, valid inputs it exists for. Seeded random inputs, valid and mutated.
 */
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { MEMORY_SOURCES } from '../../src/contracts/semantic-store.js';
import { LIMITS } from '../../src/core/limits.js';
import { fastCheckOnly, safeParse } from '../../src/wire/fast-path.js';
import { RecallQuery, RecallResponse } from '../../src/wire/memories.js';
import { encodeF32 } from '../../src/wire/vector-f32.js';
import { rng } from '../../src/testing/vectors.js';

const ODD_VALUES: unknown[] = [
  undefined, null, true, false, 0, -1, 1, 1.5, 1000, 1001, 2 ** 53, -0, NaN, Infinity, -Infinity, '', 'x', 'a'.repeat(LIMITS.idLength + 1),
  'vector', 'keyword', 'hybrid', 'observation', [], [1, 2], [1, 'x'], [NaN], {}, { a: 1 }, { __proto__: null }, new Date(0), new Float32Array(2),
  JSON.parse('{"__proto__": {"x": 1}}'), Symbol('s'), () => 1, 10n,
];

/** A random edit of `value` (a copy) somewhere in its tree: a key dropped, added, or set to an odd value. */
function mutate(value: unknown, r: () => number, depth = 0): unknown {
  if (typeof value !== 'object' || value === null || value instanceof Float32Array) return ODD_VALUES[Math.floor(r() * ODD_VALUES.length)];
  if (Array.isArray(value)) {
    const copy = [...value];
    if (copy.length === 0 || r() < 0.2) copy.push(ODD_VALUES[Math.floor(r() * ODD_VALUES.length)]);
    else {
      const i = Math.floor(r() * copy.length);
      copy[i] = depth < 4 && r() < 0.7 ? mutate(copy[i], r, depth + 1) : ODD_VALUES[Math.floor(r() * ODD_VALUES.length)];
    }
    return copy;
  }
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  const keys = Object.keys(copy);
  const roll = r();
  if (roll < 0.15 || keys.length === 0) copy[['extra', 'filter', 'embeddingF32', 'explanation', 'key', 'embedding', '__proto__'][Math.floor(r() * 7)] as string] = ODD_VALUES[Math.floor(r() * ODD_VALUES.length)];
  else if (roll < 0.3) delete copy[keys[Math.floor(r() * keys.length)] as string];
  else {
    const k = keys[Math.floor(r() * keys.length)] as string;
    copy[k] = depth < 4 && r() < 0.6 ? mutate(copy[k], r, depth + 1) : ODD_VALUES[Math.floor(r() * ODD_VALUES.length)];
  }
  return copy;
}

/** Holds the fast check of `schema` to zod on `inputs`; returns how many it answered. */
function holdToZod(schema: z.ZodType, inputs: unknown[]): number {
  let answered = 0;
  for (const input of inputs) {
    let fast: unknown;
    try {
      fast = fastCheckOnly(schema, input);
    } catch (error) {
      throw new Error(`the fast check threw on ${String(input)}: ${String(error)}`);
    }
    if (fast === undefined) continue;
    answered++;
    const zod = schema.safeParse(input);
    if (!zod.success) throw new Error(`fast path accepted what zod refuses: ${JSON.stringify(input, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}\n${zod.error.message}`);
    expect(fast).toEqual(zod.data);
    expect(safeParse(schema, input)).toEqual({ success: true, data: fast });
  }
  return answered;
}

function vector(r: () => number, dims: number): number[] {
  return Array.from({ length: dims }, () => r() * 2 - 1);
}

function recallBody(r: () => number): Record<string, unknown> {
  const body: Record<string, unknown> = r() < 0.85 ? { agentId: `agent-${Math.floor(r() * 5)}` } : { allAgents: true };
  if (r() < 0.2 && 'agentId' in body) body['allAgents'] = false;
  if (r() < 0.6) body['text'] = 'words to find';
  const v = r();
  if (v < 0.35) body['embedding'] = vector(r, 1 + Math.floor(r() * 8));
  else if (v < 0.7) body['embeddingF32'] = encodeF32(new Float32Array(vector(r, 1 + Math.floor(r() * 8))));
  if (r() < 0.5) body['limit'] = 1 + Math.floor(r() * LIMITS.maxRecallLimit);
  if (r() < 0.5) body['mode'] = ['vector', 'keyword', 'hybrid'][Math.floor(r() * 3)];
  if (r() < 0.3) body['explain'] = r() < 0.5;
  if (r() < 0.3) body['minScore'] = r() - 0.5;
  return body;
}

function record(r: () => number): Record<string, unknown> {
  const m: Record<string, unknown> = {
    id: `id-${Math.floor(r() * 1e6)}`,
    agentId: 'A',
    content: 'some content',
    source: MEMORY_SOURCES[Math.floor(r() * MEMORY_SOURCES.length)],
    scope: 'episodic',
    metadata: r() < 0.5 ? {} : { topic: 'x', n: 2, nested: { ok: [1, true, null, 'y'] } },
    confidence: r(),
    createdAt: 1_700_000_000_000 + Math.floor(r() * 1e6),
    accessedAt: 1_700_000_000_000 + Math.floor(r() * 1e6),
    accessCount: Math.floor(r() * 10),
  };
  if (r() < 0.2) m['supersededBy'] = 'other-id';
  if (r() < 0.2) m['embedding'] = vector(r, 4);
  if (r() < 0.2) m['key'] = 'natural-key';
  if (r() < 0.2) m['expiresAt'] = 1_800_000_000_000;
  return m;
}

function recallAnswer(r: () => number): Record<string, unknown> {
  const results = Array.from({ length: Math.floor(r() * 4) }, () => {
    const hit: Record<string, unknown> = { memory: record(r), score: r(), matchedBy: ['vector', 'keyword', 'hybrid'][Math.floor(r() * 3)] };
    if (r() < 0.4) hit['explanation'] = r() < 0.5 ? { vectorRank: 1, vectorSimilarity: 0.5, rrfK: 60 } : { keywordRank: 2, keywordScore: 0.25 };
    return hit;
  });
  return { results };
}

describe('wire fast paths agree with zod', () => {
  it('RecallQuery: answers plain valid bodies, and only ever what zod answers', () => {
    const r = rng(13);
    const valid = Array.from({ length: 600 }, () => recallBody(r));
    // Every valid body without a filter is answered by the fast path (unless its agent selector is wrong).
    expect(holdToZod(RecallQuery, valid)).toBeGreaterThan(500);
    const mutated = valid.flatMap((b) => [mutate(b, r), mutate(mutate(b, r), r)]);
    holdToZod(RecallQuery, mutated);
    holdToZod(RecallQuery, ODD_VALUES);
    // What it leaves to zod: a filter, both vector forms, a broken embeddingF32, unknown keys.
    for (const body of [
      { agentId: 'a', text: 'x', filter: { scope: 's' } },
      { agentId: 'a', embedding: [1], embeddingF32: encodeF32(new Float32Array([1])) },
      { agentId: 'a', embeddingF32: 'not base64!' },
      { agentId: 'a', text: 'x', unknown: 1 },
      { agentId: 'a', allAgents: true },
      { text: 'x' },
    ]) {
      expect(fastCheckOnly(RecallQuery, body), JSON.stringify(body)).toBeUndefined();
    }
  });

  it('RecallResponse: answers plain valid answers, and only ever what zod answers', () => {
    const r = rng(29);
    const valid = Array.from({ length: 400 }, () => recallAnswer(r));
    expect(holdToZod(RecallResponse, valid)).toBe(400);
    holdToZod(RecallResponse, valid.flatMap((a) => [mutate(a, r), mutate(mutate(a, r), r), mutate(mutate(mutate(a, r), r), r)]));
    holdToZod(RecallResponse, ODD_VALUES);
    // An unknown field (a newer gateway's) is left to zod, which strips it.
    const extra = { results: [{ ...(recallAnswer(rng(1))['results'] as object[])[0], memory: { ...record(r), newField: 1 }, score: 0.5, matchedBy: 'vector' }] };
    expect(fastCheckOnly(RecallResponse, extra)).toBeUndefined();
    expect(safeParse(RecallResponse, extra).success).toBe(true);
  });
});
