/**
 * How errors leave the gateway: MemoryErrors with the status of their code, Fastify's own request
 * errors (bad JSON, body too large, wrong media type) as VALIDATION / PAYLOAD_TOO_LARGE, unknown
 * routes as NOT_FOUND, anything else as a bare INTERNAL 500. No stack trace, secret or request body
 * is ever sent, and request bodies are never logged.
 */
import { ForbiddenError } from './access.js';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { MemoryError } from '../errors.js';
import { toWireError, wireErrorBody } from '../wire/errors.js';

/** The request path without its query string (which may hold a token someone put there). */
export function pathOf(request: FastifyRequest): string {
  const url = request.url;
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function fastifyMessage(error: FastifyError, bodyLimit: number): { status: number; code: 'VALIDATION' | 'PAYLOAD_TOO_LARGE'; message: string } | undefined {
  const status = error.statusCode;
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413) {
    return { status: 413, code: 'PAYLOAD_TOO_LARGE', message: `request body is larger than the limit of ${bodyLimit} bytes` };
  }
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return { status: 400, code: 'VALIDATION', message: 'request body is not valid JSON' };
  }
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return { status: 415, code: 'VALIDATION', message: 'unsupported media type: send application/json' };
  }
  // Fastify's own request errors carry fixed texts; anything else gets a generic one.
  const message = typeof error.code === 'string' && error.code.startsWith('FST_') ? error.message : 'malformed request';
  return { status, code: 'VALIDATION', message };
}

export function installErrorHandling(app: FastifyInstance, bodyLimit: number): void {
  app.setErrorHandler((error: FastifyError | MemoryError | Error, request, reply) => {
    if ((error as FastifyError).statusCode === 429) {
      request.log.info({ code: 'RATE_LIMITED' }, 'request refused');
      return reply.code(429).send(wireErrorBody('RATE_LIMITED', error.message));
    }
    if (error instanceof ForbiddenError) {
      request.log.info({ code: 'FORBIDDEN' }, 'request refused');
      return reply.code(403).send(wireErrorBody('FORBIDDEN', error.message));
    }
    if (MemoryError.is(error)) {
      const { status, body } = toWireError(error);
      if (status >= 500) request.log.error({ err: error }, 'request failed');
      else request.log.info({ code: error.code }, 'request rejected');
      return reply.code(status).send(body);
    }
    const mapped = fastifyMessage(error as FastifyError, bodyLimit);
    if (mapped) {
      request.log.info({ code: mapped.code, fastifyCode: (error as FastifyError).code }, 'request rejected');
      return reply.code(mapped.status).send(wireErrorBody(mapped.code, mapped.message));
    }
    request.log.error({ err: error }, 'request failed');
    const { status, body } = toWireError(error);
    return reply.code(status).send(body);
  });

  app.setNotFoundHandler((request, reply) => {
    return reply.code(404).send(wireErrorBody('NOT_FOUND', `no route ${request.method} ${pathOf(request)}`));
  });
}
