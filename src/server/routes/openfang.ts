/**
 * OpenFang's memory-api wire (reference spec §8.4): `GET /health`, `POST /memory/store`,
 * `POST /memory/search`. Agent scope is enforced here (OpenFang's G-5): a search that names an agent
 * sees that agent's memories; one without an agentId sees what the request's token may read (its
 * agent, or every agent for an unlimited token) — never an agent the token is not allowed.
 */
import type { RecalledMemory } from '../../contracts/semantic-store.js';
import { ForbiddenError, mayTouch, requestGrant, type Grant } from '../access.js';
import { createHash } from 'node:crypto';
import type { MemorySource } from '../../contracts/semantic-store.js';
import type { JsonObject } from '../../contracts/types.js';
import type { MemorySubstrate } from '../../assembly/substrate.js';
import { KeyedLock } from '../keyed-lock.js';
import type { RouteTable } from '../route.js';
import { OpenFangHealth, OpenFangSearch, OpenFangSearchResponse, OpenFangStore, OpenFangStoreResponse } from '../../wire/openfang.js';

/** Owner of memories stored without an agentId. */
export const NIL_AGENT_ID = '00000000-0000-0000-0000-000000000000';
/** OpenFang's default category. */
export const DEFAULT_CATEGORY = 'general';

const SOURCES: Record<string, MemorySource> = {
  conversation: 'conversation',
  document: 'document',
  observation: 'observation',
  inference: 'inference',
  userprovided: 'user_provided',
  system: 'system',
};

/** OpenFang's source names (`userprovided`, `UserProvided`, `user_provided`, …) → ours; unknown or absent → conversation. */
export function mapOpenFangSource(source: string | null | undefined): MemorySource {
  if (typeof source !== 'string') return 'conversation';
  return SOURCES[source.toLowerCase().replace(/[^a-z]/g, '')] ?? 'conversation';
}

/**
 * The agent a store without an agentId is kept under: the token's one agent when it is bound to
 * exactly one (OpenFang's client never sends an agent id: its memory-api is single-tenant), else the
 * nil agent (which the token must then be allowed).
 */
export function storeAgent(grant: Grant, given: string | null | undefined): string {
  if (typeof given === 'string') return given;
  if (grant.agents !== '*' && grant.agents.size === 1) return [...grant.agents][0] as string;
  if (!mayTouch(grant, NIL_AGENT_ID)) throw new ForbiddenError(`token "${grant.name}" names several agents: say which one (agentId)`);
  return NIL_AGENT_ID;
}

/**
 * Whose memories a search sees: the agent it names; without one, what the token may read — its
 * agent(s), or every agent for a token not limited to some (a single-tenant deployment, as
 * OpenFang's client assumes: it stores with an agentId but searches without one).
 */
export function searchAgents(grant: Grant, given: string | null | undefined): { agents: string[] } | { allAgents: true } {
  if (typeof given === 'string') return { agents: [given] };
  return grant.agents === '*' ? { allAgents: true } : { agents: [...grant.agents] };
}

export function openFangRoutes(table: RouteTable, mem: MemorySubstrate): void {
  const lock = new KeyedLock();

  table.add({
    method: 'GET',
    url: '/health',
    access: { public: true },
    operationId: 'health',
    tag: 'openfang',
    summary: 'Liveness as OpenFang expects it (200 {status: ok}, 503 {status: degraded} when a backend is down), with each backend by name.',
    public: true,
    status: 200,
    response: OpenFangHealth,
    errors: [503],
    async handler(_input, _request, reply) {
      const report = await mem.health().catch(() => undefined);
      const ok = report?.ok === true;
      if (!ok) reply.code(503);
      const backends = (report?.backends ?? []).map((b) => ({ name: b.name, ok: b.ok, latencyMs: Math.round(b.latencyMs * 1000) / 1000 }));
      return { status: ok ? 'ok' : 'degraded', backends };
    },
  });

  table.add({
    method: 'POST',
    url: '/memory/store',
    access: { scope: 'write', agents: ({ body }) => body.agentId ?? undefined },
    operationId: 'openfangStore',
    tag: 'openfang',
    summary: 'Store a memory (OpenFang wire). Identical content for the same agent and category is not stored twice.',
    body: OpenFangStore,
    status: 201,
    unchangedStatus: 200,
    unchangedDescription: 'Identical content already existed for this agent and category (`deduplicated: true`, `created: false`): nothing was written.',
    response: OpenFangStoreResponse,
    errors: [503],
    async handler({ body }, request, reply) {
      const agentId = storeAgent(requestGrant(request), body.agentId);
      const scope = body.category ?? DEFAULT_CATEGORY;
      const metadata: JsonObject = {};
      if (body.importance !== undefined && body.importance !== null) metadata['importance'] = body.importance;
      if (body.tags !== undefined && body.tags !== null) metadata['tags'] = body.tags;
      const key = createHash('sha256').update(JSON.stringify([agentId, scope, body.content])).digest('hex');
      return lock.run(key, async () => {
        // The store's dedupe finds the live memory with this (agent, category, content) exactly.
        const { id, created } = await mem.semantic.rememberWithResult({ agentId, content: body.content, scope, source: mapOpenFangSource(body.source), metadata, dedupe: 'content' });
        if (!created) reply.code(200);
        return { id, deduplicated: !created, created };
      });
    },
  });

  table.add({
    method: 'POST',
    url: '/memory/search',
    access: { scope: 'read', agents: ({ body }) => body.agentId ?? undefined },
    operationId: 'openfangSearch',
    tag: 'openfang',
    summary: 'Search memories (OpenFang wire): hybrid when an embedder is configured, else keyword. Scoped to one agent.',
    body: OpenFangSearch,
    status: 200,
    response: OpenFangSearchResponse,
    errors: [503],
    async handler({ body }, request) {
      const limit = body.limit ?? 10;
      const base = { text: body.query, limit, ...(body.category !== undefined && body.category !== null ? { filter: { scope: body.category } } : {}) };
      const who = searchAgents(requestGrant(request), body.agentId);
      let recalled: RecalledMemory[];
      if ('allAgents' in who) recalled = await mem.recall({ ...base, allAgents: true });
      else {
        const lists = await Promise.all(who.agents.map((agentId) => mem.recall({ ...base, agentId })));
        recalled = lists.flat().sort((a, b) => b.score - a.score).slice(0, limit);
      }
      const results = recalled.map((r) => ({
        id: r.memory.id,
        content: r.memory.content,
        category: r.memory.scope,
        score: r.score,
        createdAt: r.memory.createdAt,
      }));
      return { results, count: results.length };
    },
  });
}

