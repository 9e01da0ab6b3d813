/**
 * A real gateway for the server tests: a substrate on a temp SQLite file behind createGateway(),
 * listening on 127.0.0.1 port 0, spoken to with real fetch.
 */
import type { GatewayToken } from '../../src/server/access.js';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach } from 'vitest';
import { MemorySubstrate, type BackendCatalog, type Embedder, type MemoryConfigInput } from '../../src/index.js';
import { createGateway } from '../../src/server/app.js';
import type { Clock } from '../../src/contracts/types.js';

export const TOKEN = 'test-token-5f1c2a9e';

const noop = (): void => {};
export const silentLogger = { debug: noop, info: noop, warn: noop, error: noop };

export interface GatewayUnderTest {
  base: string;
  mem: MemorySubstrate;
  app: FastifyInstance;
  dir: string;
  config: MemoryConfigInput;
  /** fetch with the bearer token (unless `auth: false`) and JSON in and out. */
  call(method: string, path: string, body?: unknown, options?: { auth?: boolean | string; headers?: Record<string, string> }): Promise<Reply>;
}

export interface Reply {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
}

export interface StartOptions {
  token?: string | null;
  bodyLimit?: number;
  clock?: Clock;
  embedder?: Embedder;
  config?: Partial<MemoryConfigInput>;
  /** Environment the substrate reads its secrets from (e.g. `http_token_env`); default: none. */
  env?: NodeJS.ProcessEnv;
  /** Scoped tokens beside `token` (src/server/access.ts). */
  tokens?: GatewayToken[];
  rateLimitPerMinute?: number;
  /** Adds routes of the test's own to the gateway before it listens (they share its error handling). */
  routes?: (app: FastifyInstance, mem: MemorySubstrate) => void;
  /** The backends the substrate may name (OpenOptions.backends); default: every registered one. */
  backends?: BackendCatalog;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await (cleanups.pop() as () => Promise<void>)().catch(() => {});
});

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'memstrate-server-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Starts a gateway (closed after the test). `token: null` = no auth. */
export async function startGateway(options: StartOptions = {}): Promise<GatewayUnderTest> {
  const dir = tempDir();
  const config: MemoryConfigInput = {
    sqlitePath: join(dir, 'memstrate.db'),
    auditAnchorPath: join(dir, 'memstrate.db.audit-anchor'),
    ...options.config,
  };
  const mem = await MemorySubstrate.open(config, { clock: options.clock, embedder: options.embedder, env: options.env ?? {}, logger: silentLogger, ...(options.backends ? { backends: options.backends } : {}) });
  const token = options.token === null ? undefined : (options.token ?? TOKEN);
  const app = createGateway(mem, { token, ...(options.tokens ? { tokens: options.tokens } : {}), ...(options.rateLimitPerMinute !== undefined ? { rateLimitPerMinute: options.rateLimitPerMinute } : {}), ...(options.bodyLimit !== undefined ? { bodyLimit: options.bodyLimit } : {}) });
  options.routes?.(app, mem);
  await app.listen({ port: 0, host: '127.0.0.1' });
  cleanups.push(async () => {
    await app.close();
    await mem.close();
  });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return { base, mem, app, dir, config, call: (method, path, body, o) => call(base, method, path, body, o, token) };
}

async function call(
  base: string,
  method: string,
  path: string,
  body: unknown,
  options: { auth?: boolean | string; headers?: Record<string, string> } = {},
  token: string | undefined,
): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  const auth = options.auth ?? true;
  if (typeof auth === 'string') headers['authorization'] = auth;
  else if (auth && token !== undefined) headers['authorization'] = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed, text };
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
