/**
 * Bearer-token authentication. The token is compared in constant time (SHA-256 digests of both
 * sides, so the lengths match, then crypto.timingSafeEqual). Only the `Authorization` header counts:
 * a token in the query string is ignored. A rejected request gets 401 before its body is read and
 * before any handler runs, so nothing is touched.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { wireErrorBody } from '../wire/errors.js';
import { grantOf, type GatewayToken, type Grant } from './access.js';

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** True when `header` is `Bearer <token>` with exactly the expected token. */
export function bearerMatches(header: string | undefined, expected: Buffer): boolean {
  if (typeof header !== 'string') return false;
  const match = BEARER.exec(header);
  const given = match?.[1];
  if (given === undefined) return false;
  return timingSafeEqual(digest(given), expected);
}

/**
 * Requires one of the bearer tokens on every route not marked `public` (and on unknown routes), and
 * records what it grants on the request (`request.grant`). Every configured token is compared (in
 * constant time each), so the time taken does not tell which one matched. No tokens: no auth.
 */
export function installBearerAuth(app: FastifyInstance, tokens: readonly GatewayToken[]): void {
  if (tokens.length === 0) return;
  const expected = tokens.map((t) => ({ digest: digest(t.token), grant: grantOf(t) }));
  app.addHook('onRequest', async (request, reply) => {
    let matched: Grant | undefined;
    for (const e of expected) if (bearerMatches(request.headers.authorization, e.digest) && matched === undefined) matched = e.grant;
    if (matched) {
      request.grant = matched;
      return;
    }
    if (request.routeOptions.config?.public === true) return;
    const message = request.headers.authorization === undefined ? 'missing bearer token' : 'invalid bearer token';
    return reply.code(401).header('www-authenticate', 'Bearer').send(wireErrorBody('UNAUTHORIZED', message));
  });
}
