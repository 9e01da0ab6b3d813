/**
 * The semantic store under `/v1/memories` (the wire the `http` semantic backend speaks), plus
 * consolidation. Mutations go through the substrate facade where it has the method, so they are
 * audited on the gateway.
 */
import { checkOwner, hiddenFrom, limitedToSomeAgents, mayTouchAgent } from '../access.js';
import type { MemorySubstrate } from '../../assembly/substrate.js';
import { NotFoundError, NotSupportedError } from '../../errors.js';
import type { RouteTable } from '../route.js';
import { AgentParams, IdParams } from '../../wire/common.js';
import {
  AgentCounts,
  AgentCountsQuery,
  AgentMemoriesQuery,
  ConsolidationBody,
  CountQuery,
  CountResult,
  DeletedMemories,
  EraseBody,
  ErasureReceipt,
  ListQuery,
  MemoryPage,
  ConsolidationReport,
  EmbeddingBody,
  ForgetResponse,
  GetManyBody,
  MemoryList,
  MemoryOwner,
  MemoryPatch,
  MemoryRecord,
  RecallQuery,
  RecallResponse,
  RememberBatch,
  RememberBatchResponse,
  RememberInput,
  PurgedResponse,
  RememberResponse,
  MemoryExportPage,
  MemoryExportQuery,
  MemoryImportBody,
  MemoryImportResult,
} from '../../wire/memories.js';

const TAG = 'memories';

