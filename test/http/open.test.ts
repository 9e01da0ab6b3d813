/** The http semantic backend's configuration and fail-fast open, against the real gateway. */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { redactUrl } from '../../src/core/redact.js';
import { MemorySubstrate } from '../../src/index.js';
import { closedPort, startWire, TOKEN_ENV, type WireSetup } from './setup.js';

let setup: WireSetup | undefined;
afterEach(async () => {
  await setup?.dispose();
  setup = undefined;
});

/** Opens a whole substrate (main: SQLite in the setup's dir) whose semantic side is `http`. */
function openSubstrate(dir: string, config: Record<string, unknown>, env: NodeJS.ProcessEnv) {
  return MemorySubstrate.open(
    { sqlitePath: join(dir, 'client.db'), auditAnchorPath: join(dir, 'client.anchor'), semanticBackend: 'http', ...config },
    { env },
  );
}

async function failure(p: Promise<unknown>): Promise<{ code?: string; message: string; backend?: string }> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'expected a rejection').toBeDefined();
  return error as { code?: string; message: string; backend?: string };
}

describe('http semantic backend: config', () => {
  it('http_url is required and must be a plain http(s) URL; the token variable must be set', async () => {
    setup = await startWire();
    const { dir, token } = setup;
    const url = setup.proxy.url;
    expect(await failure(openSubstrate(dir, {}, {}))).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(await failure(openSubstrate(dir, { httpUrl: 'not a url' }, {}))).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(await failure(openSubstrate(dir, { httpUrl: `ftp://127.0.0.1:${setup.proxy.port}` }, {}))).toMatchObject({ code: 'CONFIG_INVALID' });
    const withCredentials = await failure(openSubstrate(dir, { httpUrl: `http://user:${token}@127.0.0.1:${setup.proxy.port}` }, {}));
    expect(withCredentials).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(withCredentials.message).not.toContain(token);
    // A named variable that is unset or empty: ConfigError, before any request.
    const unset = await failure(openSubstrate(dir, { httpUrl: url, httpTokenEnv: TOKEN_ENV }, {}));
    expect(unset).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(unset.message).toContain(TOKEN_ENV);
    expect(await failure(openSubstrate(dir, { httpUrl: url, httpTokenEnv: TOKEN_ENV }, { [TOKEN_ENV]: '' }))).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(setup.proxy.seen).toHaveLength(0);
    // A wrong token: the gateway refuses it (401) — a configuration problem, named as such.
    const wrong = await failure(openSubstrate(dir, { httpUrl: url, httpTokenEnv: TOKEN_ENV }, { [TOKEN_ENV]: 'wrong-token-value' }));
    expect(wrong).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(wrong.message).not.toContain('wrong-token-value');
    // Without http_token_env no Authorization header is sent: the gateway (which has a token) refuses.
    expect(await failure(openSubstrate(dir, { httpUrl: url }, {}))).toMatchObject({ code: 'CONFIG_INVALID' });
    // The right token opens, and the substrate reports the http backend and the gateway's dimension.
    const mem = await openSubstrate(dir, { httpUrl: url, httpTokenEnv: TOKEN_ENV }, { [TOKEN_ENV]: token });
    try {
      expect(mem.info.semanticBackend).toBe('http');
      const health = await mem.health();
      expect(health.backends.find((b) => b.name === 'semantic:http')).toMatchObject({ ok: true });
    } finally {
      await mem.close();
    }
  });
});

describe('http semantic backend: fail-fast open', () => {
  it('a closed port fails open with BACKEND_UNAVAILABLE naming http and the redacted URL, never the token', async () => {
    setup = await startWire();
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}/memstrate`;
    const secret = 'tok-closed-port-0123456789';
    const started = performance.now();
    const error = await failure(openSubstrate(setup.dir, { httpUrl: url, httpTokenEnv: TOKEN_ENV }, { [TOKEN_ENV]: secret }));
    expect(error).toMatchObject({ code: 'BACKEND_UNAVAILABLE', backend: 'http' });
    expect(error.message).toContain('[memstrate:http]');
    expect(error.message).toContain(redactUrl(url));
    expect(error.message).not.toContain(secret);
    expect(performance.now() - started).toBeLessThan(5_000); // a few quick retries, not the 10 s timeout
  });

  it('a server answering 500 fails open with BACKEND_UNAVAILABLE (redacted URL, no token)', async () => {
    setup = await startWire();
    setup.proxy.setPlan(() => ({ status: 500, body: 'upstream exploded' }));
    const error = await failure(openSubstrate(setup.dir, { httpUrl: setup.proxy.url, httpTokenEnv: TOKEN_ENV }, { [TOKEN_ENV]: setup.token }));
    expect(error).toMatchObject({ code: 'BACKEND_UNAVAILABLE', backend: 'http' });
    expect(error.message).toContain(redactUrl(setup.proxy.url));
    expect(error.message).not.toContain(setup.token);
    expect(setup.proxy.count('GET', '/health')).toBe(1); // 500 is not retried
    // A 500 on /v1/info (health itself fine) also fails open.
    setup.proxy.clear();
    setup.proxy.setPlan((r) => (r.path === '/v1/info' ? { status: 500, body: '{"error":{"code":"INTERNAL","message":"boom"}}' } : 'pass'));
    const info = await failure(openSubstrate(setup.dir, { httpUrl: setup.proxy.url, httpTokenEnv: TOKEN_ENV }, { [TOKEN_ENV]: setup.token }));
    expect(info).toMatchObject({ code: 'BACKEND_UNAVAILABLE', backend: 'http' });
    expect(setup.proxy.count('GET', '/v1/info')).toBe(1);
  });

  it('a server that is not a memstrate gateway fails open with BACKEND_UNAVAILABLE', async () => {
    setup = await startWire();
    setup.proxy.setPlan((r) => (r.path === '/health' ? { status: 200, body: '{"status":"ok"}' } : { status: 200, body: '<html>hello</html>' }));
    expect(await failure(setup.client())).toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    setup.proxy.setPlan((r) => (r.path === '/health' ? { status: 200, body: '{"status":"starting"}' } : 'pass'));
    expect(await failure(setup.client())).toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    setup.proxy.setPlan((r) => (r.path === '/v1/info' ? { status: 200, body: '{"backend":"sqlite"}' } : 'pass'));
    expect(await failure(setup.client())).toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
  });

  it('a gateway that does not answer in time fails open (timeout), without waiting for the default 10 s', async () => {
    setup = await startWire();
    setup.proxy.setPlan(() => 'hang');
    const started = performance.now();
    expect(await failure(setup.client({ timeoutMs: 200 }))).toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(setup.proxy.count('GET', '/health')).toBe(1); // a timeout is not retried
  });
});
