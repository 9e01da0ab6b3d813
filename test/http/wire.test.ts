/** The http semantic backend against the real gateway: ids, isolation, answers checked, errors mapped. */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/testing/clock.js';
import { planar, startWire, type WireSetup } from './setup.js';

const DAY = 86_400_000;
let setup: WireSetup | undefined;
afterEach(async () => {
  await setup?.dispose();
  setup = undefined;
});

describe('http semantic backend: wire', () => {
  it("the id remember returns is the gateway's id, and works for recall, get, updateEmbedding and forget", async () => {
    setup = await startWire();
    const client = await setup.client();
    const server = setup.gateway.substrate!;
    expect(client.dimensions).toBeUndefined(); // no vector space on the gateway yet
    // Float32Array vectors travel as number arrays.
    const id = await client.store.remember({ agentId: 'A', content: 'the kestrel hovers', embedding: new Float32Array(planar(0.1)), metadata: { k: 'v' } });
    const onServer = await server.semantic.get(id);
    expect(onServer).toMatchObject({ id, agentId: 'A', content: 'the kestrel hovers', metadata: { k: 'v' } });
    expect(onServer?.embedding?.[0]).toBeCloseTo(Math.cos(0.1), 6);
    expect(client.dimensions).toBe(8); // fixed by the first vector the gateway accepted

    const batch = await client.store.rememberMany([
      { agentId: 'A', content: 'batch one kestrel', embedding: planar(0.5) },
      { agentId: 'A', content: 'batch two', embedding: new Float32Array(planar(1.0)) },
    ]);
    expect(batch).toHaveLength(2);
    for (const b of batch) expect((await server.semantic.get(b))?.id).toBe(b);

    const recalled = await client.store.recall({ agentId: 'A', embedding: new Float32Array(planar(0)), explain: true });
    expect(recalled.map((r) => r.memory.id)).toEqual([id, ...batch]);
    expect(recalled[0]).toMatchObject({ matchedBy: 'vector', explanation: { vectorRank: 1 } });
    expect((await client.store.recall({ agentId: 'A', text: 'kestrel' })).map((r) => r.memory.id).sort()).toEqual([id, batch[0]].sort());

    expect(await client.store.get(id)).toMatchObject({ id, content: 'the kestrel hovers', accessCount: 2 });
    await client.store.updateEmbedding(id, new Float32Array(planar(2.0)));
    expect((await server.semantic.get(id))?.embedding?.[0]).toBeCloseTo(Math.cos(2.0), 6);
    expect((await client.store.recall({ agentId: 'A', embedding: planar(0) })).map((r) => r.memory.id)).toEqual([...batch, id]);

    expect(await client.store.forget(id)).toBe(true);
    expect(await server.semantic.get(id)).toBeUndefined();
    expect(await client.store.get(id)).toBeUndefined();
    expect(await client.store.forget(id)).toBe(false);
    await expect(client.store.updateEmbedding(id, planar(0))).rejects.toMatchObject({ code: 'NOT_FOUND', backend: 'http' });
    // Ids are path segments: anything in them is encoded, never interpreted as a path or query. The
    // proxy records each request line exactly as the client sent it (an unknown route would be a 404
    // too, so the answers alone could not tell an unencoded id apart).
    for (const odd of ['odd/id', '../memories', 'q?x=1#y', 'sp ace%']) {
      setup.proxy.clear();
      expect(await client.store.get(odd)).toBeUndefined();
      expect(await client.store.forget(odd)).toBe(false);
      const encoded = `/v1/memories/${encodeURIComponent(odd)}`;
      expect(encoded).not.toContain(odd);
      expect(setup.proxy.seen.map((r) => `${r.method} ${r.path}`)).toEqual([`GET ${encoded}`, `DELETE ${encoded}`]);
      expect(setup.proxy.seen.filter((r) => r.path.includes(odd))).toEqual([]);
    }
    // The gateway's id scheme (UUID v7), not one made up on this side.
    expect(batch[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('dimensions come from /v1/info; the gateway validates (its error codes come back)', async () => {
    setup = await startWire({ config: { embeddingProvider: 'hash', embeddingDimensions: 32 } });
    const client = await setup.client();
    expect(client.dimensions).toBe(32);
    expect(client.gateway).toMatchObject({ backend: 'sqlite', semanticBackend: 'sqlite', embedding: { provider: 'hash', dimensions: 32 } });
    // Embedded on the gateway.
    const id = await client.store.remember({ agentId: 'A', content: 'the red bicycle' });
    expect((await client.store.get(id))?.embedding).toHaveLength(32);
    expect((await client.store.recall({ agentId: 'A', text: 'red bicycle' }))[0]).toMatchObject({ matchedBy: 'hybrid' });
    await expect(client.store.remember({ agentId: 'A', content: 'x', embedding: [1, 2, 3] })).rejects.toMatchObject({ code: 'VALIDATION', backend: 'http' });
    await expect(client.store.recall({ agentId: 'A', text: 'x', limit: 0 })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(client.store.recall({ text: 'x' } as never)).rejects.toMatchObject({ code: 'VALIDATION' });
    // What JSON cannot carry is refused here, before any request.
    setup.proxy.clear();
    await expect(client.store.remember({ agentId: 'A', content: 'nan', embedding: [Number.NaN, ...new Array<number>(31).fill(0)] })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(client.store.remember({ agentId: 'A', content: 'inf', metadata: { x: Infinity } })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(client.store.remember({ agentId: 'A', content: 'date', metadata: { when: new Date() } as never })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(client.store.remember({ agentId: 'A', content: 'typed', metadata: { v: new Float32Array(2) } as never })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(client.store.remember({ agentId: 'A', content: 'hole', metadata: { list: [1, undefined, 3] } as never })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(client.store.updateEmbedding('some-id', new Float32Array([1, Number.NaN]))).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(client.store.get('')).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(setup.proxy.seen).toHaveLength(0);
  });

  it('recall sends a float32 query vector as embeddingF32 when the gateway lists it; same answers; other vectors stay JSON', async () => {
    setup = await startWire();
    const client = await setup.client();
    expect(client.gateway.wireFeatures.has('embeddingF32')).toBe(true);
    const server = setup.gateway.substrate!;
    await client.store.rememberMany([0, 0.4, 0.8, 1.2].map((a, i) => ({ agentId: 'A', content: `memory ${i} kestrel`, embedding: planar(a) })));
    const sent = (): Record<string, unknown> => JSON.parse(setup!.proxy.seen.find((r) => r.path === '/v1/memories/recall')!.body) as Record<string, unknown>;
    const scored = (rs: { memory: { id: string }; score: number; matchedBy: string }[]) => rs.map((r) => [r.memory.id, r.score, r.matchedBy]);
    const cases: [string, number[] | Float32Array, boolean][] = [
      ['a Float32Array', new Float32Array(planar(0.3)), true],
      ['numbers that are float32 values', Array.from(new Float32Array(planar(0.3))), true],
      ['doubles that are not float32 values (kept exact as JSON)', planar(0.3), false],
    ];
    for (const [what, embedding, f32] of cases) {
      for (const mode of ['vector', 'hybrid'] as const) {
        setup.proxy.clear();
        const query = { agentId: 'A', embedding, text: 'kestrel', mode, explain: true, limit: 3 };
        const remote = await client.store.recall(query);
        expect(Object.keys(sent()).sort(), what).toEqual(['agentId', f32 ? 'embeddingF32' : 'embedding', 'explain', 'limit', 'mode', 'text']);
        expect(scored(remote), what).toEqual(scored(await server.semantic.recall(query)));
      }
    }
    // Checked here as before: non-finite values never leave; a caller's own embeddingF32 is an unknown key, as in process.
    setup.proxy.clear();
    await expect(client.store.recall({ agentId: 'A', embedding: new Float32Array([1, Number.NaN, 0, 0, 0, 0, 0, 0]) })).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('query.embedding[1] is not a finite number') });
    await expect(client.store.recall({ agentId: 'A', embedding: [1, Infinity, 0, 0, 0, 0, 0, 0] })).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('query.embedding[1] is not a finite number') });
    await expect(client.store.recall({ agentId: 'A', embeddingF32: 'AACAPw==' } as never)).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('embeddingF32: unknown key') });
    await expect(server.semantic.recall({ agentId: 'A', embeddingF32: 'AACAPw==' } as never)).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('embeddingF32: unknown key') });
    expect(setup.proxy.seen).toHaveLength(0);
  });

  it('a gateway that does not list embeddingF32 (an older one) gets the query vector as a JSON array', async () => {
    setup = await startWire();
    setup.proxy.setPlan((r) => (r.path === '/v1/info' ? { rewrite: (body) => JSON.stringify({ ...(JSON.parse(body) as object), wireFeatures: undefined }) } : 'pass'));
    const client = await setup.client();
    expect(client.gateway.wireFeatures.size).toBe(0);
    await client.store.remember({ agentId: 'A', content: 'one', embedding: planar(0) });
    setup.proxy.clear();
    expect(await client.store.recall({ agentId: 'A', embedding: new Float32Array(planar(0.1)) })).toHaveLength(1);
    const body = JSON.parse(setup.proxy.seen.find((r) => r.path === '/v1/memories/recall')!.body) as Record<string, unknown>;
    expect(body).not.toHaveProperty('embeddingF32');
    expect(body['embedding']).toEqual(Array.from(new Float32Array(planar(0.1))));
  });

  it('agent isolation through the client: B never sees A, in any mode', async () => {
    setup = await startWire();
    const client = await setup.client();
    const a = await client.store.remember({ agentId: 'A', content: 'secret plans of A', embedding: planar(0.01) });
    const b = await client.store.remember({ agentId: 'B', content: 'notes of B', embedding: planar(1.5) });
    for (const mode of ['vector', 'keyword', 'hybrid'] as const) {
      const forB = await client.store.recall({ agentId: 'B', text: 'secret plans notes', embedding: planar(0), mode, limit: 100 });
      expect(forB.map((r) => r.memory.id)).toEqual([b]);
      expect(forB.every((r) => r.memory.agentId === 'B')).toBe(true);
      const forC = await client.store.recall({ agentId: 'C', text: 'secret plans', embedding: planar(0), mode });
      expect(forC).toEqual([]);
    }
    expect(new Set((await client.store.recall({ allAgents: true, text: 'secret notes', limit: 10 })).map((r) => r.memory.id))).toEqual(new Set([a, b]));
  });

  it("an answer that contradicts the request fails closed: another agent's memory, a wrong id, too many results", async () => {
    setup = await startWire();
    const client = await setup.client();
    const a = await client.store.remember({ agentId: 'A', content: 'alpha words', embedding: planar(0) });
    await client.store.remember({ agentId: 'A', content: 'alpha words again', embedding: planar(0.2) });
    setup.proxy.setPlan((r) => (r.path === '/v1/memories/recall' ? { rewrite: (body) => body.replaceAll('"agentId":"A"', '"agentId":"B"') } : 'pass'));
    await expect(client.store.recall({ agentId: 'A', text: 'alpha' })).rejects.toMatchObject({ code: 'INTERNAL', backend: 'http' });
    setup.proxy.setPlan((r) => (r.path.startsWith('/v1/memories/') && r.method === 'GET' ? { rewrite: (body) => body.replace(a, 'another-id') } : 'pass'));
    await expect(client.store.get(a)).rejects.toMatchObject({ code: 'INTERNAL' });
    setup.proxy.setPlan(() => 'pass');
    // limit 1 but two results: rewrite the query's limit on the way... instead, ask for 1 and duplicate the result.
    setup.proxy.setPlan((r) =>
      r.path === '/v1/memories/recall'
        ? {
            rewrite: (body) => {
              const parsed = JSON.parse(body) as { results: unknown[] };
              return JSON.stringify({ results: [...parsed.results, ...parsed.results] });
            },
          }
        : 'pass',
    );
    await expect(client.store.recall({ agentId: 'A', text: 'alpha', limit: 1 })).rejects.toMatchObject({ code: 'INTERNAL' });
    // A record with a field missing is not repaired: it is an incompatible answer.
    setup.proxy.setPlan((r) => (r.method === 'GET' && r.path.startsWith('/v1/memories/') ? { rewrite: (body) => body.replace('"agentId":"A",', '') } : 'pass'));
    await expect(client.store.get(a)).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    setup.proxy.setPlan(() => 'pass');
    expect(await client.store.get(a)).toMatchObject({ id: a, agentId: 'A' });
  });

  it('consolidation is forwarded to the gateway (decay on its clock and config)', async () => {
    const clock = new ManualClock();
    setup = await startWire({ clock: clock.fn, config: { decayRate: 0.5 } });
    const client = await setup.client();
    const stale = await client.store.remember({ agentId: 'A', content: 'stale one', confidence: 0.8 });
    await client.store.remember({ agentId: 'A', content: 'twin' });
    await client.store.remember({ agentId: 'A', content: 'twin' });
    clock.advance(8 * DAY);
    expect(await client.consolidation.consolidate({ dryRun: true })).toMatchObject({ decayed: 3, merged: 1, dryRun: true });
    expect((await client.store.get(stale))?.confidence).toBe(0.8);
    expect(await client.consolidation.consolidate()).toMatchObject({ decayed: 3, merged: 1, dryRun: false });
    expect((await client.store.get(stale))?.confidence).toBeCloseTo(0.4, 10);
    expect(setup.proxy.count('POST', '/v1/consolidation')).toBe(2);
  });

  it('health reports the gateway, and turns false (without throwing) when it goes away', async () => {
    setup = await startWire();
    const client = await setup.client();
    expect(await client.health()).toMatchObject({ name: 'semantic:http', ok: true });
    await setup.proxy.stop();
    const down = await client.health();
    expect(down).toMatchObject({ name: 'semantic:http', ok: false });
    expect(down.detail).toContain(setup.proxy.url);
    expect(down.detail).not.toContain(setup.token);
  });
});
