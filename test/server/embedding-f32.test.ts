/** RecallQuery.embeddingF32: the query vector as base64 float32 — same results as the JSON array, strictly checked. */
import { describe, expect, it } from 'vitest';
import { encodeF32 } from '../../src/wire/vector-f32.js';
import { startGateway } from './fixture.js';

const f32Base64 = (values: number[]): string => Buffer.from(new Float32Array(values).buffer).toString('base64');

describe('recall with embeddingF32', () => {
  it('answers exactly what the same vector as a JSON array answers; GET /v1/info lists the feature', async () => {
    const gw = await startGateway();
    for (const [content, embedding] of [['north', [1, 0, 0.1]], ['east', [0.1, 1, 0]], ['up', [0, 0.2, 1]], ['mixed', [0.5, 0.5, 0.5]]] as const) {
      expect((await gw.call('POST', '/v1/memories', { agentId: 'a', content, embedding })).status).toBe(201);
    }
    const query = Array.from(new Float32Array([0.7, 0.3, 0.2]));
    const json = await gw.call('POST', '/v1/memories/recall', { agentId: 'a', embedding: query, explain: true, limit: 3 });
    const f32 = await gw.call('POST', '/v1/memories/recall', { agentId: 'a', embeddingF32: encodeF32(new Float32Array(query)), explain: true, limit: 3 });
    expect(f32.status, f32.text).toBe(200);
    const strip = (body: { results: { memory: { id: string }; score: number; explanation: unknown }[] }) => body.results.map((r) => [r.memory.id, r.score, r.explanation]);
    expect(strip(f32.body)).toEqual(strip(json.body));
    expect(f32.body.results).toHaveLength(3);
    // Hybrid with text too.
    const hybrid = await gw.call('POST', '/v1/memories/recall', { agentId: 'a', text: 'north', embeddingF32: f32Base64([1, 0, 0]) });
    expect(hybrid.status).toBe(200);
    expect(hybrid.body.results[0]).toMatchObject({ matchedBy: 'hybrid', memory: { content: 'north' } });
    expect((await gw.call('GET', '/v1/info')).body.wireFeatures).toEqual(['embeddingF32']);
  });

  it('refuses what is not a canonical base64 of finite float32 values, and both forms at once (400, nothing recalled)', async () => {
    const gw = await startGateway();
    await gw.call('POST', '/v1/memories', { agentId: 'a', content: 'x', embedding: [1, 0, 0] });
    const bad: [unknown, string][] = [
      [f32Base64([1, Number.NaN, 0]), 'value 1 is not a finite number'],
      [f32Base64([Infinity, 0, 0]), 'value 0 is not a finite number'],
      [Buffer.from([0, 0, 128, 63, 0, 0]).toString('base64'), 'not a whole number of float32 values'],
      ['', 'non-empty standard base64'],
      ['AACAPwAAAAAAAAAA!', 'standard base64'],
      ['AACAPwAAAAAAAAAA\n', 'standard base64'],
      ['AACAPwAAAAAAAAAA'.replaceAll('A', '-'), 'standard base64'],
      ['AACAPwAAAAAAAAAA'.slice(0, 15), 'standard base64'], // unpadded
      [[1, 0, 0], 'expected string'],
    ];
    for (const [embeddingF32, why] of bad) {
      const res = await gw.call('POST', '/v1/memories/recall', { agentId: 'a', embeddingF32 });
      expect(res.status, JSON.stringify(embeddingF32)).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION');
      expect(res.body.error.problems.join(' '), JSON.stringify(embeddingF32)).toContain('embeddingF32');
      expect(res.body.error.problems.join(' '), JSON.stringify(embeddingF32)).toContain(why);
    }
    const both = await gw.call('POST', '/v1/memories/recall', { agentId: 'a', embedding: [1, 0, 0], embeddingF32: f32Base64([1, 0, 0]) });
    expect(both.status).toBe(400);
    expect(both.body.error.problems).toEqual(['body.embeddingF32: give either embedding or embeddingF32, not both']);
    // The store's own checks still apply to the decoded vector (dimension, zero length).
    expect((await gw.call('POST', '/v1/memories/recall', { agentId: 'a', embeddingF32: f32Base64([1, 0]) })).status).toBe(400);
    expect((await gw.call('POST', '/v1/memories/recall', { agentId: 'a', embeddingF32: f32Base64([0, 0, 0]) })).status).toBe(400);
    // Unknown keys are still refused beside it.
    expect((await gw.call('POST', '/v1/memories/recall', { agentId: 'a', embeddingF32: f32Base64([1, 0, 0]), embeddingF16: 'x' })).status).toBe(400);
  });
});
