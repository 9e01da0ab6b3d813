import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/testing/clock.js';
import { startGateway, UUID } from './fixture.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('the /v1 API, one store family at a time', () => {
  it('memories: remember, batch, recall, get, updateEmbedding, forget, consolidation, info, health', async () => {
    const clock = new ManualClock();
    const gw = await startGateway({ clock: clock.fn });
    const one = await gw.call('POST', '/v1/memories', { agentId: 'a', content: 'the sky is blue', embedding: [1, 0, 0], metadata: { topic: 'sky' } });
    expect(one.status).toBe(201);
    expect(one.body).toEqual({ id: expect.stringMatching(UUID), created: true, updated: false });
    const batch = await gw.call('POST', '/v1/memories/batch', {
      memories: [
        { agentId: 'a', content: 'grass is green', embedding: [0, 1, 0] },
        { agentId: 'a', content: 'the sea is blue too', embedding: [0.8, 0.2, 0] },
      ],
    });
    expect(batch.status).toBe(201);
    expect(batch.body.ids).toHaveLength(2);
    expect((await gw.call('POST', '/v1/memories/batch', { memories: [{ agentId: 'a', content: 'ok' }, { agentId: 'a', content: '' }] })).status).toBe(400);

    const vector = await gw.call('POST', '/v1/memories/recall', { agentId: 'a', embedding: [1, 0, 0], limit: 2, explain: true });
    expect(vector.status).toBe(200);
    expect(vector.body.results.map((r: { memory: { id: string } }) => r.memory.id)).toEqual([one.body.id, batch.body.ids[1]]);
    expect(vector.body.results[0]).toMatchObject({ matchedBy: 'vector', memory: { agentId: 'a', content: 'the sky is blue', metadata: { topic: 'sky' }, createdAt: clock.now } });
    const keyword = await gw.call('POST', '/v1/memories/recall', { agentId: 'a', text: 'green', filter: { metadata: {} } });
    expect(keyword.body.results.map((r: { memory: { content: string } }) => r.memory.content)).toEqual(['grass is green']);
    expect((await gw.call('POST', '/v1/memories/recall', { agentId: 'a', text: 'x', filter: { colour: 'blue' } })).status).toBe(400);

    const got = await gw.call('GET', `/v1/memories/${one.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id: one.body.id, embedding: [1, 0, 0] });
    const updated = await gw.call('PUT', `/v1/memories/${one.body.id}/embedding`, { embedding: [0, 0, 1] });
    expect(updated.status).toBe(200);
    expect(updated.body).toEqual({ agentId: 'a' });
    expect((await gw.call('GET', `/v1/memories/${one.body.id}`)).body.embedding).toEqual([0, 0, 1]);
    expect((await gw.call('PUT', `/v1/memories/${one.body.id}/embedding`, { embedding: [0, 1] })).status).toBe(400);

    // PATCH changes the given fields (metadata whole) and answers the updated memory.
    clock.advance(1000);
    const patched = await gw.call('PATCH', `/v1/memories/${one.body.id}`, { content: 'the sky is violet', metadata: { hue: 'violet' }, embedding: [0, 1, 0] });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body).toMatchObject({ id: one.body.id, agentId: 'a', content: 'the sky is violet', metadata: { hue: 'violet' }, embedding: [0, 1, 0], createdAt: clock.now - 1000 });
    expect(patched.body.metadata).toEqual({ hue: 'violet' });
    const violet = await gw.call('POST', '/v1/memories/recall', { agentId: 'a', text: 'violet', mode: 'keyword' });
    expect(violet.body.results.map((r: { memory: { id: string } }) => r.memory.id)).toEqual([one.body.id]);
    const unknownKey = await gw.call('PATCH', `/v1/memories/${one.body.id}`, { contnet: 'typo' });
    expect(unknownKey.status).toBe(400);
    expect(unknownKey.text).toContain('contnet');
    expect((await gw.call('PATCH', `/v1/memories/${one.body.id}`, {})).status).toBe(400);
    expect((await gw.call('PATCH', `/v1/memories/${one.body.id}`, { confidence: 2 })).status).toBe(400);
    expect((await gw.call('PATCH', '/v1/memories/00000000-0000-4000-8000-000000000000', { content: 'x' })).status).toBe(404);

    expect((await gw.call('DELETE', `/v1/memories/${one.body.id}`)).body).toEqual({ deleted: true, agentId: 'a' });
    expect((await gw.call('DELETE', `/v1/memories/${one.body.id}`)).body).toEqual({ deleted: false });
    expect((await gw.call('GET', `/v1/memories/${one.body.id}`)).status).toBe(404);

    clock.advance(8 * DAY);
    const dry = await gw.call('POST', '/v1/consolidation', { dryRun: true });
    expect(dry.body).toMatchObject({ decayed: 2, merged: 0, dryRun: true });
    const real = await gw.call('POST', '/v1/consolidation');
    expect(real.body).toMatchObject({ decayed: 2, dryRun: false });

    expect((await gw.call('GET', '/v1/info')).body).toEqual({ ...JSON.parse(JSON.stringify(gw.mem.info)), wireFeatures: ['embeddingF32'] });
    expect((await gw.call('GET', '/v1/info')).body).toMatchObject({ backend: 'sqlite', semanticBackend: 'sqlite', embedding: { provider: 'none' } });
    const health = await gw.call('GET', '/v1/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ ok: true, backends: [{ name: 'main:sqlite', ok: true }, { name: 'semantic:sqlite', ok: true }] });

    // Every mutation through the gateway is audited there, once.
    const actions = (await gw.mem.audit.entries({ limit: 100 })).map((e) => e.action);
    expect(actions).toEqual(['memory.remember', 'memory.remember_many', 'memory.update_embedding', 'memory.update', 'memory.forget', 'memory.consolidate']);
  });

  it('memories: count, list by filter with a cursor, and one agent\'s memories by GET', async () => {
    const clock = new ManualClock();
    const gw = await startGateway({ clock: clock.fn });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      clock.advance(1000);
      ids.push((await gw.call('POST', '/v1/memories', { agentId: 'a', content: `note ${i}`, metadata: { n: i, tags: i === 2 ? ['x'] : [] } })).body.id);
    }
    await gw.call('POST', '/v1/memories', { agentId: 'b', content: 'other agent' });
    expect((await gw.call('POST', '/v1/memories/count', { agentId: 'a' })).body).toEqual({ count: 3 });
    expect((await gw.call('POST', '/v1/memories/count', { allAgents: true })).body).toEqual({ count: 4 });
    expect((await gw.call('POST', '/v1/memories/count', { agentId: 'a', filter: { where: { 'metadata.n': { $gte: 1 } } } })).body).toEqual({ count: 2 });
    expect((await gw.call('POST', '/v1/memories/count', { agentId: 'a', filter: { where: { 'metadata.tags': 'x' } } })).body).toEqual({ count: 1 });

    const first = await gw.call('GET', '/v1/agents/a/memories?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.items.map((m: { id: string }) => m.id)).toEqual([ids[2], ids[1]]);
    expect(typeof first.body.nextCursor).toBe('string');
    const second = await gw.call('GET', `/v1/agents/a/memories?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`);
    expect(second.body.items.map((m: { id: string }) => m.id)).toEqual([ids[0]]);
    expect(second.body.nextCursor).toBeUndefined();
    const oldest = await gw.call('POST', '/v1/memories/list', { agentId: 'a', orderBy: 'createdAt', limit: 1, filter: { where: { 'metadata.n': { $in: [1, 2] } } } });
    expect(oldest.body.items.map((m: { id: string }) => m.id)).toEqual([ids[1]]);

    // Strict input: an unknown query key, an unknown operator, a bad cursor.
    const unknownKey = await gw.call('GET', '/v1/agents/a/memories?limt=2');
    expect(unknownKey.status).toBe(400);
    expect(unknownKey.text).toMatch(/limt/);
    const badOp = await gw.call('POST', '/v1/memories/list', { agentId: 'a', filter: { where: { 'metadata.n': { $gtt: 1 } } } });
    expect(badOp.status).toBe(400);
    expect(badOp.text).toMatch(/\$gtt/);
    expect((await gw.call('GET', '/v1/agents/a/memories?cursor=nonsense')).status).toBe(400);
  });

  it('kv and the agent registry', async () => {
    const gw = await startGateway();
    const key = 'prefs/colour?#%';
    const path = `/v1/agents/a/kv/${encodeURIComponent(key)}`;
    expect((await gw.call('PUT', path, { value: { colour: 'teal', n: [1, 2] } })).status).toBe(204);
    expect((await gw.call('PUT', path, { value: null })).status).toBe(204);
    expect((await gw.call('GET', path)).body).toEqual({ key, value: null });
    expect((await gw.call('GET', '/v1/agents/a/kv')).body).toEqual({ entries: [{ key, value: null, version: 2, updatedAt: expect.any(Number) }] });
    expect((await gw.call('GET', `/v1/agents/b/kv/${encodeURIComponent(key)}`)).status).toBe(404);
    expect((await gw.call('GET', '/v1/agents/b/kv')).body).toEqual({ entries: [] });
    expect((await gw.call('PUT', path, {})).status).toBe(400);
    const long = encodeURIComponent('k'.repeat(1024));
    expect((await gw.call('PUT', `/v1/agents/a/kv/${long}`, { value: 1 })).status).toBe(204);
    expect((await gw.call('DELETE', path)).body).toEqual({ deleted: true });
    expect((await gw.call('DELETE', path)).body).toEqual({ deleted: false });

    const entry = { name: 'Scout', tags: ['x'], parent: null, mode: { fast: true } };
    expect((await gw.call('PUT', '/v1/agents/agent-1', entry)).status).toBe(204);
    expect((await gw.call('GET', '/v1/agents/agent-1')).body).toEqual({ id: 'agent-1', ...entry });
    expect((await gw.call('PUT', '/v1/agents/agent-1', { id: 'agent-2', name: 'x' })).status).toBe(400);
    expect((await gw.call('GET', '/v1/agents')).body.agents.map((a: { id: string }) => a.id)).toEqual(['agent-1']);
    expect((await gw.call('DELETE', '/v1/agents/agent-1')).body).toEqual({ deleted: true });
    expect((await gw.call('GET', '/v1/agents/agent-1')).status).toBe(404);
    expect((await gw.mem.audit.entries({ limit: 100 })).map((e) => e.action)).toEqual(['kv.set', 'kv.set', 'kv.set', 'kv.delete', 'agent.save', 'agent.remove']);
  });

  it('knowledge: entities, relations, graph queries', async () => {
    const gw = await startGateway();
    const alice = await gw.call('POST', '/v1/entities', { agentId: 'a', entityType: 'person', name: 'Alice', properties: { age: 30 } });
    const acme = await gw.call('POST', '/v1/entities', { agentId: 'a', entityType: 'organization', name: 'Acme' });
    const city = await gw.call('POST', '/v1/entities', { agentId: 'a', entityType: 'location', name: 'Lyon' });
    expect(alice.status).toBe(201);
    expect((await gw.call('GET', `/v1/entities/${alice.body.id}`)).body).toMatchObject({ id: alice.body.id, name: 'Alice', properties: { age: 30 } });
    expect((await gw.call('POST', '/v1/relations', { agentId: 'a', source: alice.body.id, relation: 'works_at', target: acme.body.id })).status).toBe(201);
    expect((await gw.call('POST', '/v1/relations', { agentId: 'a', source: acme.body.id, relation: 'located_in', target: city.body.id })).status).toBe(201);
    expect((await gw.call('POST', '/v1/relations', { agentId: 'b', source: alice.body.id, relation: 'knows_about', target: acme.body.id })).status).toBe(400);

    const one = await gw.call('POST', '/v1/graph/query', { agentId: 'a', source: 'Alice' });
    expect(one.body.matches.map((m: { target: { name: string } }) => m.target.name)).toEqual(['Acme']);
    const two = await gw.call('POST', '/v1/graph/query', { agentId: 'a', source: 'Alice', maxDepth: 2 });
    expect(two.body.matches.map((m: { target: { name: string }; depth: number }) => [m.target.name, m.depth])).toEqual([['Acme', 1], ['Lyon', 2]]);
    expect((await gw.call('POST', '/v1/graph/query', { agentId: 'b', source: 'Alice', maxDepth: 2 })).body.matches).toEqual([]);
    expect((await gw.call('POST', '/v1/graph/query', { agentId: 'a', maxDepth: 17 })).status).toBe(400);

    expect((await gw.call('DELETE', `/v1/entities/${acme.body.id}`)).body).toEqual({ deleted: true });
    expect((await gw.call('POST', '/v1/graph/query', { agentId: 'a', source: 'Alice', maxDepth: 2 })).body.matches).toEqual([]);
    expect((await gw.call('GET', `/v1/entities/${acme.body.id}`)).status).toBe(404);
  });

  it('knowledge: unique names, upsert, find, endpoints by name, paged lists, relationFilter', async () => {
    const gw = await startGateway();
    const ada = await gw.call('POST', '/v1/entities', { agentId: 'a', entityType: 'person', name: 'Ada' });
    expect(ada.status).toBe(201);
    const dup = await gw.call('POST', '/v1/entities', { agentId: 'a', entityType: 'person', name: 'Ada' });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('CONFLICT');
    expect((await gw.call('POST', '/v1/entities', { agentId: 'a', entityType: 'bad type', name: 'x' })).status).toBe(400);
    const up1 = await gw.call('POST', '/v1/entities/upsert', { agentId: 'a', entityType: 'software:lib', name: 'zod', properties: { v: 1 } });
    expect(up1.status).toBe(200);
    expect(up1.body).toEqual({ id: expect.any(String), created: true });
    expect((await gw.call('POST', '/v1/entities/upsert', { agentId: 'a', entityType: 'software:lib', name: 'zod', properties: { w: 2 } })).body).toEqual({ id: up1.body.id, created: false });
    expect((await gw.call('GET', `/v1/entities/${up1.body.id}`)).body.properties).toEqual({ v: 1, w: 2 });
    expect((await gw.call('POST', '/v1/entities/upsert', { agentId: 'a', entityType: 'person', name: 'x', id: 'no' })).status).toBe(400);

    const found = await gw.call('POST', '/v1/entities/find', { agentId: 'a', name: 'ADA', caseInsensitive: true });
    expect(found.body.entities.map((e: { id: string }) => e.id)).toEqual([ada.body.id]);
    expect((await gw.call('POST', '/v1/entities/find', { agentId: 'a', name: 'ADA' })).body.entities).toEqual([]);

    const rel = await gw.call('POST', '/v1/relations', { agentId: 'a', source: { name: 'Ada' }, relation: 'uses', target: { name: 'zod', entityType: 'software:lib' } });
    expect(rel.status).toBe(201);
    await gw.call('POST', '/v1/entities', { agentId: 'a', entityType: 'tool', name: 'zod' });
    const ambiguous = await gw.call('POST', '/v1/relations', { agentId: 'a', source: ada.body.id, relation: 'uses', target: { name: 'zod' } });
    expect(ambiguous.status).toBe(400);
    expect(ambiguous.text).toMatch(/several entities/);
    expect((await gw.call('POST', '/v1/relations', { agentId: 'a', source: { name: 'Ada', extra: 1 }, relation: 'uses', target: ada.body.id })).status).toBe(400);

    const page1 = await gw.call('GET', '/v1/entities?agentId=a&limit=2');
    expect(page1.status).toBe(200);
    expect(page1.body.items.map((e: { name: string }) => e.name)).toEqual(['Ada', 'zod']);
    const page2 = await gw.call('GET', `/v1/entities?agentId=a&limit=2&cursor=${page1.body.nextCursor}`);
    expect(page2.body).toEqual({ items: [expect.objectContaining({ entityType: 'tool', name: 'zod' })] });
    expect((await gw.call('GET', '/v1/entities?agentId=a&entityType=person')).body.items.map((e: { name: string }) => e.name)).toEqual(['Ada']);
    expect((await gw.call('GET', '/v1/entities?agentId=a&limit=1001')).status).toBe(400);
    expect((await gw.call('GET', '/v1/entities?agentId=a&cursor=bogus')).status).toBe(400);
    const rels = await gw.call('GET', `/v1/relations?agentId=a&source=${ada.body.id}&relation=uses`);
    expect(rels.body).toEqual({ items: [expect.objectContaining({ id: rel.body.id, source: ada.body.id, target: up1.body.id })] });
    expect((await gw.call('GET', '/v1/relations?agentId=a&relation=works_at')).body).toEqual({ items: [] });
    expect((await gw.call('GET', '/v1/relations?agentId=a&sauce=x')).status).toBe(400);

    expect((await gw.call('POST', '/v1/graph/query', { agentId: 'a', source: 'Ada', relation: 'uses', relationFilter: 'last_hop' })).body.matches).toHaveLength(1);
    expect((await gw.call('POST', '/v1/graph/query', { agentId: 'a', relationFilter: 'first_hop' })).status).toBe(400);
    expect((await gw.mem.audit.entries({ limit: 100 })).map((e) => e.action)).toEqual([
      'knowledge.add_entity', 'knowledge.upsert_entity', 'knowledge.upsert_entity', 'knowledge.add_relation', 'knowledge.add_entity',
    ]);
  });

  it('sessions and the canonical session', async () => {
    const gw = await startGateway();
    const created = await gw.call('POST', '/v1/sessions', { agentId: 'a', label: 'main' });
    expect(created.status).toBe(201);
    const session = created.body;
    expect(session).toMatchObject({ agentId: 'a', label: 'main', messages: [] });
    const messages = [
      { role: 'user', content: 'hello' },
      { role: 'assistant', content: [{ type: 'text', text: 'hi' }, { type: 'tool_use', id: 't1', name: 'search', input: { q: 'x' } }] },
    ];
    expect((await gw.call('PUT', `/v1/sessions/${session.id}`, { ...session, messages })).status).toBe(204);
    expect((await gw.call('GET', `/v1/sessions/${session.id}`)).body.messages).toEqual(messages);
    expect((await gw.call('PUT', `/v1/sessions/${session.id}`, { ...session, messages: [{ role: 'robot', content: 'x' }] })).status).toBe(400);
    expect((await gw.call('GET', '/v1/agents/a/sessions/by-label/main')).body.id).toBe(session.id);
    expect((await gw.call('PUT', `/v1/sessions/${session.id}/label`, { label: null })).status).toBe(204);
    expect((await gw.call('GET', '/v1/agents/a/sessions/by-label/main')).status).toBe(404);
    expect((await gw.call('PUT', '/v1/sessions/nope/label', { label: 'x' })).status).toBe(404);
    await gw.call('POST', '/v1/sessions', { agentId: 'b' });
    expect((await gw.call('GET', '/v1/sessions')).body.sessions).toHaveLength(2);
    expect((await gw.call('GET', '/v1/agents/a/sessions')).body.sessions).toEqual([expect.objectContaining({ id: session.id, messageCount: 2 })]);
    expect((await gw.call('DELETE', '/v1/agents/a/sessions')).body).toEqual({ deleted: 1 });
    expect((await gw.call('DELETE', `/v1/sessions/${session.id}`)).body).toEqual({ deleted: false });

    expect((await gw.call('GET', '/v1/agents/a/canonical')).body).toMatchObject({ agentId: 'a', messages: [], compactionCursor: 0 });
    const appended = await gw.call('POST', '/v1/agents/a/canonical/messages', { messages: Array.from({ length: 5 }, (_, i) => ({ role: 'user', content: `m${i}` })), threshold: 3 });
    expect(appended.status).toBe(200);
    expect(appended.body.agentId).toBe('a');
    const context = await gw.call('GET', '/v1/agents/a/canonical/context?window=2');
    expect(context.body.messages).toHaveLength(2);
    expect((await gw.call('PUT', '/v1/agents/a/canonical/summary', { summary: 'they said hello', keptMessages: [{ role: 'user', content: 'last' }] })).status).toBe(204);
    expect((await gw.call('GET', '/v1/agents/a/canonical/context')).body).toEqual({ summary: 'they said hello', messages: [{ role: 'user', content: 'last' }] });
    expect((await gw.call('PUT', '/v1/agents/a/canonical', { messages: [{ role: 'user', content: 'reset' }], compactionCursor: 0 })).status).toBe(204);
    expect((await gw.call('GET', '/v1/agents/a/canonical')).body.messages).toEqual([{ role: 'user', content: 'reset' }]);
    expect((await gw.call('PUT', '/v1/agents/a/canonical', { agentId: 'b', messages: [] })).status).toBe(400);
    expect((await gw.call('DELETE', '/v1/agents/a/canonical')).body).toEqual({ deleted: true });
  });

  it('usage: record and every query', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 21, 12, 0, 0));
    const gw = await startGateway({ clock: clock.fn });
    const rec = await gw.call('POST', '/v1/usage', { agentId: 'a', model: 'm1', inputTokens: 10, outputTokens: 5, costUsd: 1.5, toolCalls: 2 });
    expect(rec.status).toBe(201);
    await gw.call('POST', '/v1/usage', { agentId: 'b', model: 'm2', inputTokens: 1, outputTokens: 1, costUsd: 0.25, timestamp: clock.now - 2 * HOUR });
    await gw.call('POST', '/v1/usage', { agentId: 'a', model: 'm1', inputTokens: 1, outputTokens: 1, costUsd: 4, timestamp: clock.now - 3 * DAY });

    expect((await gw.call('GET', '/v1/usage/cost/last-hour')).body).toEqual({ costUsd: 1.5 });
    expect((await gw.call('GET', '/v1/usage/cost/today')).body).toEqual({ costUsd: 1.75 });
    expect((await gw.call('GET', '/v1/usage/cost/today?agentId=b')).body).toEqual({ costUsd: 0.25 });
    expect((await gw.call('GET', '/v1/usage/cost/this-month')).body).toEqual({ costUsd: 5.75 });
    expect((await gw.call('GET', '/v1/usage/summary?agentId=a')).body).toEqual({ totalInputTokens: 11, totalOutputTokens: 6, totalCostUsd: 5.5, callCount: 2, totalToolCalls: 2 });
    expect((await gw.call('GET', '/v1/usage/by-model')).body.models.map((m: { model: string }) => m.model)).toEqual(['m1', 'm2']);
    const daily = await gw.call('GET', '/v1/usage/daily?days=4');
    expect(daily.body.days).toHaveLength(4);
    expect(daily.body.days[0]).toEqual({ date: '2026-11-18', costUsd: 4, tokens: 2, calls: 1 });
    expect((await gw.call('GET', '/v1/usage/daily?days=0')).status).toBe(400);
    expect((await gw.call('GET', '/v1/usage/first-event')).body).toEqual({ firstEventAt: clock.now - 3 * DAY });
    expect((await gw.call('POST', '/v1/usage/cleanup', { olderThanDays: 1 })).body).toEqual({ deleted: 1 });
    expect((await gw.call('POST', '/v1/usage', { agentId: 'a', model: 'm', inputTokens: -1, outputTokens: 0, costUsd: 0 })).status).toBe(400);
  });

  it('devices', async () => {
    const gw = await startGateway();
    const device = { displayName: 'Phone', platform: 'ios', pairedAt: 1000, lastSeen: 2000, pushToken: 'push-1' };
    expect((await gw.call('PUT', '/v1/devices/d1', device)).status).toBe(204);
    expect((await gw.call('GET', '/v1/devices')).body).toEqual({ devices: [{ deviceId: 'd1', ...device }] });
    expect((await gw.call('PUT', '/v1/devices/d1', { ...device, pushToken: null })).status).toBe(204);
    expect((await gw.call('GET', '/v1/devices')).body.devices[0].pushToken ?? null).toBeNull();
    expect((await gw.call('PUT', '/v1/devices/d1', { ...device, deviceId: 'd2' })).status).toBe(400);
    expect((await gw.call('DELETE', '/v1/devices/d1')).body).toEqual({ deleted: true });
    expect((await gw.call('GET', '/v1/devices')).body).toEqual({ devices: [] });
  });

  it('tasks: post, claim, heartbeat, fail, complete, get, list', async () => {
    const clock = new ManualClock();
    const gw = await startGateway({ clock: clock.fn });
    const posted = await gw.call('POST', '/v1/tasks', { title: 'index the docs', priority: 5, assignedTo: 'w1', maxAttempts: 2 });
    expect(posted.status).toBe(201);
    expect((await gw.call('POST', '/v1/tasks/claim', { agentId: 'w2' })).body).toEqual({ task: null });
    const claim = await gw.call('POST', '/v1/tasks/claim', { agentId: 'w1', leaseMs: 1000 });
    expect(claim.body.task).toMatchObject({ id: posted.body.id, status: 'in_progress', claimedBy: 'w1', token: expect.any(String), leaseExpiresAt: clock.now + 1000 });
    const token = claim.body.task.token as string;
    const beat = await gw.call('POST', `/v1/tasks/${posted.body.id}/heartbeat`, { token, leaseMs: 5000 });
    expect(beat.body).toEqual({ leaseExpiresAt: clock.now + 5000 });
    expect((await gw.call('POST', `/v1/tasks/${posted.body.id}/fail`, { token, error: 'flaky' })).body).toEqual({ status: 'pending' });
    const again = await gw.call('POST', '/v1/tasks/claim', { agentId: 'w1' });
    expect((await gw.call('POST', `/v1/tasks/${posted.body.id}/complete`, { token, result: 1 })).status).toBe(409);
    expect((await gw.call('POST', `/v1/tasks/${posted.body.id}/complete`, { token: again.body.task.token, result: { pages: 3 } })).status).toBe(204);
    expect((await gw.call('GET', `/v1/tasks/${posted.body.id}`)).body).toMatchObject({ status: 'completed', result: { pages: 3 }, attempts: 2 });
    expect((await gw.call('GET', '/v1/tasks/nope')).status).toBe(404);
    await gw.call('POST', '/v1/tasks', { title: 'second' });
    expect((await gw.call('GET', '/v1/tasks?status=completed')).body.tasks.map((t: { id: string }) => t.id)).toEqual([posted.body.id]);
    expect((await gw.call('GET', '/v1/tasks?limit=1')).body.tasks).toHaveLength(1);
    expect((await gw.call('GET', '/v1/tasks?status=lost')).status).toBe(400);
  });

  it('audit: entries, tip, verify', async () => {
    const gw = await startGateway();
    expect((await gw.call('GET', '/v1/audit/tip')).body).toEqual({ seq: 0, hash: '0'.repeat(64) });
    await gw.call('PUT', '/v1/agents/a/kv/k', { value: 1 });
    await gw.call('PUT', '/v1/agents/b/kv/k', { value: 2 });
    await gw.call('POST', '/v1/memories', { agentId: 'a', content: 'audited' });
    const entries = await gw.call('GET', '/v1/audit/entries');
    expect(entries.body.entries.map((e: { seq: number; action: string }) => [e.seq, e.action])).toEqual([[1, 'kv.set'], [2, 'kv.set'], [3, 'memory.remember']]);
    expect((await gw.call('GET', '/v1/audit/entries?agentId=a')).body.entries.map((e: { seq: number }) => e.seq)).toEqual([1, 3]);
    expect((await gw.call('GET', '/v1/audit/entries?after=1&limit=1')).body.entries.map((e: { seq: number }) => e.seq)).toEqual([2]);
    const tip = await gw.call('GET', '/v1/audit/tip');
    expect(tip.body).toEqual({ seq: 3, hash: entries.body.entries[2].hash });
    expect((await gw.call('GET', '/v1/audit/verify')).body).toEqual({ ok: true, entries: 3, tipHash: tip.body.hash });
  });

  it('agent isolation across /v1: recall, kv and graph only see the named agent', async () => {
    const gw = await startGateway();
    const a = await gw.call('POST', '/v1/memories', { agentId: 'agent-a', content: 'launch codes are 1234' });
    const b = await gw.call('POST', '/v1/memories', { agentId: 'agent-b', content: 'launch codes are 5678' });
    const ids = async (body: object) => (await gw.call('POST', '/v1/memories/recall', body)).body.results.map((r: { memory: { id: string } }) => r.memory.id);
    expect(await ids({ agentId: 'agent-a', text: 'launch codes' })).toEqual([a.body.id]);
    expect(await ids({ agentId: 'agent-b', text: 'launch codes' })).toEqual([b.body.id]);
    expect(await ids({ agentId: 'agent-c', text: 'launch codes' })).toEqual([]);
    expect((await ids({ allAgents: true, text: 'launch codes' })).sort()).toEqual([a.body.id, b.body.id].sort());
    expect((await gw.call('POST', '/v1/memories/recall', { text: 'launch codes' })).status).toBe(400);
    expect((await gw.call('POST', '/v1/memories/recall', { agentId: 'agent-a', allAgents: true, text: 'x' })).status).toBe(400);

    await gw.call('PUT', '/v1/agents/agent-a/kv/secret', { value: 'a' });
    expect((await gw.call('GET', '/v1/agents/agent-b/kv/secret')).status).toBe(404);
    expect((await gw.call('GET', '/v1/agents/agent-b/kv')).body.entries).toEqual([]);
  });
});
