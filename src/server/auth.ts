/**
 * Bearer-token authentication. The token is compared in constant time (SHA-256 digests of both
 * sides, so the lengths match, then crypto.timingSafeEqual). Only the `Authorization` header counts:
 * a token in the query string is ignored. A rejected request gets 401 before its body is read and
 * before any handler runs, so nothing is touched.
 */
import { hash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { wireErrorBody } from '../wire/errors.js';
import { grantOf, type GatewayToken, type Grant } from './access.js';

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** SHA-256 of the UTF-8 bytes, one shot (crypto.hash: no Hash stream object per request). */
function digest(value: string): Buffer {
  return hash('sha256', value, 'buffer') as unknown as Buffer;
}

/** The SHA-256 digest of the token in a `Bearer <token>` header; undefined when there is none. */
function presentedDigest(header: string | undefined): Buffer | undefined {
  if (typeof header !== 'string') return undefined;
  const given = BEARER.exec(header)?.[1];
  return given === undefined ? undefined : digest(given);
}

/** True when `header` is `Bearer <token>` with exactly the expected token. */
export function bearerMatches(header: string | undefined, expected: Buffer): boolean {
  const given = presentedDigest(header);
  return given !== undefined && timingSafeEqual(given, expected);
}

/**
 * Requires one of the bearer tokens on every route not marked `public` (and on unknown routes), and
 * records what it grants on the request (`request.grant`). Every configured token is compared (in
 * constant time each), so the time taken does not tell which one matched. No tokens: no auth.
 */
export function installBearerAuth(app: FastifyInstance, tokens: readonly GatewayToken[]): void {
  if (tokens.length === 0) return;
  const expected = tokens.map((t) => ({ digest: digest(t.token), grant: grantOf(t) }));
  // A callback hook (not async): no promise per request.
  app.addHook('onRequest', (request, reply, done) => {
    // The presented token is hashed once and compared with every configured digest.
    const given = presentedDigest(request.headers.authorization);
    let matched: Grant | undefined;
    for (const e of expected) if (given !== undefined && timingSafeEqual(given, e.digest) && matched === undefined) matched = e.grant;
    if (matched) {
      request.grant = matched;
      return done();
    }
    if (request.routeOptions.config?.public === true) return done();
    const message = request.headers.authorization === undefined ? 'missing bearer token' : 'invalid bearer token';
    // Answered here: Fastify skips the rest of the request (body, handler) once the reply is sent.
    reply.code(401).header('www-authenticate', 'Bearer').send(wireErrorBody('UNAUTHORIZED', message));
  });
}
