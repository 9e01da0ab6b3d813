/**
 * A tiny node:http proxy put in front of the REAL gateway to inject faults into the wire: per
 * request it passes through, drops the connection, answers a status of its own, hangs, delays,
 * or rewrites the gateway's answer. It records every request it sees (`METHOD /path`), so tests can
 * count attempts. It is not a gateway stand-in: everything that passes is answered by the gateway.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Fault =
  | 'pass'
  /** Destroy the connection without an answer (a network error on the client). */
  | 'drop'
  /** Never answer (until the proxy stops). */
  | 'hang'
  /** Answer this status (and body) without asking the gateway. */
  | { status: number; body?: string }
  /** Forward after this delay. */
  | { delayMs: number }
  /** Forward, then replace the gateway's answer body. */
  | { rewrite: (body: string) => string };

export interface SeenRequest {
  method: string;
  path: string;
  /** 1-based count of requests with this method and path so far. */
  n: number;
  /** The request body as sent (UTF-8). */
  body: string;
}

export class FaultProxy {
  readonly seen: SeenRequest[] = [];
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private plan: (req: SeenRequest) => Fault = () => 'pass';
  port = 0;

  constructor(private target: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** What to do with each request from now on (default: pass everything). */
  setPlan(plan: (req: SeenRequest) => Fault): void {
    this.plan = plan;
  }

  /** How many requests with this method whose path starts with `prefix` reached the proxy. */
  count(method: string, prefix: string): number {
    return this.seen.filter((r) => r.method === method && r.path.startsWith(prefix)).length;
  }

  clear(): void {
    this.seen.length = 0;
  }

  async start(port = this.port): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const seen: SeenRequest = { method, path, n: this.seen.filter((r) => r.method === method && r.path === path).length + 1, body: body.toString('utf8') };
    this.seen.push(seen);
    const fault = this.plan(seen);
    if (fault === 'drop') {
      req.socket.destroy();
      return;
    }
    if (fault === 'hang') return;
    if (typeof fault === 'object' && 'status' in fault) {
      res.writeHead(fault.status, { 'content-type': fault.body?.startsWith('{') ? 'application/json' : 'text/plain' });
      res.end(fault.body ?? '');
      return;
    }
    if (typeof fault === 'object' && 'delayMs' in fault) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    const rewrite = typeof fault === 'object' && 'rewrite' in fault ? fault.rewrite : undefined;
    await this.forward(method, path, req.headers, body, res, rewrite);
  }

  private forward(
    method: string,
    path: string,
    headers: IncomingMessage['headers'],
    body: Buffer,
    res: ServerResponse,
    rewrite: ((body: string) => string) | undefined,
  ): Promise<void> {
    const target = new URL(path, this.target);
    return new Promise((resolve) => {
      const upstream = httpRequest(target, { method, headers: { ...headers, host: target.host } }, (answer) => {
        const parts: Buffer[] = [];
        answer.on('data', (c: Buffer) => parts.push(c));
        answer.on('end', () => {
          let out = Buffer.concat(parts);
          if (rewrite) out = Buffer.from(rewrite(out.toString('utf8')));
          const h = { ...answer.headers };
          delete h['content-length'];
          delete h['transfer-encoding'];
          res.writeHead(answer.statusCode ?? 502, { ...h, 'content-length': String(out.length) });
          res.end(out);
          resolve();
        });
      });
      upstream.on('error', () => {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('bad gateway (proxy)');
        resolve();
      });
      upstream.end(body);
    });
  }
}
