import { describe, expect, it } from 'vitest';
import { startGateway, TOKEN } from './fixture.js';
import { figure } from '../helpers/figure.js';

/**
 * Scoped tokens (`[[server.tokens]]`, src/server/access.ts) on every route of the OpenAPI document:
 * each route's scope is enforced before its request is even parsed, the agents a request names are
 * checked, records of other agents are invisible (404) and never changed, and cross-agent routes
 * need an admin token for every agent.
 */
const A = '7b0c51d6-3f7e-4a51-9a3e-0c6a3f1f0a0a';
const B = '7b0c51d6-3f7e-4a51-9a3e-0c6a3f1f0a0b';
const TOKENS = [
  { name: 'a-rw', token: 'token-a-read-write', agents: [A], scopes: ['read', 'write'] as const },
  { name: 'a-r', token: 'token-a-read-only', agents: [A], scopes: ['read'] as const },
  { name: 'a-w', token: 'token-a-write-only', agents: [A], scopes: ['write'] as const },
  { name: 'a-admin', token: 'token-a-admin-limited', agents: [A], scopes: ['read', 'write', 'admin'] as const },
  { name: 'ops', token: 'token-ops-every-agent', agents: ['*'], scopes: ['read', 'write', 'admin'] as const },
];
const as = (name: string) => ({ auth: `Bearer ${TOKENS.find((t) => t.name === name)?.token}` });

interface Operation {
  method: string;
  path: string;
  access: string;
}

async function operations(gw: Awaited<ReturnType<typeof startGateway>>): Promise<Operation[]> {
  const doc = (await gw.call('GET', '/v1/openapi.json')).body as { paths: Record<string, Record<string, { 'x-memstrate-access'?: string }>> };
  const out: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const concrete = path.replace(/\{agentId\}/g, A).replace(/\{id\}/g, '00000000-0000-0000-0000-00000000000f').replace(/\{(\w+)\}/g, 'x');
      out.push({ method: method.toUpperCase(), path: concrete, access: String(op['x-memstrate-access']) });
    }
  }
  return out;
}

