/**
 * The http semantic backend when the wire misbehaves: faults are injected by a proxy in front of the
 * real gateway (drops, 5xx, hangs) or by stopping the gateway itself.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MemorySubstrate } from '../../src/index.js';
import { planar, startWire, TOKEN_ENV, type WireSetup } from './setup.js';

let setup: WireSetup | undefined;
afterEach(async () => {
  await setup?.dispose();
  setup = undefined;
});

const unavailable = { code: 'BACKEND_UNAVAILABLE', backend: 'http' };

/** Fails the first `times` requests matching `method path-prefix` with `fault`, passes everything else. */
function failFirst(s: WireSetup, method: string, prefix: string, times: number, fault: 'drop' | { status: number; body?: string }): void {
  let left = times;
  s.proxy.setPlan((r) => {
    if (r.method === method && r.path.startsWith(prefix) && left > 0) {
      left--;
      return fault;
    }
    return 'pass';
  });
}

describe('http semantic backend: retries', () => {
  it('idempotent calls (GET, recall, DELETE, PUT embedding) are retried after a dropped connection or a 502/503/504', async () => {
    setup = await startWire();
    const client = await setup.client({ maxRetries: 3 });
    const id = await client.store.remember({ agentId: 'A', content: 'sturdy memory', embedding: planar(0) });
    const faults = ['drop', { status: 502 }, { status: 503, body: '{"error":{"code":"BACKEND_UNAVAILABLE","message":"busy"}}' }, { status: 504 }] as const;
    for (const fault of faults) {
      setup.proxy.clear();
      failFirst(setup, 'GET', '/v1/memories/', 2, fault);
      expect(await client.store.get(id)).toMatchObject({ id });
      expect(setup.proxy.count('GET', '/v1/memories/')).toBe(3);

      setup.proxy.clear();
      failFirst(setup, 'POST', '/v1/memories/recall', 1, fault);
      expect((await client.store.recall({ agentId: 'A', embedding: planar(0) })).map((r) => r.memory.id)).toEqual([id]);
      expect(setup.proxy.count('POST', '/v1/memories/recall')).toBe(2);

      setup.proxy.clear();
      failFirst(setup, 'PUT', '/v1/memories/', 1, fault);
      await client.store.updateEmbedding(id, planar(0.3));
      expect(setup.proxy.count('PUT', '/v1/memories/')).toBe(2);
    }
    setup.proxy.clear();
    failFirst(setup, 'DELETE', '/v1/memories/', 1, 'drop');
    expect(await client.store.forget(id)).toBe(true);
    expect(setup.proxy.count('DELETE', '/v1/memories/')).toBe(2);
    expect(await setup.gateway.substrate!.semantic.get(id)).toBeUndefined();
  });

  it('retries are bounded: after 1 + maxRetries attempts the call fails with BACKEND_UNAVAILABLE', async () => {
    setup = await startWire();
    const client = await setup.client({ maxRetries: 2 });
    setup.proxy.setPlan((r) => (r.path.startsWith('/v1/memories/') ? { status: 503 } : 'pass'));
    await expect(client.store.get('some-id')).rejects.toMatchObject(unavailable);
    expect(setup.proxy.count('GET', '/v1/memories/')).toBe(3);
  });

  it('POST /v1/memories, the batch and consolidation are never retried (a retry could write twice)', async () => {
    setup = await startWire();
    const client = await setup.client({ maxRetries: 5 });
    const server = setup.gateway.substrate!;
    const countStored = async () => (await server.semantic.recall({ allAgents: true, text: 'once', mode: 'keyword', limit: 100 })).length;

    failFirst(setup, 'POST', '/v1/memories', 1, 'drop');
    await expect(client.store.remember({ agentId: 'A', content: 'stored once' })).rejects.toMatchObject(unavailable);
    expect(setup.proxy.count('POST', '/v1/memories')).toBe(1);

    setup.proxy.clear();
    failFirst(setup, 'POST', '/v1/memories', 1, { status: 503 });
    await expect(client.store.remember({ agentId: 'A', content: 'stored once' })).rejects.toMatchObject(unavailable);
    expect(setup.proxy.count('POST', '/v1/memories')).toBe(1);

    // The gateway did the work but the answer was lost: still one attempt, so one memory, not two.
    setup.proxy.clear();
    setup.proxy.setPlan((r) => (r.path === '/v1/memories' ? { rewrite: () => '{"error":{"code":"BACKEND_UNAVAILABLE","message":"lost"}}' } : 'pass'));
    await expect(client.store.remember({ agentId: 'A', content: 'stored once indeed' })).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    expect(setup.proxy.count('POST', '/v1/memories')).toBe(1);
    expect(await countStored()).toBe(1);

    setup.proxy.clear();
    failFirst(setup, 'POST', '/v1/memories/batch', 1, 'drop');
    await expect(client.store.rememberMany([{ agentId: 'A', content: 'batch once' }])).rejects.toMatchObject(unavailable);
    expect(setup.proxy.count('POST', '/v1/memories/batch')).toBe(1);

    setup.proxy.clear();
    failFirst(setup, 'POST', '/v1/consolidation', 1, { status: 502 });
    await expect(client.consolidation.consolidate()).rejects.toMatchObject(unavailable);
    expect(setup.proxy.count('POST', '/v1/consolidation')).toBe(1);
  });

  it('other errors are not retried: a 500 or a 4xx fails at once with its code', async () => {
    setup = await startWire();
    const client = await setup.client({ maxRetries: 5 });
    failFirst(setup, 'GET', '/v1/memories/', 1, { status: 500 });
    await expect(client.store.get('x')).rejects.toMatchObject({ code: 'INTERNAL', backend: 'http' });
    expect(setup.proxy.count('GET', '/v1/memories/')).toBe(1);
    setup.proxy.clear();
    setup.proxy.setPlan(() => 'pass');
    await expect(client.store.recall({ agentId: 'A', text: 'x', limit: 5000 })).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(setup.proxy.count('POST', '/v1/memories/recall')).toBe(1);
  });
});

