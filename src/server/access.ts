/**
 * What a bearer token may do. Every route declares its access (src/server/route.ts makes it
 * required), and the route table checks it before the handler runs:
 * - `read` / `write` on the agents a route names (a path, query or body field): the token must hold
 *   that scope and list the agent (or `*`);
 * - `owner`: routes that name a record by id (a memory, an entity, a session, a task) check the
 *   record's owner in the handler, after reading it — a record of an agent the token may not see is
 *   NOT_FOUND, its existence never revealed;
 * - `admin`: cross-agent reads (`allAgents`, every session, audit entries, usage of all agents) and
 *   store-wide operations (consolidation, devices, cleanup) need the `admin` scope and every agent.
 */
import type { FastifyRequest } from 'fastify';
import { NotFoundError } from '../errors.js';
import { TOKEN_SCOPES, type GatewayToken, type TokenScope } from '../config/server.js';

export { TOKEN_SCOPES, type GatewayToken, type TokenScope };

/** What the request's token grants. */
export interface Grant {
  name: string;
  agents: '*' | ReadonlySet<string>;
  scopes: ReadonlySet<TokenScope>;
}

/** A gateway without tokens (loopback only, see serve()): everything. */
export const FULL_GRANT: Grant = { name: 'no token', agents: '*', scopes: new Set(TOKEN_SCOPES) };

export function grantOf(token: GatewayToken): Grant {
  const every = token.agents === '*' || token.agents.includes('*');
  return { name: token.name, agents: every ? '*' : new Set(token.agents), scopes: new Set(token.scopes) };
}

/** A request the token may not make (403 FORBIDDEN on the wire). */
export class ForbiddenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForbiddenError';
  }
}

/** The agents a route's input names (undefined / [] = none named). */
type AgentsOf<I> = (input: I) => string | readonly (string | undefined)[] | undefined;

export type Access<I> =
  | { public: true }
  | { scope: 'admin' }
  | { scope: 'read' | 'write'; agents: AgentsOf<I>; /** When the input asks for every agent (e.g. allAgents), admin is needed. */ allAgents?: (input: I) => boolean }
  | { scope: 'read' | 'write'; owner: true };

declare module 'fastify' {
  interface FastifyRequest {
    /** What the request's bearer token grants (set by the auth hook). */
    grant?: Grant;
  }
}

export function requestGrant(request: FastifyRequest): Grant {
  return request.grant ?? FULL_GRANT;
}

export function mayTouch(grant: Grant, agentId: string): boolean {
  return grant.agents === '*' || grant.agents.has(agentId);
}

function needScope(grant: Grant, scope: TokenScope): void {
  if (!grant.scopes.has(scope)) throw new ForbiddenError(`token "${grant.name}" lacks the ${scope} scope`);
}

/**
 * Before the request is parsed: the scope the route needs (and, for admin routes, a token for every
 * agent). A token without them is refused whatever it sends.
 */
export function authorizeRoute<I>(grant: Grant, access: Access<I>): void {
  if ('public' in access) return;
  if (access.scope === 'admin') {
    needScope(grant, 'admin');
    if (grant.agents !== '*') throw new ForbiddenError(`token "${grant.name}" is limited to some agents; this route spans every agent`);
    return;
  }
  needScope(grant, access.scope);
}

/** After the request is parsed: the agents it names (or admin for every agent). */
export function authorize<I>(grant: Grant, access: Access<I>, input: I): void {
  if ('public' in access || access.scope === 'admin') return;
  if ('owner' in access) return; // checked in the handler once the owner is known (checkOwner)
  if (access.allAgents?.(input)) {
    needScope(grant, 'admin');
    if (grant.agents !== '*') throw new ForbiddenError(`token "${grant.name}" is limited to some agents; allAgents needs one for every agent`);
    return;
  }
  const named = access.agents(input);
  for (const agentId of typeof named === 'string' ? [named] : (named ?? [])) {
    if (agentId !== undefined && !mayTouch(grant, agentId)) throw new ForbiddenError(`token "${grant.name}" may not touch agent ${agentId}`);
  }
}

/** Whether the request's token is limited to some agents (owner routes must then look first). */
export function limitedToSomeAgents(request: FastifyRequest): boolean {
  return requestGrant(request).agents !== '*';
}

/** Whether the request's token may touch `agentId`. */
export function mayTouchAgent(request: FastifyRequest, agentId: string): boolean {
  return mayTouch(requestGrant(request), agentId);
}

/**
 * For `owner` routes that act on a record by id: true when the request's token is limited to some
 * agents and the record `load` finds is absent or another agent's — the route then answers as if it
 * did not exist. Unlimited tokens never load.
 */
export async function hiddenFrom(request: FastifyRequest, load: () => Promise<{ agentId: string } | undefined>): Promise<boolean> {
  if (!limitedToSomeAgents(request)) return false;
  const record = await load();
  return record === undefined || !mayTouchAgent(request, record.agentId);
}

/**
 * For `owner` routes: NotFoundError (as if absent) when the record's owner is not an agent the
 * request's token may touch. `what` names the record in the message.
 */
export function checkOwner(request: FastifyRequest, ownerAgentId: string | undefined, what: string): void {
  const grant = requestGrant(request);
  if (ownerAgentId !== undefined && !mayTouch(grant, ownerAgentId)) throw new NotFoundError(`no ${what}`, { backend: 'gateway' });
}