export function memoryRoutes(table: RouteTable, mem: MemorySubstrate): void {
  table.add({
    method: 'POST',
    url: '/v1/memories',
    access: { scope: 'write', agents: ({ body }) => body.agentId },
    operationId: 'remember',
    tag: TAG,
    summary: 'Remember one memory (embedded on the server when no vector is given and an embedder is configured).',
    body: RememberInput,
    status: 201,
    unchangedStatus: 200,
    unchangedDescription: 'No new memory: a keyed memory was replaced (`updated: true`) or dedupe found the same content.',
    response: RememberResponse,
    errors: [501, 503],
    async handler({ body }, _request, reply) {
      const result = await mem.semantic.rememberWithResult(body);
      if (!result.created) reply.code(200);
      return result;
    },
  });

  table.add({
    method: 'POST',
    url: '/v1/memories/batch',
    access: { scope: 'write', agents: ({ body }) => body.memories.map((m) => m.agentId) },
    operationId: 'rememberMany',
    tag: TAG,
    summary: 'Remember many memories, all or nothing; ids in input order.',
    body: RememberBatch,
    status: 201,
    unchangedStatus: 200,
    unchangedDescription: 'No input made a new memory (each was replaced by key or found by dedupe).',
    response: RememberBatchResponse,
    errors: [501, 503],
    async handler({ body }, _request, reply) {
      const results = await mem.semantic.rememberManyWithResult(body.memories);
      if (results.length > 0 && !results.some((r) => r.created)) reply.code(200);
      return { ids: results.map((r) => r.id), results };
    },
  });

  table.add({
    method: 'POST',
    url: '/v1/memories/recall',
    access: { scope: 'read', agents: ({ body }) => body.agentId, allAgents: ({ body }) => body.allAgents === true },
    operationId: 'recall',
    tag: TAG,
    summary: 'Recall memories of one agent (or allAgents: true) by text and/or vector; hybrid, vector or keyword.',
    body: RecallQuery,
    status: 200,
    response: RecallResponse,
    errors: [501, 503],
    async handler({ body }) {
      return { results: await mem.recall(body) };
    },
  });

  table.add({
    method: 'POST',
    url: '/v1/memories/count',
    access: { scope: 'read', agents: ({ body }) => body.agentId, allAgents: ({ body }) => body.allAgents === true },
    operationId: 'countMemories',
    tag: TAG,
    summary: 'How many memories of one agent (or allAgents: true) match the filter (merged ones left out).',
    body: CountQuery,
    status: 200,
    response: CountResult,
    errors: [503],
    async handler({ body }) {
      return { count: await mem.semantic.count(body) };
    },
  });

  table.add({
    method: 'POST',
    url: '/v1/memories/list',
    access: { scope: 'read', agents: ({ body }) => body.agentId, allAgents: ({ body }) => body.allAgents === true },
    operationId: 'listMemories',
    tag: TAG,
    summary: 'One page of the memories of one agent (or allAgents: true) matching the filter, by creation time then id (keyset cursor).',
    body: ListQuery,
    status: 200,
    response: MemoryPage,
    errors: [503],
    async handler({ body }) {
      return mem.semantic.list(body);
    },
  });

  table.add({
    method: 'POST',
    url: '/v1/memories/delete-where',
    access: { scope: 'write', agents: ({ body }) => body.agentId, allAgents: ({ body }) => body.allAgents === true },
    operationId: 'deleteMemoriesWhere',
    tag: TAG,
    summary: 'Remove every memory of one agent (or allAgents: true) that count would count, with the memories merged into them; one audit entry.',
    body: CountQuery,
    status: 200,
    response: DeletedMemories,
    errors: [503],
    async handler({ body }) {
      const memories = await mem.semantic.deleteWhereFor(body);
      return { deleted: memories.length, memories };
    },
  });

  table.add({
    method: 'POST',
    url: '/v1/memories/erase',
    access: { scope: 'write', agents: ({ body }) => body.agentId, allAgents: ({ body }) => body.allAgents === true },
    operationId: 'eraseMemoriesWhere',
    tag: TAG,
    summary: 'Erasure: remove the memories of one agent (or allAgents: true) matching the filter, expired ones too, overwriting what the engine can; one audit entry.',
    body: CountQuery,
    status: 200,
    response: DeletedMemories,
    errors: [503],
    async handler({ body }) {
      const memories = await mem.semantic.eraseWhere(body);
      return { deleted: memories.length, memories };
    },
  });

  table.add({
    method: 'GET',
    url: '/v1/memories/agents',
    access: { scope: 'admin' },
    operationId: 'countMemoriesByAgent',
    tag: TAG,
    summary: 'The agents that have memories (registered or not), with how many each: most first, then by agentId.',
    query: AgentCountsQuery,
    status: 200,
    response: AgentCounts,
    errors: [503],
    async handler({ query }) {
      return { agents: await mem.semantic.countByAgent(query) };
    },
  });

  table.add({
    method: 'GET',
    url: '/v1/agents/:agentId/memories',
    access: { scope: 'read', agents: ({ params }) => params.agentId },
    operationId: 'listAgentMemories',
    tag: TAG,
    summary: "One page of the agent's memories, newest first by default (filters: POST /v1/memories/list).",
    params: AgentParams,
    query: AgentMemoriesQuery,
    status: 200,
    response: MemoryPage,
    errors: [503],
    async handler({ params, query }) {
      return mem.semantic.list({ agentId: params.agentId, ...query });
    },
  });

  table.add({
    method: 'GET',
    url: '/v1/memories/:id',
    access: { scope: 'read', owner: true },
    operationId: 'getMemory',
    tag: TAG,
    summary: 'One memory, with its vector when it has one.',
    params: IdParams,
    status: 200,
    response: MemoryRecord,
    errors: [404, 503],
    async handler({ params }, request) {
      const record = await mem.semantic.get(params.id);
      if (record === undefined) throw new NotFoundError(`no memory ${params.id}`, { backend: 'gateway' });
      checkOwner(request, record.agentId, `memory ${params.id}`);
      return record;
    },
  });

  table.add({
    method: 'POST',
    url: '/v1/memories/get-many',
    access: { scope: 'read', owner: true },
    operationId: 'getMemories',
    tag: TAG,
    summary: 'The memories of up to 1000 ids that exist, in the order asked (unknown ids, and those of agents the token may not read, are left out).',
    body: GetManyBody,
    status: 200,
    response: MemoryList,
    errors: [503],
    async handler({ body }, request) {
      const memories = await mem.semantic.getMany(body.ids);
      return { memories: limitedToSomeAgents(request) ? memories.filter((m) => mayTouchAgent(request, m.agentId)) : memories };
    },
  });

  table.add({
    method: 'DELETE',
    url: '/v1/memories/:id',
    access: { scope: 'write', owner: true },
    operationId: 'forget',
    tag: TAG,
    summary: 'Forget a memory (its vector and keyword entry too).',
    params: IdParams,
    status: 200,
    response: ForgetResponse,
    errors: [503],
    async handler({ params }, request) {
      if (await hiddenFrom(request, () => mem.semantic.get(params.id))) return { deleted: false };
      const owner = await mem.semantic.forgetFor(params.id);
      return owner ? { deleted: true, agentId: owner.agentId } : { deleted: false };
    },
  });

  table.add({
    method: 'PATCH',
    url: '/v1/memories/:id',
    access: { scope: 'write', owner: true },
    operationId: 'updateMemory',
    tag: TAG,
    summary: 'Change fields of a memory (content re-embedded and re-indexed; metadata replaced whole); answers the updated memory.',
    params: IdParams,
    body: MemoryPatch,
    status: 200,
    response: MemoryRecord,
    errors: [404, 503],
    async handler({ params, body }, request) {
      if (await hiddenFrom(request, () => mem.semantic.get(params.id))) throw new NotFoundError(`no memory ${params.id}`, { backend: 'gateway' });
      return (await mem.semantic.updateFor(params.id, body)).record;
    },
  });

  table.add({
    method: 'PUT',
    url: '/v1/memories/:id/embedding',
    access: { scope: 'write', owner: true },
    operationId: 'updateEmbedding',
    tag: TAG,
    summary: 'Replace the vector of a memory; answers whose memory it is.',
    params: IdParams,
    body: EmbeddingBody,
    status: 200,
    response: MemoryOwner,
    errors: [404, 501, 503],
    async handler({ params, body }, request) {
      if (await hiddenFrom(request, () => mem.semantic.get(params.id))) throw new NotFoundError(`no memory ${params.id}`, { backend: 'gateway' });
      return mem.semantic.updateEmbeddingFor(params.id, body.embedding);
    },
  });

  const memoryArchive = () => {
    if (!mem.memoryArchive) throw new NotSupportedError(`the ${mem.info.semanticBackend} semantic backend offers no export / import of memories`, { backend: 'gateway' });
    return mem.memoryArchive;
  };

  table.add({
    method: 'POST',
    url: '/v1/memories/export',
    access: { scope: 'admin' },
    operationId: 'exportMemories',
    tag: 'archive',
    summary: 'A page of every memory as stored (merged and expired ones too, with vectors) of the agents given (default all), with the next page\'s cursor and the vector space.',
    body: MemoryExportQuery,
    status: 200,
    response: MemoryExportPage,
    errors: [501, 503],
    async handler({ body }) {
      const archive = memoryArchive();
      const page = await archive.exportRows({ cursor: body.cursor, limit: body.limit, agentIds: body.agentIds });
      const total = body.count === true && archive.countRows ? await archive.countRows(body.agentIds) : undefined;
      return { rows: page.rows, ...(page.cursor === undefined ? {} : { cursor: page.cursor }), vectorSpace: (await archive.vectorSpace()) ?? null, ...(total === undefined ? {} : { total }) };
    },
  });

  table.add({
    method: 'POST',
    url: '/v1/memories/import',
    access: { scope: 'admin' },
    operationId: 'importMemories',
    tag: 'archive',
    summary: 'Write memories exactly as given (ids, timestamps, access counts kept); an existing id or (agent, key) is left alone, or replaced with overwrite. One memory.import audit entry.',
    body: MemoryImportBody,
    status: 200,
    response: MemoryImportResult,
    errors: [501, 503],
    async handler({ body }) {
      const archive = memoryArchive();
      if (body.vectorSpace) await archive.adoptVectorSpace(body.vectorSpace);
      return { outcomes: await archive.importRows(body.rows, { overwrite: body.overwrite }) };
    },
  });

  table.add({
    method: 'POST',
    url: '/v1/erase',
    access: { scope: 'admin' },
    operationId: 'erase',
    tag: 'erasure',
    summary: "Erasure: remove an agent's data from every store (or only the memories matching filter); returns the receipt.",
    body: EraseBody,
    status: 200,
    response: ErasureReceipt,
    errors: [503],
    async handler({ body }) {
      return mem.erase(body);
    },
  });

  table.add({
    method: 'POST',
    url: '/v1/consolidation',
    access: { scope: 'admin' },
    operationId: 'consolidate',
    tag: 'consolidation',
    summary: 'Decay unused memories and merge exact duplicates (dryRun: count only).',
    body: ConsolidationBody,
    bodyOptional: true,
    status: 200,
    response: ConsolidationReport,
    errors: [501, 503],
    async handler({ body }) {
      return mem.consolidate(body.dryRun === undefined ? {} : { dryRun: body.dryRun });
    },
  });

  table.add({
    method: 'POST',
    url: '/v1/memories/purge-expired',
    access: { scope: 'admin' },
    operationId: 'purgeExpiredMemories',
    tag: TAG,
    summary: 'Delete every memory whose expiry has passed (they are already invisible to every read); answers how many.',
    status: 200,
    response: PurgedResponse,
    errors: [501, 503],
    async handler() {
      return { purged: await mem.semantic.purgeExpired() };
    },
  });
}
