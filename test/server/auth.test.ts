import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { MemorySubstrate } from '../../src/index.js';
import { createGateway } from '../../src/server/app.js';
import { bearerMatches } from '../../src/server/auth.js';
import { silentLogger, startGateway, TOKEN, type GatewayUnderTest } from './fixture.js';

const AGENT = 'auth-agent';

/** Everything a rejected request could have touched. */
async function snapshot(gw: GatewayUnderTest): Promise<unknown> {
  return {
    memories: (await gw.mem.semantic.recall({ allAgents: true, text: 'intruder', mode: 'keyword', limit: 100 })).length,
    kv: await gw.mem.structured.list(AGENT),
    tasks: await gw.mem.tasks.list(),
    audit: await gw.mem.audit.tip(),
    agents: await gw.mem.structured.listAgents(),
  };
}

/** Writes that must all be refused without the right token. */
const WRITES: [string, string, unknown][] = [
  ['POST', '/memory/store', { content: 'intruder was here', agentId: AGENT }],
  ['POST', '/v1/memories', { agentId: AGENT, content: 'intruder was here' }],
  ['PUT', `/v1/agents/${AGENT}/kv/k`, { value: 'intruder' }],
  ['PUT', `/v1/agents/${AGENT}`, { name: 'intruder' }],
  ['POST', '/v1/tasks', { title: 'intruder task' }],
];

describe('bearer auth', () => {
  it('rejects requests without a token with 401 UNAUTHORIZED and touches nothing', async () => {
    const gw = await startGateway();
    const before = await snapshot(gw);
    for (const [method, path, body] of WRITES) {
      const res = await gw.call(method, path, body, { auth: false });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
    }
    for (const path of ['/v1/info', '/v1/health', '/v1/openapi.json', `/v1/agents/${AGENT}/kv`, '/v1/no-such-route']) {
      expect((await gw.call('GET', path, undefined, { auth: false })).status).toBe(401);
    }
    expect(await snapshot(gw)).toEqual(before);
  });

  it('rejects a wrong token, a wrong scheme and a token of another length', async () => {
    const gw = await startGateway();
    const before = await snapshot(gw);
    const headers = [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, 'Bearer ', `Basic ${TOKEN}`, TOKEN, `Bearer ${TOKEN} extra`, 'Bearer wrong'];
    for (const authorization of headers) {
      for (const [method, path, body] of WRITES) {
        const res = await gw.call(method, path, body, { auth: authorization });
        expect(res.status, `${authorization} ${method} ${path}`).toBe(401);
        expect(res.body.error.code).toBe('UNAUTHORIZED');
      }
    }
    expect(await snapshot(gw)).toEqual(before);
  });

  it('ignores a token in the query string (still 401, nothing written)', async () => {
    const gw = await startGateway();
    const before = await snapshot(gw);
    for (const param of ['token', 'access_token', 'api_key', 'authorization']) {
      for (const [method, path, body] of WRITES) {
        const res = await gw.call(method, `${path}?${param}=${encodeURIComponent(TOKEN)}`, body, { auth: false });
        expect(res.status).toBe(401);
        expect(res.text).not.toContain(TOKEN);
      }
      const bearer = await gw.call('GET', `/v1/info?${param}=${encodeURIComponent(`Bearer ${TOKEN}`)}`, undefined, { auth: false });
      expect(bearer.status).toBe(401);
    }
    expect(await snapshot(gw)).toEqual(before);
  });

  it('accepts the right token (scheme case-insensitive) and GET /health needs none', async () => {
    const gw = await startGateway();
    expect((await gw.call('GET', '/health', undefined, { auth: false })).status).toBe(200);
    expect((await gw.call('GET', '/v1/info', undefined, { auth: `bearer ${TOKEN}` })).status).toBe(200);
    const res = await gw.call('PUT', `/v1/agents/${AGENT}/kv/k`, { value: 1 });
    expect(res.status).toBe(204);
    expect(await gw.mem.structured.get(AGENT, 'k')).toBe(1);
  });

  it('runs without auth when no token is configured', async () => {
    const gw = await startGateway({ token: null });
    expect((await gw.call('GET', '/v1/info', undefined, { auth: false })).status).toBe(200);
  });

  it('bearerMatches compares whole tokens only', () => {
    const expected = createHash('sha256').update('abc').digest();
    expect(bearerMatches('Bearer abc', expected)).toBe(true);
    expect(bearerMatches('BEARER abc', expected)).toBe(true);
    expect(bearerMatches('Bearer abcd', expected)).toBe(false);
    expect(bearerMatches('Bearer ab', expected)).toBe(false);
    expect(bearerMatches(undefined, expected)).toBe(false);
    expect(bearerMatches('abc', expected)).toBe(false);
  });

  it('logs carry method, path and status, never the token, the query string or a body', async () => {
    const lines: string[] = [];
    const mem = await MemorySubstrate.open({ sqlitePath: ':memory:' }, { env: {}, logger: silentLogger });
    const app = createGateway(mem, { token: TOKEN, logger: { level: 'debug', stream: { write: (line: string) => lines.push(line) } } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
      await fetch(`${base}/v1/memories?token=query-secret`, { method: 'POST', headers, body: JSON.stringify({ agentId: 'a', content: 'body-secret-content' }) });
      await fetch(`${base}/v1/memories`, { method: 'POST', headers, body: '{"agentId": "a", "content": "broken-body-secret' });
      await fetch(`${base}/v1/info`, { headers: { authorization: 'Bearer wrong-token-value' } });
    } finally {
      await app.close();
      await mem.close();
    }
    const text = lines.join('');
    expect(text).toContain('/v1/memories');
    expect(text).toContain('"statusCode":201');
    expect(text).toContain('"statusCode":401');
    for (const secret of [TOKEN, 'query-secret', 'body-secret-content', 'broken-body-secret', 'wrong-token-value']) expect(text).not.toContain(secret);
  });
});
