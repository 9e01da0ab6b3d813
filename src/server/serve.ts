/**
 * `memstrate serve`: opens the substrate from a config file (or the embedded default, a SQLite file
 * under ./data/), serves it over HTTP, and shuts down gracefully on SIGINT/SIGTERM — stop accepting,
 * finish the requests in flight, then close the substrate.
 */
import type { FastifyInstance } from 'fastify';
import { isIP } from 'node:net';
import { loadServerConfig, readScopedTokens, readServerToken } from '../config/server.js';
import type { Embedder } from '../contracts/embedder.js';
import type { Clock } from '../contracts/types.js';
import { startConsolidationSchedule } from '../core/consolidation-schedule.js';
import { MemorySubstrate } from '../assembly/substrate.js';
import { BackendUnavailableError, ConfigError } from '../errors.js';
import { createGateway, type GatewayOptions } from './app.js';
import type { SubstrateInfo } from '../contracts/substrate-info.js';
import { MEMSTRATE_VERSION } from '../version.js';

export const DEFAULT_PORT = 8787;
export const DEFAULT_HOST = '127.0.0.1';
/** In-flight requests get this long to finish on shutdown; then their connections are cut. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

export interface ServeOptions {
  /** TOML file with `[memory]` (and optionally `[server]`); default: the embedded SQLite default + MEMSTRATE_* env. */
  configPath?: string;
  /** Default 8787; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. Anything but loopback needs a token. */
  host?: string;
  /** Environment for the token and `MEMSTRATE_*` overrides; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Fastify/pino logger; default true (info level, JSON lines on stdout). */
  logger?: GatewayOptions['logger'];
  /** Install SIGINT/SIGTERM handlers (default true). */
  handleSignals?: boolean;
  shutdownTimeoutMs?: number;
  clock?: Clock;
  embedder?: Embedder;
}

export interface RunningGateway {
  app: FastifyInstance;
  substrate: MemorySubstrate;
  /** `http://host:port` actually bound. */
  url: string;
  /** Graceful stop: no new connections, in-flight requests finish, then the substrate closes. Idempotent. */
  close(): Promise<void>;
  /** Settles once the gateway has stopped (by close() or a signal). */
  readonly closed: Promise<void>;
}

/** True for 127.0.0.0/8, ::1 (also IPv4-mapped) and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  return false;
}

function checkPort(port: number): number {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError([`port: must be an integer in 0..65535, got ${String(port)}`]);
  return port;
}

/** The one line a started gateway says: where, on which backends, and what recall can do with its embedder. */
export function startLine(info: SubstrateInfo, url: string): string {
  const { provider, model } = info.embedding;
  const recall =
    provider === 'none'
      ? 'embedder none: keyword recall only (and vectors callers send); set embedding_provider for vector and hybrid recall'
      : provider === 'hash'
        ? 'embedder hash: a lexical stand-in for tests, not semantic; set embedding_provider = "openai" for meaning'
        : `embedder ${provider}${model ? ` (${model})` : ''}: vector, keyword and hybrid recall`;
  return `memstrate ${MEMSTRATE_VERSION} serving ${url} — main ${info.backend}, semantic ${info.semanticBackend}; ${recall}`;
}

/**
 * Starts the gateway. Resolves once it is listening.
 * @throws ConfigError for a bad config, a bad port, or a non-loopback host without a token (checked
 *   before anything is opened); BackendUnavailableError when the address cannot be bound.
 */
export async function serve(options: ServeOptions = {}): Promise<RunningGateway> {
  const env = options.env ?? process.env;
  const host = options.host ?? DEFAULT_HOST;
  const port = checkPort(options.port ?? DEFAULT_PORT);
  const server = loadServerConfig(options.configPath);
  const token = readServerToken(server, env);
  if (token !== undefined && /\s/.test(token)) throw new ConfigError([`${server.tokenEnv}: the token must not contain whitespace`]);
  const tokens = readScopedTokens(server, env, token);
  if (token === undefined && tokens.length === 0 && !isLoopbackHost(host)) {
    throw new ConfigError([
      `refusing to listen on ${host} without a bearer token: set ${server.tokenEnv} (the env var named by [server] token_env), or listen on 127.0.0.1`,
    ]);
  }

  const substrate = await MemorySubstrate.open(options.configPath, {
    env,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.embedder ? { embedder: options.embedder } : {}),
  });
  const app = createGateway(substrate, {
    token,
    tokens,
    logger: options.logger ?? true,
    bodyLimit: server.bodyLimitBytes,
    ...(server.rateLimitPerMinute !== undefined ? { rateLimitPerMinute: server.rateLimitPerMinute } : {}),
  });
  try {
    await app.listen({ port, host });
  } catch (error) {
    await app.close().catch(() => {});
    await substrate.close().catch(() => {});
    const code = (error as NodeJS.ErrnoException).code;
    throw new BackendUnavailableError(`cannot listen on ${host}:${port}: ${code ?? (error as Error).message}`, { backend: 'gateway', cause: error });
  }
  const schedule = await startConsolidationSchedule(substrate, app.log);
  const address = app.server.address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`;
  app.log.info({ url, backend: substrate.info.backend, semanticBackend: substrate.info.semanticBackend, embedding: substrate.info.embedding }, startLine(substrate.info, url));

  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  const timeoutMs = options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
  let closing: Promise<void> | undefined;
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

  const close = (): Promise<void> => {
    closing ??= (async () => {
      for (const signal of signals) process.removeListener(signal, onSignal);
      // Fastify stops accepting, answers 503 on kept-alive connections, and waits for in-flight requests.
      const timer = setTimeout(() => {
        app.log.warn({ timeoutMs }, 'in-flight requests did not finish in time; closing their connections');
        app.server.closeAllConnections();
      }, timeoutMs);
      timer.unref();
      try {
        await schedule.stop();
        await app.close();
      } finally {
        clearTimeout(timer);
        await substrate.close();
        app.log.info('gateway stopped; substrate closed');
        resolveClosed();
      }
    })();
    return closing;
  };

  let signalled = false;
  function onSignal(signal: NodeJS.Signals): void {
    if (signalled) return;
    signalled = true;
    app.log.info({ signal }, 'shutting down');
    close().catch((error: unknown) => {
      app.log.error({ err: error }, 'shutdown failed');
      process.exitCode = 1;
    });
    // A second signal while draining stops at once.
    process.once(signal, () => process.exit(signal === 'SIGINT' ? 130 : 143));
  }
  if (options.handleSignals !== false) for (const signal of signals) process.once(signal, onSignal);

  return { app, substrate, url, close, closed };
}
