/**
 * OpenFang's memory-api wire (reference spec §8.4): `GET /health`, `POST /memory/store`,
 * `POST /memory/search`. Agent scope is enforced here (OpenFang's G-5): a search names the agent it
 * searches for, and one without an agentId sees only memories stored without one (kept under the
 * nil agent) — never another agent's.
 */
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
/** Candidates examined for an exact duplicate. */
const DEDUP_CANDIDATES = 50;
/** Characters of the content used to find candidates (the comparison itself is on the whole content). */
const DEDUP_QUERY_CHARS = 2000;

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

export function openFangRoutes(table: RouteTable, mem: MemorySubstrate): void {
  const lock = new KeyedLock();

  table.add({
    method: 'GET',
    url: '/health',
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
    operationId: 'openfangStore',
    tag: 'openfang',
    summary: 'Store a memory (OpenFang wire). Identical content for the same agent and category is not stored twice.',
    body: OpenFangStore,
    status: 201,
    response: OpenFangStoreResponse,
    errors: [503],
    async handler({ body }) {
      const agentId = body.agentId ?? NIL_AGENT_ID;
      const scope = body.category ?? DEFAULT_CATEGORY;
      const metadata: JsonObject = {};
      if (body.importance !== undefined && body.importance !== null) metadata['importance'] = body.importance;
      if (body.tags !== undefined && body.tags !== null) metadata['tags'] = body.tags;
      const key = createHash('sha256').update(JSON.stringify([agentId, scope, body.content])).digest('hex');
      return lock.run(key, async () => {
        const existing = await findDuplicate(mem, agentId, scope, body.content);
        if (existing !== undefined) return { id: existing, deduplicated: true };
        const id = await mem.remember({ agentId, content: body.content, scope, source: mapOpenFangSource(body.source), metadata });
        return { id, deduplicated: false };
      });
    },
  });

  table.add({
    method: 'POST',
    url: '/memory/search',
    operationId: 'openfangSearch',
    tag: 'openfang',
    summary: 'Search memories (OpenFang wire): hybrid when an embedder is configured, else keyword. Scoped to one agent.',
    body: OpenFangSearch,
    status: 200,
    response: OpenFangSearchResponse,
    errors: [503],
    async handler({ body }) {
      const recalled = await mem.recall({
        agentId: body.agentId ?? NIL_AGENT_ID,
        text: body.query,
        limit: body.limit ?? 10,
        ...(body.category !== undefined && body.category !== null ? { filter: { scope: body.category } } : {}),
      });
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

/**
 * The id of a memory of the agent with exactly this content in this scope, if any: the keyword
 * index narrows the candidates, then the content is compared exactly. (Content with no word in it
 * cannot be found through the keyword index and is never deduplicated.)
 */
async function findDuplicate(mem: MemorySubstrate, agentId: string, scope: string, content: string): Promise<string | undefined> {
  if (!/[\p{L}\p{N}]/u.test(content)) return undefined;
  const text = content.length > DEDUP_QUERY_CHARS ? content.slice(0, DEDUP_QUERY_CHARS) : content;
  const candidates = await mem.semantic.recall({ agentId, text, mode: 'keyword', limit: DEDUP_CANDIDATES, filter: { scope } });
  return candidates.find((c) => c.memory.content === content && c.memory.supersededBy === undefined)?.memory.id;
}
