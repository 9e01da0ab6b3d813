/** The structured store: per-agent key/value under `/v1/agents/:agentId/kv` and the agent registry. */
import type { MemorySubstrate } from '../../assembly/substrate.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import type { RouteTable } from '../route.js';
import { AgentParams, DeletedResponse } from '../../wire/common.js';
import { AgentList, AgentPut, AgentEntry, KvList, KvParams, KvPut, KvValue } from '../../wire/structured.js';

const KV = 'kv';
const AGENTS = 'agents';

export function structuredRoutes(table: RouteTable, mem: MemorySubstrate): void {
  table.add({
    method: 'GET',
    url: '/v1/agents/:agentId/kv',
    access: { scope: 'read', agents: ({ params }) => params.agentId },
    operationId: 'kvList',
    tag: KV,
    summary: 'Every key/value entry of the agent, ordered by key.',
    params: AgentParams,
    status: 200,
    response: KvList,
    async handler({ params }) {
      return { entries: await mem.structured.list(params.agentId) };
    },
  });

  table.add({
    method: 'GET',
    url: '/v1/agents/:agentId/kv/:key',
    access: { scope: 'read', agents: ({ params }) => params.agentId },
    operationId: 'kvGet',
    tag: KV,
    summary: 'One value (404 when the key is not set). Keys are percent-encoded in the path.',
    params: KvParams,
    status: 200,
    response: KvValue,
    errors: [404],
    async handler({ params }) {
      const value = await mem.get(params.agentId, params.key);
      if (value === undefined) throw new NotFoundError(`agent ${params.agentId} has no key ${JSON.stringify(params.key)}`, { backend: 'gateway' });
      return { key: params.key, value };
    },
  });

  table.add({
    method: 'PUT',
    url: '/v1/agents/:agentId/kv/:key',
    access: { scope: 'write', agents: ({ params }) => params.agentId },
    operationId: 'kvSet',
    tag: KV,
    summary: 'Set a value (upsert; audited).',
    params: KvParams,
    body: KvPut,
    status: 204,
    async handler({ params, body }) {
      await mem.structured.set(params.agentId, params.key, body.value, {
        ...(body.ttlMs !== undefined ? { ttlMs: body.ttlMs } : {}),
        ...(body.expiresAt !== undefined ? { expiresAt: body.expiresAt } : {}),
      });
    },
  });

  table.add({
    method: 'DELETE',
    url: '/v1/agents/:agentId/kv/:key',
    access: { scope: 'write', agents: ({ params }) => params.agentId },
    operationId: 'kvDelete',
    tag: KV,
    summary: 'Delete a value (audited when something was removed).',
    params: KvParams,
    status: 200,
    response: DeletedResponse,
    async handler({ params }) {
      return { deleted: await mem.delete(params.agentId, params.key) };
    },
  });

  table.add({
    method: 'GET',
    url: '/v1/agents',
    access: { scope: 'admin' },
    operationId: 'listAgents',
    tag: AGENTS,
    summary: 'Every registered agent, ordered by name then id.',
    status: 200,
    response: AgentList,
    async handler() {
      return { agents: await mem.structured.listAgents() };
    },
  });

  table.add({
    method: 'GET',
    url: '/v1/agents/:agentId',
    access: { scope: 'read', agents: ({ params }) => params.agentId },
    operationId: 'loadAgent',
    tag: AGENTS,
    summary: 'One registered agent (404 when unknown).',
    params: AgentParams,
    status: 200,
    response: AgentEntry,
    errors: [404],
    async handler({ params }) {
      const entry = await mem.structured.loadAgent(params.agentId);
      if (entry === undefined) throw new NotFoundError(`no agent ${params.agentId}`, { backend: 'gateway' });
      return entry;
    },
  });

  table.add({
    method: 'PUT',
    url: '/v1/agents/:agentId',
    access: { scope: 'write', agents: ({ params }) => params.agentId },
    operationId: 'saveAgent',
    tag: AGENTS,
    summary: 'Save (replace) a registry entry; every field is kept.',
    params: AgentParams,
    body: AgentPut,
    status: 204,
    async handler({ params, body }) {
      if (body.id !== undefined && body.id !== params.agentId) {
        throw new ValidationError(`body id ${JSON.stringify(body.id)} does not match the path agent ${JSON.stringify(params.agentId)}`, { backend: 'gateway' });
      }
      await mem.structured.saveAgent({ ...body, id: params.agentId });
    },
  });

  table.add({
    method: 'DELETE',
    url: '/v1/agents/:agentId',
    access: { scope: 'write', agents: ({ params }) => params.agentId },
    operationId: 'removeAgent',
    tag: AGENTS,
    summary: 'Remove a registry entry.',
    params: AgentParams,
    status: 200,
    response: DeletedResponse,
    async handler({ params }) {
      return { deleted: await mem.structured.removeAgent(params.agentId) };
    },
  });
}
