import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startGateway } from './fixture.js';

/** Every route the gateway must serve (method + OpenAPI path). */
const EXPECTED = [
  'GET /health',
  'POST /memory/store',
  'POST /memory/search',
  'POST /v1/memories',
  'POST /v1/memories/batch',
  'POST /v1/memories/recall',
  'POST /v1/memories/get-many',
  'POST /v1/memories/count',
  'GET /v1/memories/agents',
  'POST /v1/memories/delete-where',
  'POST /v1/memories/erase',
  'POST /v1/memories/export',
  'POST /v1/memories/import',
  'POST /v1/memories/purge-expired',
  'POST /v1/memories/list',
  'GET /v1/agents/{agentId}/memories',
  'GET /v1/memories/{id}',
  'DELETE /v1/memories/{id}',
  'PATCH /v1/memories/{id}',
  'PUT /v1/memories/{id}/embedding',
  'POST /v1/consolidation',
  'POST /v1/erase',
  'GET /v1/info',
  'GET /v1/health',
  'GET /v1/openapi.json',
  'GET /v1/agents/{agentId}/kv',
  'GET /v1/agents/{agentId}/kv/{key}',
  'PUT /v1/agents/{agentId}/kv/{key}',
  'DELETE /v1/agents/{agentId}/kv/{key}',
  'GET /v1/agents',
  'GET /v1/agents/{agentId}',
  'PUT /v1/agents/{agentId}',
  'DELETE /v1/agents/{agentId}',
  'POST /v1/entities',
  'GET /v1/entities',
  'POST /v1/entities/upsert',
  'POST /v1/entities/find',
  'GET /v1/relations',
  'GET /v1/entities/{id}',
  'DELETE /v1/entities/{id}',
  'POST /v1/relations',
  'POST /v1/entities/batch',
  'POST /v1/entities/delete',
  'POST /v1/relations/batch',
  'POST /v1/relations/delete',
  'POST /v1/observations',
  'POST /v1/observations/delete',
  'POST /v1/graph/query',
  'POST /v1/sessions',
  'GET /v1/sessions',
  'GET /v1/sessions/{id}',
  'PUT /v1/sessions/{id}',
  'DELETE /v1/sessions/{id}',
  'PUT /v1/sessions/{id}/label',
  'GET /v1/agents/{agentId}/sessions',
  'DELETE /v1/agents/{agentId}/sessions',
  'GET /v1/agents/{agentId}/sessions/by-label/{label}',
  'GET /v1/agents/{agentId}/canonical',
  'PUT /v1/agents/{agentId}/canonical',
  'DELETE /v1/agents/{agentId}/canonical',
  'POST /v1/agents/{agentId}/canonical/messages',
  'GET /v1/agents/{agentId}/canonical/context',
  'PUT /v1/agents/{agentId}/canonical/summary',
  'POST /v1/usage',
  'GET /v1/usage/cost/last-hour',
  'GET /v1/usage/cost/today',
  'GET /v1/usage/cost/this-month',
  'GET /v1/usage/summary',
  'GET /v1/usage/by-model',
  'GET /v1/usage/daily',
  'GET /v1/usage/first-event',
  'POST /v1/usage/cleanup',
  'GET /v1/devices',
  'PUT /v1/devices/{deviceId}',
  'DELETE /v1/devices/{deviceId}',
  'POST /v1/tasks',
  'POST /v1/tasks/claim',
  'POST /v1/tasks/{id}/complete',
  'POST /v1/tasks/{id}/fail',
  'POST /v1/tasks/{id}/heartbeat',
  'GET /v1/tasks/{id}',
  'GET /v1/tasks',
  'GET /v1/audit/entries',
  'GET /v1/audit/tip',
  'GET /v1/audit/verify',
];

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { operationId: string; security?: unknown[]; requestBody?: { content: Record<string, { schema: unknown }> }; responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, unknown> };
};

/** A standalone JSON Schema for one component (its references resolved through $defs). */
function standalone(doc: Doc, id: string): Record<string, unknown> {
  const text = JSON.stringify({ ...(doc.components.schemas[id] as object), $defs: doc.components.schemas });
  return JSON.parse(text.replaceAll('#/components/schemas/', '#/$defs/')) as Record<string, unknown>;
}

describe('GET /v1/openapi.json', () => {
  it('documents every route, and every documented route is served', async () => {
    const gw = await startGateway();
    const res = await gw.call('GET', '/v1/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.body as Doc;
    expect(doc.openapi).toBe('3.1.0');
    const documented = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual([...EXPECTED].sort());
    for (const entry of documented) {
      const [method, path] = entry.split(' ') as [string, string];
      const url = path.replace(/\{([^}]+)\}/g, ':$1');
      expect(gw.app.hasRoute({ method: method as 'GET', url }), entry).toBe(true);
    }
    const ids = documented.map((e) => { const [m, p] = e.split(' ') as [string, string]; return doc.paths[p]?.[m.toLowerCase()]?.operationId; });
    expect(new Set(ids).size).toBe(ids.length);
    // Only /health is public; every other operation documents 401.
    expect(doc.paths['/health']?.['get']?.security).toEqual([]);
    for (const entry of documented.filter((e) => e !== 'GET /health')) {
      const [m, p] = entry.split(' ') as [string, string];
      expect(doc.paths[p]?.[m.toLowerCase()]?.responses, entry).toHaveProperty('401');
    }
  });

  it('describes request shapes with the schemas the server validates with', async () => {
    const gw = await startGateway();
    const doc = (await gw.call('GET', '/v1/openapi.json')).body as Doc;
    const op = doc.paths['/v1/memories']?.['post'];
    expect(op?.requestBody?.content['application/json']?.schema).toEqual({ $ref: '#/components/schemas/RememberInput' });
    const remember = doc.components.schemas['RememberInput'] as { required: string[]; properties: Record<string, { maxItems?: number }> };
    expect(remember.required.sort()).toEqual(['agentId', 'content']);
    expect(remember.properties['embedding']?.maxItems).toBe(16_000);

    // The document's schema and the server agree on which bodies are valid.
    const schema = z.fromJSONSchema(standalone(doc, 'RememberInput'));
    const bodies: unknown[] = [
      { agentId: 'a', content: 'valid memory' },
      { agentId: 'a', content: 'with everything', source: 'document', scope: 's', metadata: { k: [1, { x: null }] }, embedding: [0.1, 0.2], confidence: 0.5 },
      { agentId: 'a' },
      { content: 'no agent' },
      { agentId: 'a', content: 'x', source: 'gossip' },
      { agentId: 'a', content: 'x', confidence: 1.5 },
      { agentId: 'a', content: 'x', embedding: ['1'] },
      { agentId: 'a', content: 'x', metadata: [] },
    ];
    for (const body of bodies) {
      const docSays = schema.safeParse(body).success;
      const res = await gw.call('POST', '/v1/memories', body);
      expect(res.status, JSON.stringify(body)).toBe(docSays ? 201 : 400);
    }

    const recall = z.fromJSONSchema(standalone(doc, 'RecallQuery'));
    expect(recall.safeParse({ agentId: 'a', text: 'x', limit: 1000 }).success).toBe(true);
    expect(recall.safeParse({ agentId: 'a', text: 'x', limit: 1001 }).success).toBe(false);
    expect((await gw.call('POST', '/v1/memories/recall', { agentId: 'a', text: 'x', limit: 1001 })).status).toBe(400);
  });
});
