import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemorySubstrate, type Embedder } from '../../src/index.js';
import { loadServerConfig } from '../../src/config/server.js';
import { HashEmbedder } from '../../src/embedders/hash-embedder.js';
import { isLoopbackHost, serve } from '../../src/server/serve.js';
import { silentLogger, tempDir } from './fixture.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

function configFile(dir: string, server = ''): { path: string; dbPath: string } {
  const dbPath = join(dir, 'memstrate.db');
  const path = join(dir, 'memory.config.toml');
  writeFileSync(path, `[memory]\nsqlite_path = ${JSON.stringify(dbPath)}\n${server}`);
  return { path, dbPath };
}

/** A hash embedder that reports each call and then takes `delayMs`. */
function slowEmbedder(delayMs: number, onCall: () => void): Embedder {
  const inner = new HashEmbedder(32);
  return {
    id: inner.id,
    dimensions: inner.dimensions,
    async embed(texts) {
      onCall();
      await new Promise((r) => setTimeout(r, delayMs));
      return inner.embed(texts);
    },
  };
}

function env(extra: Record<string, string> = {}): Record<string, string> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => !k.startsWith('MEMSTRATE_') && v !== undefined)) as Record<string, string>;
  return { ...base, ...extra };
}

describe('serve()', () => {
  it('shuts down gracefully: the request in flight completes, then the substrate is closed', async () => {
    const dir = tempDir();
    const { path } = configFile(dir);
    let called!: () => void;
    const embedding = new Promise<void>((r) => (called = r));
    const gw = await serve({
      configPath: path,
      port: 0,
      env: {},
      logger: false,
      handleSignals: false,
      shutdownTimeoutMs: 30_000,
      embedder: slowEmbedder(400, () => called()),
    });

    const inFlight = fetch(`${gw.url}/v1/memories`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ agentId: 'a', content: 'written during shutdown' }),
    });
    await embedding; // the handler is running
    const started = Date.now();
    const closing = gw.close();
    const res = await inFlight;
    expect(res.status).toBe(201);
    expect(res.headers.get('connection')).toBe('close');
    const { id } = (await res.json()) as { id: string };
    await closing;
    await gw.closed;
    // Closed once the request finished, not at the shutdown timeout.
    expect(Date.now() - started).toBeLessThan(5_000);

    await expect(fetch(`${gw.url}/health`)).rejects.toThrow();
    await expect(gw.substrate.structured.get('a', 'k')).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    const reopened = await MemorySubstrate.open(path, { env: {}, embedder: new HashEmbedder(32), logger: silentLogger });
    try {
      expect((await reopened.semantic.get(id))?.content).toBe('written during shutdown');
    } finally {
      await reopened.close();
    }
    await gw.close(); // idempotent
  });

  it('refuses to listen on a non-loopback host without a token, before opening anything', async () => {
    const dir = tempDir();
    const { path, dbPath } = configFile(dir);
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.com']) {
      await expect(serve({ configPath: path, host, port: 0, env: {}, logger: false, handleSignals: false })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    }
    await expect(serve({ configPath: path, host: '0.0.0.0', port: 0, env: { MEMSTRATE_TOKEN: '  ' }, logger: false, handleSignals: false })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
    expect(existsSync(dbPath)).toBe(false);
  });

  it('listens anywhere with a token from [server] token_env, and honours body_limit_bytes', async () => {
    const dir = tempDir();
    const { path } = configFile(dir, '[server]\ntoken_env = "GATEWAY_SECRET"\nbody_limit_bytes = 2048\n');
    const gw = await serve({ configPath: path, host: '0.0.0.0', port: 0, env: { GATEWAY_SECRET: 's3cret' }, logger: false, handleSignals: false });
    try {
      const url = gw.url.replace('0.0.0.0', '127.0.0.1');
      expect((await fetch(`${url}/v1/info`)).status).toBe(401);
      const headers = { authorization: 'Bearer s3cret', 'content-type': 'application/json' };
      expect((await fetch(`${url}/v1/info`, { headers })).status).toBe(200);
      const big = await fetch(`${url}/v1/memories`, { method: 'POST', headers, body: JSON.stringify({ agentId: 'a', content: 'z'.repeat(3000) }) });
      expect(big.status).toBe(413);
    } finally {
      await gw.close();
    }
  });

  it('rejects a bad [server] table, listing every problem', () => {
    const dir = tempDir();
    const { path } = configFile(dir, '[server]\ntoken_env = "not a name"\nbody_limit_bytes = 10\nport = 1\n');
    let error: unknown;
    try {
      loadServerConfig(path);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
    expect((error as { problems: string[] }).problems).toHaveLength(3);
    expect(loadServerConfig(configFile(tempDir()).path)).toEqual({ tokenEnv: 'MEMSTRATE_TOKEN', bodyLimitBytes: 1_048_576, tokens: [] });
  });

  it('serves scoped tokens from [[server.tokens]] (each from its env var); an unset variable, a shared token or an unknown key is CONFIG_INVALID', async () => {
    const tokens = '[[server.tokens]]\nname = "agent-a"\ntoken_env = "TOKEN_A"\nagents = ["a"]\nscopes = ["read", "write"]\n\n[[server.tokens]]\nname = "ops"\ntoken_env = "TOKEN_OPS"\nagents = ["*"]\nscopes = ["read", "write", "admin"]\n';
    const { path } = configFile(tempDir(), tokens);
    expect(loadServerConfig(path).tokens).toEqual([
      { name: 'agent-a', tokenEnv: 'TOKEN_A', agents: ['a'], scopes: ['read', 'write'] },
      { name: 'ops', tokenEnv: 'TOKEN_OPS', agents: ['*'], scopes: ['read', 'write', 'admin'] },
    ]);
    await expect(serve({ configPath: path, port: 0, env: { TOKEN_A: 'ta-secret' }, logger: false })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(serve({ configPath: path, port: 0, env: { TOKEN_A: 'same-token', TOKEN_OPS: 'same-token' }, logger: false })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    const bad = configFile(tempDir(), '[[server.tokens]]\nname = "x"\ntoken_env = "T"\nagents = ["a"]\nscopes = ["root"]\ncolour = "red"\n').path;
    expect(() => loadServerConfig(bad)).toThrow(/server.tokens\[0\]/);
    // Only scoped tokens: the gateway may listen beyond loopback, and each token works as scoped.
    const gw = await serve({ configPath: path, port: 0, host: '0.0.0.0', env: { TOKEN_A: 'ta-secret', TOKEN_OPS: 'ops-secret' }, logger: false });
    try {
      const url = gw.url.replace('0.0.0.0', '127.0.0.1');
      const get = (p: string, token: string) => fetch(`${url}${p}`, { headers: { authorization: `Bearer ${token}` } });
      expect((await get('/v1/agents/a/kv', 'ta-secret')).status).toBe(200);
      expect((await get('/v1/agents/b/kv', 'ta-secret')).status).toBe(403);
      expect((await get('/v1/audit/tip', 'ops-secret')).status).toBe(200);
    } finally {
      await gw.close();
    }
  });

  it('knows loopback hosts', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '128.0.0.1', 'localhost.evil.com']) expect(isLoopbackHost(host), host).toBe(false);
  });
});

