import { expect, it } from 'vitest';
import { startGateway, type GatewayUnderTest } from './fixture.js';

/**
 * Every mutating route of the gateway's OpenAPI document (POST, PUT, PATCH, DELETE) appends exactly one
 * audit entry on the gateway naming the agent and the action; the read-only POSTs append none. The
 * operations are enumerated from the document itself, so a new route without a case here fails.
 */

interface Request {
  method: string;
  path: string;
  body?: unknown;
}

interface Case {
  /** The entry the call appends, or null for a read-only operation. */
  expect: { action: string; agentId: string } | null;
  /** Sets up what the call needs (setup may append entries of its own) and returns the call. */
  request(gw: GatewayUnderTest): Promise<Request>;
}

const A = 'agent-a';
const msg = [{ role: 'user', content: 'hi' }];

async function ok(gw: GatewayUnderTest, method: string, path: string, body?: unknown): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const reply = await gw.call(method, path, body);
  if (reply.status >= 300) throw new Error(`${method} ${path}: ${reply.status} ${reply.text}`);
  return reply.body;
}

const memory = (gw: GatewayUnderTest) => ok(gw, 'POST', '/v1/memories', { agentId: A, content: 'the sky is blue', embedding: [1, 0, 0] });
let entities = 0;
/** A new entity (names are unique per agent and type: each call numbers its name). */
const entity = (gw: GatewayUnderTest, name: string) => ok(gw, 'POST', '/v1/entities', { agentId: A, entityType: 'person', name: `${name} ${++entities}` });
const session = (gw: GatewayUnderTest) => ok(gw, 'POST', '/v1/sessions', { agentId: A });
async function claimed(gw: GatewayUnderTest) {
  await ok(gw, 'POST', '/v1/tasks', { title: 't', createdBy: A });
  return (await ok(gw, 'POST', '/v1/tasks/claim', { agentId: 'worker' })).task as { id: string; token: string };
}