describe('http semantic backend: timeouts and aborts', () => {
  it('a request that gets no answer times out with BACKEND_UNAVAILABLE (not retried)', async () => {
    setup = await startWire();
    // 1 s: a local request reaches the proxy, and a delayed answer (below) gets back, well within it
    // even on a loaded machine; the default timeout (10 s) would be far beyond the bounds checked.
    const TIMEOUT_MS = 1000;
    const client = await setup.client({ timeoutMs: TIMEOUT_MS, maxRetries: 3 });
    await client.store.remember({ agentId: 'A', content: 'a slow answer' });
    setup.proxy.setPlan((r) => (r.path.startsWith('/v1/memories') ? 'hang' : 'pass'));
    const started = performance.now();
    const error = await client.store.recall({ agentId: 'A', text: 'slow' }).catch((e: unknown) => e);
    const elapsed = performance.now() - started;
    expect(error).toMatchObject(unavailable);
    expect(String((error as Error).message)).toContain(`within ${TIMEOUT_MS} ms`); // the timeout ended it
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 10);
    expect(elapsed).toBeLessThan(5_000);
    expect(setup.proxy.count('POST', '/v1/memories/recall')).toBe(1);
    await expect(client.store.remember({ agentId: 'A', content: 'slow' })).rejects.toMatchObject(unavailable);
    // A slow but in-time answer (100 ms late, 900 ms before the timeout) is fine.
    setup.proxy.setPlan(() => ({ delayMs: 100 }));
    expect(await client.store.recall({ agentId: 'A', text: 'slow' })).toHaveLength(1);
  });

  it('a caller signal aborts the call (and its retries) with BACKEND_UNAVAILABLE', async () => {
    setup = await startWire();
    // Backoffs of 10–30 s and the default 10 s timeout: only the abort can end these calls within the bounds checked.
    const client = await setup.client({ maxRetries: 10, retryBaseMs: 20_000, retryMaxMs: 20_000 });
    // Aborted while the request hangs: the caller aborts once the proxy holds the request.
    const controller = new AbortController();
    setup.proxy.setPlan(() => {
      controller.abort();
      return 'hang';
    });
    const started = performance.now();
    const error = await client.store.get('any', { signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toMatchObject(unavailable);
    expect(String((error as Error).message)).toContain('aborted by the caller');
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(setup.proxy.count('GET', '/v1/memories/')).toBe(1);
    // Aborted during the backoff between retries: the first attempt gets a 503, the caller aborts
    // 200 ms after it was answered (the backoff is 10 s at least), and no second attempt is made.
    setup.proxy.clear();
    const backoff = new AbortController();
    setup.proxy.setPlan(() => {
      setTimeout(() => backoff.abort(), 200);
      return { status: 503 };
    });
    const retryStarted = performance.now();
    const retryError = await client.store.recall({ agentId: 'A', text: 'x' }, { signal: backoff.signal }).catch((e: unknown) => e);
    expect(retryError).toMatchObject(unavailable);
    expect(String((retryError as Error).message)).toContain('aborted by the caller');
    expect(performance.now() - retryStarted).toBeLessThan(5_000);
    expect(setup.proxy.count('POST', '/v1/memories/recall')).toBe(1);
    // An already aborted signal sends nothing.
    setup.proxy.clear();
    await expect(client.store.get('any', { signal: AbortSignal.abort() })).rejects.toMatchObject(unavailable);
    expect(setup.proxy.seen).toHaveLength(0);
  });

  it('close() lets in-flight calls finish, then refuses new ones', async () => {
    setup = await startWire();
    const client = await setup.client();
    // close() is called once the proxy holds the request, which it forwards 150 ms later: the call is
    // in flight when close() starts, whatever the machine's speed.
    let arrived!: () => void;
    const atProxy = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    setup.proxy.setPlan(() => {
      arrived();
      return { delayMs: 150 };
    });
    const inFlight = client.store.remember({ agentId: 'A', content: 'finishing during close' });
    let settled = false;
    void inFlight.then(
      () => (settled = true),
      () => (settled = true),
    );
    await atProxy;
    expect(settled).toBe(false);
    await client.close();
    expect(settled).toBe(true); // close() waited for it
    expect(typeof (await inFlight)).toBe('string');
    await expect(client.store.recall({ agentId: 'A', text: 'finishing' })).rejects.toMatchObject(unavailable);
  });
});

describe('http semantic backend: the gateway restarting mid-run', () => {
  it('calls fail with BACKEND_UNAVAILABLE while it is down (no local fallback) and work again, data intact, once it is back', async () => {
    setup = await startWire();
    const { dir, gateway, token } = setup;
    const clientDb = join(dir, 'client.db');
    const mem = await MemorySubstrate.open(
      { sqlitePath: clientDb, auditAnchorPath: join(dir, 'client.anchor'), semanticBackend: 'http', httpUrl: gateway.url, httpTokenEnv: TOKEN_ENV },
      { env: { [TOKEN_ENV]: token } },
    );
    try {
      const before = await mem.remember({ agentId: 'A', content: 'written before the restart', embedding: planar(0.1) });
      const port = gateway.port;

      await gateway.stop();
      await expect(mem.semantic.recall({ agentId: 'A', embedding: planar(0) })).rejects.toMatchObject(unavailable);
      await expect(mem.semantic.get(before)).rejects.toMatchObject(unavailable);
      await expect(mem.remember({ agentId: 'A', content: 'written while down' })).rejects.toMatchObject(unavailable);
      await expect(mem.semantic.rememberMany([{ agentId: 'A', content: 'batch while down' }])).rejects.toMatchObject(unavailable);
      await expect(mem.consolidate()).rejects.toMatchObject(unavailable);
      expect((await mem.health()).backends.find((b) => b.name === 'semantic:http')?.ok).toBe(false);
      // Nothing went to a local store: the client's own SQLite file has no memories at all.
      const local = new Database(clientDb, { readonly: true });
      try {
        expect(local.prepare('select count(*) as n from memories').get()).toEqual({ n: 0 });
      } finally {
        local.close();
      }

      await gateway.start();
      expect(gateway.port).toBe(port);
      const after = await mem.remember({ agentId: 'A', content: 'written after the restart', embedding: planar(0.2) });
      expect((await mem.semantic.recall({ agentId: 'A', embedding: planar(0) })).map((r) => r.memory.id)).toEqual([before, after]);
      expect(await mem.semantic.get(before)).toMatchObject({ content: 'written before the restart' });
      expect(await mem.semantic.recall({ agentId: 'A', text: 'down', mode: 'keyword' })).toEqual([]);
      // The failed remember wrote no audit entry; the two successful ones did.
      expect((await mem.audit.entries({})).filter((e) => e.action === 'memory.remember')).toHaveLength(2);
    } finally {
      await mem.close();
    }
  });
});