describe('memstrate serve (CLI)', () => {
  it('serves until SIGTERM, then exits 0 after closing', async () => {
    const dir = tempDir();
    const { path } = configFile(dir);
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--config', path, 'serve', '--port', '0'], {
      cwd: ROOT,
      env: env({ MEMSTRATE_LOG_LEVEL: 'info' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    const url = await new Promise<string>((resolveUrl, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line; stderr: ${stderr}`)), 20_000);
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
        if (match?.[1]) {
          clearTimeout(timer);
          resolveUrl(match[1]);
        }
      });
    });
    try {
      const health = await fetch(`${url}/health`);
      expect(await health.json()).toMatchObject({ status: 'ok' });
      const stored = await fetch(`${url}/memory/store`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ content: 'cli memory' }) });
      expect(stored.status).toBe(201);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as { msg?: string; req?: { url?: string } });
    expect(lines.some((l) => l.msg === 'shutting down')).toBe(true);
    expect(lines.some((l) => l.msg === 'gateway stopped; substrate closed')).toBe(true);
    expect(stdout).not.toContain('cli memory');
    // Not a terminal: JSON lines. One start line says where, on what, and what recall can do.
    expect(lines.find((l) => l.msg?.startsWith('memstrate '))?.msg).toMatch(
      /^memstrate \d+\.\d+\.\d+ serving http:\/\/127\.0\.0\.1:\d+ — main sqlite, semantic sqlite; embedder none: keyword recall only/,
    );
    // Requests are logged at debug level only (info here): none of the three above appears.
    expect(lines.filter((l) => l.req?.url !== undefined)).toEqual([]);
  });

  it('memstrate --version prints the package version', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--version'], { cwd: ROOT, env: env(), encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  });

  it('exits 1 with CONFIG_INVALID on a public host without a token', () => {
    const dir = tempDir();
    const { path, dbPath } = configFile(dir);
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--config', path, 'serve', '--host', '0.0.0.0', '--port', '0'], {
      cwd: ROOT,
      env: env(),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('error CONFIG_INVALID');
    expect(existsSync(dbPath)).toBe(false);
  });
});
