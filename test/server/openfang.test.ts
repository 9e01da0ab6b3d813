import { describe, expect, it } from 'vitest';
import { HashEmbedder } from '../../src/embedders/hash-embedder.js';
import { NIL_AGENT_ID } from '../../src/server/routes/openfang.js';
import { ManualClock } from '../../src/testing/clock.js';
import { startGateway, UUID } from './fixture.js';

const A = '7b0c51d6-3f7e-4a51-9a3e-0c6a3f1f0a01';
const B = '7b0c51d6-3f7e-4a51-9a3e-0c6a3f1f0a02';

describe('OpenFang memory-api wire', () => {
  it('GET /health answers {status: ok} without a token', async () => {
    const gw = await startGateway();
    const res = await gw.call('GET', '/health', undefined, { auth: false });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok' });
    expect(res.body.backends.map((b: { name: string; ok: boolean }) => [b.name, b.ok])).toEqual([
      ['main:sqlite', true],
      ['semantic:sqlite', true],
    ]);
    // No details (paths, URLs) on this unauthenticated route.
    expect(Object.keys(res.body.backends[0]).sort()).toEqual(['latencyMs', 'name', 'ok']);
  });

  it('GET /health answers 503 {status: degraded} when a backend is down', async () => {
    const gw = await startGateway();
    await gw.mem.close();
    const res = await gw.call('GET', '/health', undefined, { auth: false });
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ status: 'degraded' });
    expect(res.body.backends.some((b: { ok: boolean }) => !b.ok)).toBe(true);
  });

  it('store returns the UUID the memory is really stored under, and search finds it by that id', async () => {
    const clock = new ManualClock();
    const gw = await startGateway({ clock: clock.fn });
    const stored = await gw.call('POST', '/memory/store', { content: 'The user prefers green tea in the morning', agentId: A, source: 'userprovided', importance: 7, tags: ['prefs', 'tea'] });
    expect(stored.status).toBe(201);
    expect(stored.body).toEqual({ id: expect.stringMatching(UUID), deduplicated: false, created: true });

    const record = await gw.mem.semantic.get(stored.body.id);
    expect(record).toMatchObject({ agentId: A, scope: 'general', source: 'user_provided', metadata: { importance: 7, tags: ['prefs', 'tea'] }, createdAt: clock.now });

    const found = await gw.call('POST', '/memory/search', { query: 'green tea', agentId: A });
    expect(found.status).toBe(200);
    expect(found.body.count).toBe(1);
    const [hit] = found.body.results;
    expect(Object.keys(hit).sort()).toEqual(['category', 'content', 'createdAt', 'id', 'score']);
    expect(hit).toMatchObject({ id: stored.body.id, content: 'The user prefers green tea in the morning', category: 'general', createdAt: clock.now });
    expect(typeof hit.score).toBe('number');
  });

  it('createdAt is epoch milliseconds, and the category is the scope', async () => {
    const clock = new ManualClock(Date.UTC(2025, 0, 2, 3, 4, 5, 678));
    const gw = await startGateway({ clock: clock.fn });
    const stored = await gw.call('POST', '/memory/store', { content: 'deploys happen on Fridays', category: 'ops' });
    const found = await gw.call('POST', '/memory/search', { query: 'deploys', category: 'ops' });
    expect(found.body.results).toEqual([{ id: stored.body.id, content: 'deploys happen on Fridays', category: 'ops', score: expect.any(Number), createdAt: Date.UTC(2025, 0, 2, 3, 4, 5, 678) }]);
    const other = await gw.call('POST', '/memory/search', { query: 'deploys', category: 'elsewhere' });
    expect(other.body).toEqual({ results: [], count: 0 });
  });

  it('maps OpenFang source names and keeps unknown ones as conversation', async () => {
    const gw = await startGateway();
    const cases: [string | undefined, string][] = [
      ['conversation', 'conversation'],
      ['document', 'document'],
      ['observation', 'observation'],
      ['inference', 'inference'],
      ['userprovided', 'user_provided'],
      ['UserProvided', 'user_provided'],
      ['system', 'system'],
      ['telepathy', 'conversation'],
      [undefined, 'conversation'],
    ];
    for (const [i, [source, expected]] of cases.entries()) {
      const res = await gw.call('POST', '/memory/store', { content: `source case number ${i}`, agentId: A, ...(source ? { source } : {}) });
      expect(res.status).toBe(201);
      expect((await gw.mem.semantic.get(res.body.id))?.source).toBe(expected);
    }
  });

  it('deduplicates identical content for the same agent and category, and only there', async () => {
    const gw = await startGateway();
    const first = await gw.call('POST', '/memory/store', { content: 'Alice works at Acme', agentId: A, category: 'facts' });
    const again = await gw.call('POST', '/memory/store', { content: 'Alice works at Acme', agentId: A, category: 'facts' });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200); // nothing new was stored
    expect(again.body).toEqual({ id: first.body.id, deduplicated: true, created: false });
    expect((await gw.mem.audit.entries({})).filter((e) => e.action === 'memory.remember')).toHaveLength(1);

    const longer = await gw.call('POST', '/memory/store', { content: 'Alice works at Acme now', agentId: A, category: 'facts' });
    const otherCategory = await gw.call('POST', '/memory/store', { content: 'Alice works at Acme', agentId: A, category: 'gossip' });
    const otherAgent = await gw.call('POST', '/memory/store', { content: 'Alice works at Acme', agentId: B, category: 'facts' });
    for (const res of [longer, otherCategory, otherAgent]) {
      expect(res.status).toBe(201);
      expect(res.body.deduplicated).toBe(false);
      expect(res.body.id).not.toBe(first.body.id);
    }
    const all = await gw.mem.semantic.recall({ allAgents: true, text: 'Alice Acme', mode: 'keyword', limit: 100 });
    expect(all).toHaveLength(4);
  });

  it('concurrent identical stores store one memory', async () => {
    const gw = await startGateway();
    const results = await Promise.all(Array.from({ length: 5 }, () => gw.call('POST', '/memory/store', { content: 'racing twins', agentId: A })));
    const ids = new Set(results.map((r) => r.body.id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.body.deduplicated === false)).toHaveLength(1);
  });

  it('enforces agent scope: a search naming an agent sees only it; without one, what the token may read (G-5)', async () => {
    const gw = await startGateway();
    const a = await gw.call('POST', '/memory/store', { content: 'secret plan of agent A about rockets', agentId: A });
    const b = await gw.call('POST', '/memory/store', { content: 'secret plan of agent B about rockets', agentId: B });
    const shared = await gw.call('POST', '/memory/store', { content: 'shared note about rockets' });
    expect((await gw.mem.semantic.get(shared.body.id))?.agentId).toBe(NIL_AGENT_ID);

    const ids = async (body: object) => ((await gw.call('POST', '/memory/search', body)).body.results as { id: string }[]).map((r) => r.id).sort();
    expect(await ids({ query: 'rockets', agentId: A })).toEqual([a.body.id]);
    expect(await ids({ query: 'rockets', agentId: B })).toEqual([b.body.id]);
    // The unscoped token reads every agent: a single-tenant deployment, as OpenFang's client assumes.
    expect(await ids({ query: 'rockets' })).toEqual([a.body.id, b.body.id, shared.body.id].sort());
    expect(await ids({ query: 'rockets', agentId: '7b0c51d6-3f7e-4a51-9a3e-0c6a3f1f0aff' })).toEqual([]);
  });

  it("OpenFang's own client (v0.6.9 request shapes: stores with agentId and category, searches with query, limit, category only) recalls what it stored, through a token bound to its agent", async () => {
    const gw = await startGateway({ tokens: [
      { name: 'agent-a', token: 'token-of-agent-a', agents: [A], scopes: ['read', 'write'] },
      { name: 'agent-b', token: 'token-of-agent-b', agents: [B], scopes: ['read', 'write'] },
    ] });
    const asA = { auth: 'Bearer token-of-agent-a' };
    const asB = { auth: 'Bearer token-of-agent-b' };
    // crates/openfang-memory/src/http_client.rs: store {content, agentId, category, source, importance, tags}; search {query, limit, category}.
    const stored = await gw.call('POST', '/memory/store', { content: 'the deploy key rotates on Fridays', agentId: A, category: 'ops', source: 'conversation', importance: 5, tags: [] }, asA);
    expect(stored.status).toBe(201);
    await gw.call('POST', '/memory/store', { content: 'the deploy freeze starts in December', agentId: B, category: 'ops', source: 'conversation', importance: 5, tags: [] }, asB);
    const found = await gw.call('POST', '/memory/search', { query: 'deploy', limit: 5, category: 'ops' }, asA);
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({ count: 1, results: [{ id: stored.body.id, category: 'ops' }] });
    expect((await gw.call('POST', '/memory/search', { query: 'deploy', limit: 5, category: 'other' }, asA)).body).toMatchObject({ count: 0 });
    // A store without agentId lands under the token's agent; naming another agent is refused.
    const implicit = await gw.call('POST', '/memory/store', { content: 'implicit owner note', category: 'ops' }, asA);
    expect((await gw.mem.semantic.get(implicit.body.id))?.agentId).toBe(A);
    expect((await gw.call('POST', '/memory/search', { query: 'deploy', agentId: B }, asA)).status).toBe(403);
    expect((await gw.call('POST', '/memory/store', { content: 'x', agentId: B }, asA)).status).toBe(403);
  });

  it('search is hybrid when an embedder is configured', async () => {
    const gw = await startGateway({ embedder: new HashEmbedder(64) });
    await gw.call('POST', '/memory/store', { content: 'the cat sat on the mat', agentId: A });
    const found = await gw.call('POST', '/memory/search', { query: 'cat mat', agentId: A, limit: 3 });
    expect(found.status).toBe(200);
    expect(found.body.count).toBe(1);
    const recalled = await gw.mem.recall({ agentId: A, text: 'cat mat', explain: true });
    expect(recalled[0]?.matchedBy).toBe('hybrid');
    expect(found.body.results[0].score).toBeCloseTo(recalled[0]?.score ?? -1, 10);
  });

  it('bad OpenFang requests get 400 VALIDATION and store nothing', async () => {
    const gw = await startGateway();
    const cases = [{}, { content: 42 }, { content: '' }, { content: 'x', tags: 'not-an-array' }];
    for (const body of cases) {
      const res = await gw.call('POST', '/memory/store', body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION');
    }
    expect((await gw.call('POST', '/memory/search', { limit: 5 })).status).toBe(400);
    expect((await gw.call('POST', '/memory/search', { query: 'x', limit: 1001 })).status).toBe(400);
    expect(await gw.mem.audit.tip()).toMatchObject({ seq: 0 });
  });
});
