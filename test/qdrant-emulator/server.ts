/**
 * node:http front end: envelope, API key, JSON bodies, `wait`.
 * Envelope and error shapes: lib/api/src/rest/models.rs ApiResponse and src/actix/helpers.rs.
 * API key: src/actix/auth.rs and src/common/auth/mod.rs — `/` is whitelisted; a missing or wrong key
 * is a 401 with a plain-text body (not the JSON envelope).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { QdrantError } from './errors.js';
import { findRoute, type EmulatorState } from './routes.js';

export interface QdrantEmulatorOptions {
  /** Writes sent WITHOUT wait=true are applied only after this many ms (default 0 = applied before replying, like wait=true). Lets tests catch a missing `wait: true`. */
  unwaitedDelayMs?: number;
  /** Required API key (header `api-key`, or `Authorization: Bearer <key>`); `/` stays open, like Qdrant. */
  apiKey?: string;
  /** Port to listen on (default 0: any free port). */
  port?: number;
}

export interface QdrantEmulator {
  /** http://127.0.0.1:<port> */
  url: string;
  close(): Promise<void>;
  /** Requests served so far. */
  readonly requests: number;
}

export const QDRANT_VERSION = '1.18.0';

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function authError(req: IncomingMessage, apiKey: string | undefined): string | undefined {
  if (apiKey === undefined) return undefined;
  const header = req.headers['api-key'];
  const bearer = req.headers.authorization?.startsWith('Bearer ') ? req.headers.authorization.slice('Bearer '.length) : undefined;
  const key = (Array.isArray(header) ? header[0] : header) ?? bearer;
  if (key === undefined) return 'Must provide an API key or an Authorization bearer token';
  return key === apiKey ? undefined : 'Invalid API key or JWT';
}

async function handle(req: IncomingMessage, res: ServerResponse, state: EmulatorState, apiKey: string | undefined): Promise<void> {
  const started = performance.now();
  const time = () => (performance.now() - started) / 1000;
  const url = new URL(req.url ?? '/', 'http://localhost');
  const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const method = req.method ?? 'GET';
  if (segments.length === 0 && method === 'GET') {
    send(res, 200, { title: 'qdrant - vector search engine', version: QDRANT_VERSION, commit: 'qdrant-emulator' });
    return;
  }
  const denied = authError(req, apiKey);
  if (denied !== undefined) {
    sendText(res, 401, denied);
    return;
  }
  const found = findRoute(method, segments);
  if (found === undefined) {
    res.writeHead(404, { 'content-length': 0 });
    res.end();
    return;
  }
  try {
    const text = await readBody(req);
    let body: unknown;
    if (text.trim() !== '') {
      try {
        body = JSON.parse(text);
      } catch (error) {
        throw new QdrantError(400, `Json deserialize error: ${(error as Error).message}`);
      }
    }
    const wait = url.searchParams.get('wait') === 'true';
    const result = found.route.handler({ params: found.params, body, wait, state });
    send(res, 200, { result, status: 'ok', time: time() });
  } catch (error) {
    if (!(error instanceof QdrantError)) throw error;
    send(res, error.status, { status: { error: error.message }, time: time() });
  }
}

export async function startQdrantEmulator(options: QdrantEmulatorOptions = {}): Promise<QdrantEmulator> {
  const state: EmulatorState = { collections: new Map(), unwaitedDelayMs: options.unwaitedDelayMs ?? 0 };
  let requests = 0;
  const server: Server = createServer((req, res) => {
    requests++;
    handle(req, res, state, options.apiKey).catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      if (!res.headersSent) send(res, 500, { status: { error: `Service internal error: ${message}` }, time: 0 });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const c of state.collections.values()) c.dispose();
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
