/** Shared setup of the http-client wire tests: a real gateway on a temp SQLite store, a fault proxy, a client. */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { HttpSemanticProvider } from '../../src/backends/http/http-semantic-provider.js';
import type { GatewayClientOptions } from '../../src/backends/http/gateway-client.js';
import { resolveHttpSettings } from '../../src/backends/http/http-settings.js';
import type { CellOpenOptions } from '../harness/cells.js';
import { TestGateway } from '../harness/cells/http.js';
import { tempDir } from '../harness/cells/sqlite.js';
import { FaultProxy } from './fault-proxy.js';

export const TOKEN_ENV = 'MEMSTRATE_WIRE_TEST_TOKEN';

export interface WireSetup {
  dir: string;
  token: string;
  gateway: TestGateway;
  /** In front of the gateway; clients from `client()` talk to it. */
  proxy: FaultProxy;
  /** A client of the http backend (through the proxy unless `url` says otherwise). */
  client(options?: GatewayClientOptions & { url?: string; token?: string }): Promise<HttpSemanticProvider>;
  dispose(): Promise<void>;
}

/** Starts a gateway (with the given clock/config) and a pass-through proxy in front of it. */
export async function startWire(o: CellOpenOptions = {}): Promise<WireSetup> {
  const dir = tempDir();
  const token = randomBytes(24).toString('base64url');
  const gateway = new TestGateway({ sqlitePath: join(dir, 'gateway.db'), auditAnchorPath: join(dir, 'gateway.db.audit-anchor') }, token);
  await gateway.start(o);
  const proxy = new FaultProxy(gateway.url);
  await proxy.start();
  const clients: HttpSemanticProvider[] = [];
  return {
    dir,
    token,
    gateway,
    proxy,
    async client(options = {}) {
      const { url = proxy.url, token: t = token, ...rest } = options;
      const settings = resolveHttpSettings({ url, tokenEnv: TOKEN_ENV }, { [TOKEN_ENV]: t });
      const client = await HttpSemanticProvider.open({ settings, retryBaseMs: 5, ...rest });
      clients.push(client);
      return client;
    },
    async dispose() {
      for (const c of clients) await c.close().catch(() => {});
      await proxy.stop();
      await gateway.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export const planar = (angle: number, dim = 8): number[] => {
  const v = new Array<number>(dim).fill(0);
  v[0] = Math.cos(angle);
  v[1] = Math.sin(angle);
  return v;
};