const CASES: Record<string, Case> = {
  openfangStore: { expect: { action: 'memory.remember', agentId: A }, request: async () => ({ method: 'POST', path: '/memory/store', body: { content: 'Ada prefers Rust', agentId: A } }) },
  openfangSearch: { expect: null, request: async () => ({ method: 'POST', path: '/memory/search', body: { query: 'Rust', agentId: A } }) },
  remember: { expect: { action: 'memory.remember', agentId: A }, request: async () => ({ method: 'POST', path: '/v1/memories', body: { agentId: A, content: 'x', embedding: [1, 0, 0] } }) },
  rememberMany: { expect: { action: 'memory.remember_many', agentId: A }, request: async () => ({ method: 'POST', path: '/v1/memories/batch', body: { memories: [{ agentId: A, content: 'x', embedding: [1, 0, 0] }] } }) },
  recall: { expect: null, request: async () => ({ method: 'POST', path: '/v1/memories/recall', body: { agentId: A, text: 'sky' } }) },
  countMemories: { expect: null, request: async () => ({ method: 'POST', path: '/v1/memories/count', body: { agentId: A } }) },
  listMemories: { expect: null, request: async () => ({ method: 'POST', path: '/v1/memories/list', body: { agentId: A, filter: { where: { 'metadata.k': { $exists: false } } } } }) },
  exportMemories: { expect: null, request: async (gw) => { await memory(gw); return { method: 'POST', path: '/v1/memories/export', body: { limit: 10 } }; } },
  importMemories: {
    expect: { action: 'memory.import', agentId: A },
    request: async () => ({
      method: 'POST',
      path: '/v1/memories/import',
      body: {
        overwrite: false,
        vectorSpace: { dimensions: 3, embedderId: 'caller' },
        rows: [{ id: '01900000-0000-7000-8000-000000000001', agentId: A, content: 'imported', source: 'observation', scope: 'episodic', metadata: {}, confidence: 1, createdAt: 1, accessedAt: 2, accessCount: 3, embedding: [0, 1, 0] }],
      },
    }),
  },
  erase: { expect: { action: 'agent.erase', agentId: A }, request: async (gw) => { await memory(gw); return { method: 'POST', path: '/v1/erase', body: { agentId: A } }; } },
  eraseMemoriesWhere: { expect: { action: 'memory.erase', agentId: A }, request: async (gw) => { await memory(gw); return { method: 'POST', path: '/v1/memories/erase', body: { agentId: A } }; } },
  deleteMemoriesWhere: { expect: { action: 'memory.delete_where', agentId: A }, request: async (gw) => { await memory(gw); return { method: 'POST', path: '/v1/memories/delete-where', body: { agentId: A } }; } },
  getMemories: { expect: null, request: async (gw) => ({ method: 'POST', path: '/v1/memories/get-many', body: { ids: [(await memory(gw)).id] } }) },
  forget: { expect: { action: 'memory.forget', agentId: A }, request: async (gw) => ({ method: 'DELETE', path: `/v1/memories/${(await memory(gw)).id}` }) },
  updateMemory: { expect: { action: 'memory.update', agentId: A }, request: async (gw) => ({ method: 'PATCH', path: `/v1/memories/${(await memory(gw)).id}`, body: { content: 'the sky is grey', metadata: { k: 1 } } }) },
  updateEmbedding: { expect: { action: 'memory.update_embedding', agentId: A }, request: async (gw) => ({ method: 'PUT', path: `/v1/memories/${(await memory(gw)).id}/embedding`, body: { embedding: [0, 1, 0] } }) },
  purgeExpiredMemories: {
    expect: { action: 'memory.purge_expired', agentId: '' },
    request: async (gw) => {
      await ok(gw, 'POST', '/v1/memories', { agentId: A, content: 'brief', ttlMs: 1 });
      await new Promise((r) => setTimeout(r, 5));
      return { method: 'POST', path: '/v1/memories/purge-expired', body: {} };
    },
  },
  consolidate: { expect: { action: 'memory.consolidate', agentId: '' }, request: async () => ({ method: 'POST', path: '/v1/consolidation', body: {} }) },
  kvSet: { expect: { action: 'kv.set', agentId: A }, request: async () => ({ method: 'PUT', path: `/v1/agents/${A}/kv/k`, body: { value: 1 } }) },
  kvDelete: { expect: { action: 'kv.delete', agentId: A }, request: async (gw) => { await ok(gw, 'PUT', `/v1/agents/${A}/kv/k`, { value: 1 }); return { method: 'DELETE', path: `/v1/agents/${A}/kv/k` }; } },
  saveAgent: { expect: { action: 'agent.save', agentId: A }, request: async () => ({ method: 'PUT', path: `/v1/agents/${A}`, body: { name: 'Ada' } }) },
  removeAgent: { expect: { action: 'agent.remove', agentId: A }, request: async (gw) => { await ok(gw, 'PUT', `/v1/agents/${A}`, { name: 'Ada' }); return { method: 'DELETE', path: `/v1/agents/${A}` }; } },
  addEntity: { expect: { action: 'knowledge.add_entity', agentId: A }, request: async () => ({ method: 'POST', path: '/v1/entities', body: { agentId: A, entityType: 'person', name: 'Ada' } }) },
  deleteEntity: { expect: { action: 'knowledge.delete_entity', agentId: A }, request: async (gw) => ({ method: 'DELETE', path: `/v1/entities/${(await entity(gw, 'Ada')).id}` }) },
  addRelation: {
    expect: { action: 'knowledge.add_relation', agentId: A },
    request: async (gw) => ({ method: 'POST', path: '/v1/relations', body: { agentId: A, source: (await entity(gw, 'Ada')).id, relation: 'knows_about', target: (await entity(gw, 'Rust')).id } }),
  },
  upsertEntity: { expect: { action: 'knowledge.upsert_entity', agentId: A }, request: async () => ({ method: 'POST', path: '/v1/entities/upsert', body: { agentId: A, entityType: 'tool', name: 'Loom', properties: { v: 1 } } }) },
  addEntities: { expect: { action: 'knowledge.add_entities', agentId: A }, request: async () => ({ method: 'POST', path: '/v1/entities/batch', body: { agentId: A, onNameTaken: 'skip', entities: [{ entityType: 'person', name: 'Batch 1' }, { entityType: 'tool', name: 'Batch 2' }] } }) },
  deleteEntities: {
    expect: { action: 'knowledge.delete_entities', agentId: A },
    request: async (gw) => {
      const { id } = await entity(gw, 'Ada');
      await ok(gw, 'POST', '/v1/entities', { agentId: A, entityType: 'tool', name: 'Doomed' });
      return { method: 'POST', path: '/v1/entities/delete', body: { agentId: A, entities: [id, { name: 'Doomed' }] } };
    },
  },
  addRelations: {
    expect: { action: 'knowledge.add_relations', agentId: A },
    request: async (gw) => {
      const [s, t] = [(await entity(gw, 'Ada')).id, (await entity(gw, 'Rust')).id];
      return { method: 'POST', path: '/v1/relations/batch', body: { agentId: A, relations: [{ source: s, relation: 'knows_about', target: t }, { source: t, relation: 'related_to', target: s }] } };
    },
  },
  deleteRelations: {
    expect: { action: 'knowledge.delete_relations', agentId: A },
    request: async (gw) => {
      const [s, t] = [(await entity(gw, 'Ada')).id, (await entity(gw, 'Rust')).id];
      const { id } = await ok(gw, 'POST', '/v1/relations', { agentId: A, source: s, relation: 'knows_about', target: t });
      await ok(gw, 'POST', '/v1/relations', { agentId: A, source: s, relation: 'uses', target: t });
      return { method: 'POST', path: '/v1/relations/delete', body: { agentId: A, relations: [id, { source: s, relation: 'uses', target: t }] } };
    },
  },
  addObservations: { expect: { action: 'knowledge.add_observations', agentId: A }, request: async (gw) => ({ method: 'POST', path: '/v1/observations', body: { agentId: A, changes: [{ entity: (await entity(gw, 'Ada')).id, observations: ['likes tea', 'writes code'] }] } }) },
  deleteObservations: {
    expect: { action: 'knowledge.delete_observations', agentId: A },
    request: async (gw) => {
      const { id } = await entity(gw, 'Ada');
      await ok(gw, 'POST', '/v1/observations', { agentId: A, changes: [{ entity: id, observations: ['likes tea'] }] });
      return { method: 'POST', path: '/v1/observations/delete', body: { agentId: A, changes: [{ entity: { id }, observations: ['likes tea'] }] } };
    },
  },
  findEntities: { expect: null, request: async () => ({ method: 'POST', path: '/v1/entities/find', body: { agentId: A, name: 'ada', caseInsensitive: true } }) },
  queryGraph: { expect: null, request: async () => ({ method: 'POST', path: '/v1/graph/query', body: { agentId: A } }) },
  createSession: { expect: { action: 'session.create', agentId: A }, request: async () => ({ method: 'POST', path: '/v1/sessions', body: { agentId: A } }) },
  saveSession: {
    expect: { action: 'session.save', agentId: A },
    request: async (gw) => {
      const s = await session(gw);
      return { method: 'PUT', path: `/v1/sessions/${s.id}`, body: { agentId: A, messages: msg, contextWindowTokens: 0, createdAt: s.createdAt } };
    },
  },
  deleteSession: { expect: { action: 'session.delete', agentId: A }, request: async (gw) => ({ method: 'DELETE', path: `/v1/sessions/${(await session(gw)).id}` }) },
  setSessionLabel: { expect: { action: 'session.set_label', agentId: A }, request: async (gw) => ({ method: 'PUT', path: `/v1/sessions/${(await session(gw)).id}/label`, body: { label: 'main' } }) },
  deleteSessionsForAgent: { expect: { action: 'session.delete_for_agent', agentId: A }, request: async (gw) => { await session(gw); return { method: 'DELETE', path: `/v1/agents/${A}/sessions` }; } },
  saveCanonical: { expect: { action: 'canonical.save', agentId: A }, request: async () => ({ method: 'PUT', path: `/v1/agents/${A}/canonical`, body: { messages: msg } }) },
  deleteCanonical: { expect: { action: 'canonical.delete', agentId: A }, request: async (gw) => { await ok(gw, 'PUT', `/v1/agents/${A}/canonical`, { messages: msg }); return { method: 'DELETE', path: `/v1/agents/${A}/canonical` }; } },
  appendCanonical: { expect: { action: 'canonical.append', agentId: A }, request: async () => ({ method: 'POST', path: `/v1/agents/${A}/canonical/messages`, body: { messages: msg } }) },
  storeLlmSummary: { expect: { action: 'canonical.store_summary', agentId: A }, request: async () => ({ method: 'PUT', path: `/v1/agents/${A}/canonical/summary`, body: { summary: 's', keptMessages: msg } }) },
  recordUsage: { expect: { action: 'usage.record', agentId: A }, request: async () => ({ method: 'POST', path: '/v1/usage', body: { agentId: A, model: 'm', inputTokens: 1, outputTokens: 1, costUsd: 0.01 } }) },
  usageCleanup: {
    expect: { action: 'usage.cleanup', agentId: '' },
    request: async (gw) => {
      await ok(gw, 'POST', '/v1/usage', { agentId: A, model: 'm', inputTokens: 1, outputTokens: 1, costUsd: 0.01, timestamp: Date.now() - 40 * 86_400_000 });
      return { method: 'POST', path: '/v1/usage/cleanup', body: { olderThanDays: 30 } };
    },
  },
  saveDevice: { expect: { action: 'device.save', agentId: '' }, request: async () => ({ method: 'PUT', path: '/v1/devices/d1', body: { displayName: 'Phone', platform: 'ios', pairedAt: 1, lastSeen: 2 } }) },
  removeDevice: {
    expect: { action: 'device.remove', agentId: '' },
    request: async (gw) => { await ok(gw, 'PUT', '/v1/devices/d1', { displayName: 'Phone', platform: 'ios', pairedAt: 1, lastSeen: 2 }); return { method: 'DELETE', path: '/v1/devices/d1' }; },
  },
  postTask: { expect: { action: 'task.post', agentId: A }, request: async () => ({ method: 'POST', path: '/v1/tasks', body: { title: 't', createdBy: A } }) },
  claimTask: { expect: { action: 'task.claim', agentId: 'worker' }, request: async (gw) => { await ok(gw, 'POST', '/v1/tasks', { title: 't' }); return { method: 'POST', path: '/v1/tasks/claim', body: { agentId: 'worker' } }; } },
  completeTask: { expect: { action: 'task.complete', agentId: 'worker' }, request: async (gw) => { const t = await claimed(gw); return { method: 'POST', path: `/v1/tasks/${t.id}/complete`, body: { token: t.token, result: 1 } }; } },
  failTask: { expect: { action: 'task.fail', agentId: 'worker' }, request: async (gw) => { const t = await claimed(gw); return { method: 'POST', path: `/v1/tasks/${t.id}/fail`, body: { token: t.token, error: 'boom' } }; } },
  heartbeatTask: { expect: { action: 'task.heartbeat', agentId: 'worker' }, request: async (gw) => { const t = await claimed(gw); return { method: 'POST', path: `/v1/tasks/${t.id}/heartbeat`, body: { token: t.token } }; } },
};