describe('scoped tokens', () => {
  it('every operation declares its access; each refuses a token without its scope (403, before parsing) — on every route', async (context) => {
    const gw = await startGateway({ tokens: TOKENS.map((t) => ({ ...t, agents: [...t.agents], scopes: [...t.scopes] })) });
    const ops = await operations(gw);
    expect(ops.length).toBeGreaterThan(50);
    const refused: string[] = [];
    let checks = 0;
    for (const op of ops) {
      expect(op.access, `${op.method} ${op.path}`).toMatch(/^(public|admin|read|write)( \(owner\))?$/);
      const lacking = op.access === 'admin' ? ['a-rw', 'a-admin'] : op.access.startsWith('read') ? ['a-w'] : op.access.startsWith('write') ? ['a-r'] : [];
      for (const token of lacking) {
        checks++;
        const res = await gw.call(op.method, op.path, op.method === 'GET' || op.method === 'DELETE' ? undefined : {}, as(token));
        if (res.status !== 403 || (res.body as { error?: { code?: string } }).error?.code !== 'FORBIDDEN') refused.push(`${op.method} ${op.path} with ${token}: ${res.status}`);
      }
    }
    expect(refused).toEqual([]);
    figure(context, `scoped tokens: ${ops.length} operations, ${checks} requests with a token lacking the scope, ${refused.length} not refused with 403`);
    // The public route needs no token; an unknown token is 401 everywhere else.
    expect((await gw.call('GET', '/health', undefined, { auth: false })).status).toBe(200);
    expect((await gw.call('GET', '/v1/info', undefined, { auth: 'Bearer nope' })).status).toBe(401);
  }, 60_000);

  it('a token bound to one agent reads and writes that agent only; other agents are 403 by name and 404 by record id', async () => {
    const gw = await startGateway({ tokens: TOKENS.map((t) => ({ ...t, agents: [...t.agents], scopes: [...t.scopes] })) });
    // Data of both agents, written with the unscoped token.
    for (const agent of [A, B]) await gw.call('PUT', `/v1/agents/${agent}/kv/k`, { value: agent });
    const memB = (await gw.call('POST', '/v1/memories', { agentId: B, content: 'agent b private memory' })).body.id as string;
    const memA = (await gw.call('POST', '/v1/memories', { agentId: A, content: 'agent a own memory' })).body.id as string;
    const entB = (await gw.call('POST', '/v1/entities', { agentId: B, entityType: 'person', name: 'Bob' })).body.id as string;
    const sesB = (await gw.call('POST', '/v1/sessions', { agentId: B })).body.id as string;

    expect((await gw.call('GET', `/v1/agents/${A}/kv/k`, undefined, as('a-rw'))).body).toMatchObject({ value: A });
    expect((await gw.call('PUT', `/v1/agents/${A}/kv/k2`, { value: 1 }, as('a-rw'))).status).toBeLessThan(300);
    expect((await gw.call('GET', `/v1/agents/${B}/kv/k`, undefined, as('a-rw'))).status).toBe(403);
    expect((await gw.call('PUT', `/v1/agents/${B}/kv/k`, { value: 'overwritten' }, as('a-rw'))).status).toBe(403);
    expect((await gw.call('PUT', `/v1/agents/${A}/kv/k3`, { value: 1 }, as('a-r'))).status).toBe(403);
    expect(await gw.mem.structured.get(B, 'k')).toBe(B);

    // Records by id: another agent's are invisible and untouched.
    expect((await gw.call('GET', `/v1/memories/${memB}`, undefined, as('a-rw'))).status).toBe(404);
    expect((await gw.call('GET', `/v1/memories/${memA}`, undefined, as('a-rw'))).status).toBe(200);
    expect((await gw.call('DELETE', `/v1/memories/${memB}`, undefined, as('a-rw'))).body).toEqual({ deleted: false });
    expect((await gw.call('PUT', `/v1/memories/${memB}/embedding`, { embedding: [1, 0] }, as('a-rw'))).status).toBe(404);
    const patchedB = await gw.call('PATCH', `/v1/memories/${memB}`, { content: 'overwritten by a', metadata: { by: 'a' } }, as('a-rw'));
    expect(patchedB.status).toBe(404);
    expect(patchedB.body).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect(await gw.mem.semantic.get(memB)).toMatchObject({ content: 'agent b private memory', metadata: {} });
    expect((await gw.call('PATCH', `/v1/memories/${memA}`, { content: 'agent a own memory, edited' }, as('a-r'))).status).toBe(403);
    const patchedA = await gw.call('PATCH', `/v1/memories/${memA}`, { metadata: { edited: true } }, as('a-rw'));
    expect(patchedA.status).toBe(200);
    expect(patchedA.body).toMatchObject({ id: memA, agentId: A, content: 'agent a own memory', metadata: { edited: true } });
    expect(await gw.mem.semantic.get(memB)).toBeDefined();
    expect((await gw.call('GET', `/v1/entities/${entB}`, undefined, as('a-rw'))).status).toBe(404);
    expect((await gw.call('DELETE', `/v1/entities/${entB}`, undefined, as('a-rw'))).body).toEqual({ deleted: false });
    // The graph's by-agent routes: another agent is 403; a read-only token cannot upsert.
    expect((await gw.call('GET', `/v1/entities?agentId=${B}`, undefined, as('a-rw'))).status).toBe(403);
    expect((await gw.call('GET', `/v1/relations?agentId=${B}`, undefined, as('a-rw'))).status).toBe(403);
    expect((await gw.call('POST', '/v1/entities/find', { agentId: B, name: 'Bob' }, as('a-rw'))).status).toBe(403);
    expect((await gw.call('POST', '/v1/entities/upsert', { agentId: B, entityType: 'person', name: 'Bob', properties: { x: 1 } }, as('a-rw'))).status).toBe(403);
    expect((await gw.call('POST', '/v1/entities/upsert', { agentId: A, entityType: 'person', name: 'Al' }, as('a-r'))).status).toBe(403);
    expect((await gw.call('GET', `/v1/entities?agentId=${A}`, undefined, as('a-r'))).body).toEqual({ items: [] });
    expect((await gw.mem.knowledge.getEntity(entB))?.properties).toEqual({});
    expect((await gw.call('GET', `/v1/sessions/${sesB}`, undefined, as('a-rw'))).status).toBe(404);
    expect((await gw.call('DELETE', `/v1/sessions/${sesB}`, undefined, as('a-rw'))).body).toEqual({ deleted: false });
    expect(await gw.mem.sessions.get(sesB)).toBeDefined();

    // Recall: its own agent, never allAgents; a batch naming another agent is refused whole.
    const recalled = await gw.call('POST', '/v1/memories/recall', { agentId: A, text: 'memory', mode: 'keyword' }, as('a-rw'));
    expect(recalled.body.results.map((r: { memory: { id: string } }) => r.memory.id)).toEqual([memA]);
    expect((await gw.call('POST', '/v1/memories/recall', { allAgents: true, text: 'memory', mode: 'keyword' }, as('a-admin'))).status).toBe(403);
    const all = await gw.call('POST', '/v1/memories/recall', { allAgents: true, text: 'memory', mode: 'keyword' }, as('ops'));
    expect(all.body, all.text).toHaveProperty('results');
    expect(all.body.results).toHaveLength(2);
    expect((await gw.call('POST', '/v1/memories/batch', { memories: [{ agentId: A, content: 'x' }, { agentId: B, content: 'y' }] }, as('a-rw'))).status).toBe(403);
    // Audit entries span every agent: admin for every agent only.
    expect((await gw.call('GET', '/v1/audit/entries', undefined, as('ops'))).status).toBe(200);
    expect((await gw.call('GET', '/v1/audit/entries', undefined, as('a-admin'))).status).toBe(403);
    // The unscoped [server] token_env token still does everything.
    expect((await gw.call('GET', '/v1/audit/entries', undefined, { auth: `Bearer ${TOKEN}` })).status).toBe(200);
  }, 60_000);
});
