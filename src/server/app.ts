/**
 * The gateway as a Fastify instance (not listening): OpenFang's memory-api wire and the full API
 * under `/v1/`, bearer auth, schema-validated requests, mapped errors and structured logs.
 */
import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { MemorySubstrate } from '../assembly/substrate.js';
import { TOKEN_SCOPES, type GatewayToken } from './access.js';
import { installBearerAuth } from './auth.js';
import { installErrorHandling } from './error-handling.js';
import { RouteTable } from './route.js';
import { auditRoutes } from './routes/audit.js';
import { deviceRoutes } from './routes/devices.js';
import { knowledgeRoutes } from './routes/knowledge.js';
import { memoryRoutes } from './routes/memories.js';
import { installMcpEndpoint } from './mcp-endpoint.js';
import { openFangRoutes } from './routes/openfang.js';
import { sessionRoutes } from './routes/sessions.js';
import { structuredRoutes } from './routes/structured.js';
import { systemRoutes } from './routes/system.js';
import { taskRoutes } from './routes/tasks.js';
import { usageRoutes } from './routes/usage.js';

/** The unscoped token: every agent, every scope. */
function fullToken(token: string): GatewayToken {
  return { name: 'default', token, agents: '*', scopes: TOKEN_SCOPES };
}

/** Default request body limit: 1 MiB. */
export const DEFAULT_BODY_LIMIT = 1_048_576;
/** Longest path parameter accepted (a 1024-character key, percent-encoded). */
const MAX_PARAM_LENGTH = 8192;

type LoggerOption = FastifyServerOptions['logger'];

export interface GatewayOptions {
  /**
   * A bearer token with every scope on every agent (the `[server] token_env` one); undefined = none.
   * With neither `token` nor `tokens` there is no auth (loopback only, see serve()).
   */
  token: string | undefined;
  /** Scoped tokens (`[[server.tokens]]`): each limited to some agents and scopes (src/server/access.ts). */
  tokens?: readonly GatewayToken[];
  /** Fastify's (pino) logger: false (default) = silent, true = info level, or pino options. */
  logger?: boolean | Exclude<LoggerOption, boolean | undefined>;
  /** Largest request body in bytes (413 PAYLOAD_TOO_LARGE beyond). Default 1 MiB. */
  bodyLimit?: number;
  /**
   * Requests per minute each client may make (429 RATE_LIMITED beyond); a client is its bearer
   * token, or its address without one. `GET /health` is exempt. Undefined: no limit.
   */
  rateLimitPerMinute?: number;
}

/**
 * One line per request at debug level, instead of Fastify's two at info; a request that errored or
 * answered 5xx stays at error level.
 */
class QuietRequestLogs extends LogController {
  override incomingRequest(): void {}
  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = { req: request, res: reply, responseTime: Math.round(reply.elapsedTime * 10) / 10 };
    if (error || reply.statusCode >= 500) reply.log.error({ ...line, ...(error ? { err: error } : {}) }, 'request failed');
    else reply.log.debug(line, 'request completed');
  }
}

/**
 * Human-readable lines (pino-pretty) when stdout is a terminal, JSON lines otherwise (a pipe, a
 * file, a log collector); MEMSTRATE_LOG_FORMAT=json or =pretty forces either.
 */
function prettyLogs(): boolean {
  const format = process.env['MEMSTRATE_LOG_FORMAT'];
  if (format === 'json') return false;
  if (format === 'pretty') return true;
  return process.stdout.isTTY === true;
}

/**
 * Logs carry method, path (never the query string), status and timing — never headers, tokens or
 * bodies.
 */
function loggerOptions(option: GatewayOptions['logger']): LoggerOption {
  if (!option) return false;
  const base = option === true ? {} : option;
  return {
    name: 'memstrate-gateway',
    level: process.env['MEMSTRATE_LOG_LEVEL'] ?? 'info',
    ...(option === true && prettyLogs() ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } } : {}),
    ...base,
    redact: { paths: ['req.headers.authorization', 'headers.authorization'], censor: '***' },
    serializers: {
      req: (request: { method?: string; url?: string; id?: string }) => ({
        method: request.method,
        url: typeof request.url === 'string' ? request.url.split('?')[0] : undefined,
      }),
      res: (reply: { statusCode?: number }) => ({ statusCode: reply.statusCode }),
    },
  };
}

/**
 * Once close() has begun, responses to the requests still in flight say `Connection: close`, so
 * their kept-alive sockets end with them and the server can finish closing (Fastify only marks
 * requests that arrive after close()).
 */
function closeConnectionsWhenDraining(app: FastifyInstance): void {
  let draining = false;
  app.addHook('preClose', async () => {
    draining = true;
  });
  // A callback hook (not async): no promise per response.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) reply.header('connection', 'close');
    done(null, payload);
  });
}

/** @fastify/rate-limit per client (token digest, else address), answering with the wire's error body. */
function installRateLimit(app: FastifyInstance, max: number): void {
  void app.register(rateLimit, {
    global: true,
    max,
    timeWindow: 60_000,
    keyGenerator: (request) => {
      const auth = request.headers.authorization;
      return typeof auth === 'string' ? `t:${createHash('sha256').update(auth).digest('hex')}` : `a:${request.ip}`;
    },
    allowList: (request) => request.routeOptions.config?.public === true,
    // Thrown to the error handler, which answers 429 with the wire's RATE_LIMITED body.
    errorResponseBuilder: (_request, context) => Object.assign(new Error(`more than ${context.max} requests per minute; retry after ${context.after}`), { statusCode: 429 }),
  });
}

/**
 * Builds the gateway on `substrate` and returns it without listening (call `listen`, or `inject` in
 * tests). The caller owns the substrate: closing the app does not close it (see serve()).
 */
export function createGateway(substrate: MemorySubstrate, options: GatewayOptions): FastifyInstance {
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const app = Fastify({
    logger: loggerOptions(options.logger),
    bodyLimit,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    return503OnClosing: true,
    requestIdHeader: false,
    logController: new QuietRequestLogs(),
  }) as unknown as FastifyInstance;

  installErrorHandling(app, bodyLimit);
  if (options.rateLimitPerMinute !== undefined) installRateLimit(app, options.rateLimitPerMinute);
  installBearerAuth(app, [...(options.token !== undefined ? [fullToken(options.token)] : []), ...(options.tokens ?? [])]);
  closeConnectionsWhenDraining(app);

  const table = new RouteTable();
  openFangRoutes(table, substrate);
  memoryRoutes(table, substrate);
  structuredRoutes(table, substrate);
  knowledgeRoutes(table, substrate);
  sessionRoutes(table, substrate);
  usageRoutes(table, substrate);
  deviceRoutes(table, substrate);
  taskRoutes(table, substrate);
  auditRoutes(table, substrate);
  systemRoutes(table, substrate);
  // In a plugin, loaded after the rate limiter (when configured), so its route hook sees every route.
  void app.register(async (scope) => table.register(scope));
  // MCP over Streamable HTTP beside the REST API (not in its OpenAPI document: JSON-RPC inside).
  void app.register(async (scope) => installMcpEndpoint(scope, substrate));

  return app;
}