it('every mutating route of the OpenAPI document appends exactly one audit entry; read-only POSTs none', async () => {
  const gw = await startGateway();
  const doc = (await gw.call('GET', '/v1/openapi.json')).body as { paths: Record<string, Record<string, { operationId: string }>> };
  const operations = Object.values(doc.paths).flatMap((methods) =>
    Object.entries(methods)
      .filter(([method]) => method !== 'get')
      .map(([, op]) => op.operationId),
  );
  expect(operations.length).toBeGreaterThan(30);
  expect(operations.filter((op) => !(op in CASES)), 'mutating routes without an audit case').toEqual([]);
  expect(Object.keys(CASES).filter((op) => !operations.includes(op)), 'cases for routes that no longer exist').toEqual([]);

  for (const operation of operations) {
    const test = CASES[operation] as Case;
    const request = await test.request(gw);
    const before = (await gw.mem.audit.tip()).seq;
    const reply = await gw.call(request.method, request.path, request.body);
    expect(reply.status, `${operation}: ${reply.text}`).toBeLessThan(300);
    const appended = (await gw.mem.audit.entries({ after: before, limit: 10 })).map((e) => ({ action: e.action, agentId: e.agentId }));
    expect(appended, operation).toEqual(test.expect ? [test.expect] : []);
  }
  await gw.mem.audit.verify();
});
