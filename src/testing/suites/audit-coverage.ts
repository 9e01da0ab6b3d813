import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import { STORE_METHODS, type MethodKinds, type MutationKeys } from '../../contracts/store-methods.js';
import type { MemorySubstrate } from '../../index.js';
import { defineSuite } from '../conformance.js';

/**
 * Every mutating method of every store contract leaves exactly one audit entry naming the agent and
 * the action, whatever path it is reached by. The scenario tables are typed by the contracts' method
 * tables (src/contracts/store-methods.ts): a new mutating method without a scenario here fails the
 * typecheck, and the runtime check in test/conformance/audit-coverage.test.ts fails the suite.
 */

export type Stores = typeof STORE_METHODS;
type StoreOf<K extends keyof Stores> = MemorySubstrate[K];

/** Runs `call` (the one mutation under test) and returns the [action, agentId] of the entries it appended. */
export type Measure = (call: () => Promise<unknown>) => Promise<void>;
/** Sets up what the mutation needs (setup may itself append entries), then performs it inside `measure`. */
export type Scenario = (mem: MemorySubstrate, measure: Measure) => Promise<void>;
/** The expected entry: action and agent. */
export interface Expected {
  action: string;
  agentId: string;
  run: Scenario;
}

export type Scenarios = { [K in keyof Stores]: { [M in MutationKeys<StoreOf<K>, Stores[K] & MethodKinds<StoreOf<K>>>]: Expected } };

/** Lets the wall clock move past the last write (for cleanups with `days = 0`). */
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));
const A = 'agent-a';
const vec = (x: number) => [x, 1 - x, 0.5];

async function claimed(mem: MemorySubstrate) {
  await mem.tasks.post({ title: 't', createdBy: A });
  const task = await mem.tasks.claim('worker');
  if (!task) throw new Error('nothing claimed');
  return task;
}

const bytes = (text: string) => new TextEncoder().encode(text);
/** A checkpoint of agent A's thread `t` (the bytes are opaque to the store). */
const checkpoint = (checkpointId: string) => ({ agentId: A, threadId: 't', namespace: '', checkpointId, type: 'json', checkpoint: bytes('{}'), metadataType: 'json', metadata: bytes('{}') });

let entityNames = 0;
/** Two new entities (names are unique per agent and type, so each call makes fresh ones). */
async function twoEntities(mem: MemorySubstrate) {
  const n = ++entityNames;
  const source = await mem.knowledge.addEntity({ agentId: A, entityType: 'person', name: `Ada ${n}` });
  const target = await mem.knowledge.addEntity({ agentId: A, entityType: 'organization', name: `Acme ${n}` });
  return { source, target };
}

export const SCENARIOS: Scenarios = {
  structured: {
    set: { action: 'kv.set', agentId: A, run: (mem, m) => m(() => mem.structured.set(A, 'k', 1)) },
    delete: { action: 'kv.delete', agentId: A, run: async (mem, m) => { await mem.structured.set(A, 'k', 1); await m(() => mem.structured.delete(A, 'k')); } },
    purgeExpired: { action: 'kv.purge_expired', agentId: '', run: async (mem, m) => { await mem.structured.set(A, 'old', 1, { expiresAt: 1 }); await m(() => mem.structured.purgeExpired()); } },
    saveAgent: { action: 'agent.save', agentId: A, run: (mem, m) => m(() => mem.structured.saveAgent({ id: A, name: 'Ada' })) },
    removeAgent: { action: 'agent.remove', agentId: A, run: async (mem, m) => { await mem.structured.saveAgent({ id: A, name: 'Ada' }); await m(() => mem.structured.removeAgent(A)); } },
  },
  semantic: {
    remember: { action: 'memory.remember', agentId: A, run: (mem, m) => m(() => mem.semantic.remember({ agentId: A, content: 'x', embedding: vec(0.1) })) },
    rememberMany: { action: 'memory.remember_many', agentId: A, run: (mem, m) => m(() => mem.semantic.rememberMany([{ agentId: A, content: 'x', embedding: vec(0.1) }, { agentId: A, content: 'y', embedding: vec(0.2) }])) },
    deleteWhere: { action: 'memory.delete_where', agentId: A, run: async (mem, m) => { await mem.semantic.rememberMany([{ agentId: A, content: 'x', embedding: vec(0.1), scope: 'gone' }, { agentId: A, content: 'y', embedding: vec(0.2), scope: 'gone' }]); await m(async () => expect(await mem.semantic.deleteWhere({ agentId: A, filter: { scope: 'gone' } })).toBe(2)); } },
    eraseWhere: { action: 'memory.erase', agentId: A, run: async (mem, m) => { const id = await mem.semantic.remember({ agentId: A, content: 'x', embedding: vec(0.1), scope: 'gone' }); await m(async () => expect(await mem.semantic.eraseWhere({ agentId: A, filter: { scope: 'gone' } })).toEqual([{ id, agentId: A }])); } },
    deleteWhereFor: { action: 'memory.delete_where', agentId: A, run: async (mem, m) => { const id = await mem.semantic.remember({ agentId: A, content: 'x', embedding: vec(0.1), scope: 'gone' }); await m(async () => expect(await mem.semantic.deleteWhereFor({ agentId: A, filter: { scope: 'gone' } })).toEqual([{ id, agentId: A }])); } },
    rememberWithResult: { action: 'memory.remember', agentId: A, run: async (mem, m) => { await mem.semantic.remember({ agentId: A, content: 'x', key: 'k1' }); await m(() => mem.semantic.rememberWithResult({ agentId: A, content: 'y', key: 'k1' })); } },
    rememberManyWithResult: { action: 'memory.remember_many', agentId: A, run: (mem, m) => m(() => mem.semantic.rememberManyWithResult([{ agentId: A, content: 'fresh batch', dedupe: 'content' }, { agentId: A, content: 'fresh batch', dedupe: 'content' }])) },
    purgeExpired: { action: 'memory.purge_expired', agentId: '', run: async (mem, m) => { await mem.semantic.remember({ agentId: A, content: 'brief', ttlMs: 1 }); await new Promise((r) => setTimeout(r, 5)); await m(() => mem.semantic.purgeExpired()); } },
    forget: { action: 'memory.forget', agentId: A, run: async (mem, m) => { const id = await mem.semantic.remember({ agentId: A, content: 'x', embedding: vec(0.1) }); await m(() => mem.semantic.forget(id)); } },
    forgetFor: { action: 'memory.forget', agentId: A, run: async (mem, m) => { const id = await mem.semantic.remember({ agentId: A, content: 'x', embedding: vec(0.1) }); await m(async () => expect(await mem.semantic.forgetFor(id)).toEqual({ agentId: A })); } },
    update: { action: 'memory.update', agentId: A, run: async (mem, m) => { const id = await mem.semantic.remember({ agentId: A, content: 'x', embedding: vec(0.1) }); await m(async () => expect(await mem.semantic.update(id, { metadata: { v: 2 } })).toMatchObject({ id, metadata: { v: 2 } })); } },
    updateFor: { action: 'memory.update', agentId: A, run: async (mem, m) => { const id = await mem.semantic.remember({ agentId: A, content: 'x', embedding: vec(0.1) }); await m(async () => expect(await mem.semantic.updateFor(id, { content: 'y', embedding: vec(0.2) })).toMatchObject({ agentId: A, record: { id, content: 'y' } })); } },
    updateEmbedding: { action: 'memory.update_embedding', agentId: A, run: async (mem, m) => { const id = await mem.semantic.remember({ agentId: A, content: 'x', embedding: vec(0.1) }); await m(() => mem.semantic.updateEmbedding(id, vec(0.9))); } },
    updateEmbeddingFor: { action: 'memory.update_embedding', agentId: A, run: async (mem, m) => { const id = await mem.semantic.remember({ agentId: A, content: 'x', embedding: vec(0.1) }); await m(async () => expect(await mem.semantic.updateEmbeddingFor(id, vec(0.9))).toEqual({ agentId: A })); } },
  },
  knowledge: {
    addEntity: { action: 'knowledge.add_entity', agentId: A, run: (mem, m) => m(() => mem.knowledge.addEntity({ agentId: A, entityType: 'person', name: 'Ada' })) },
    upsertEntity: { action: 'knowledge.upsert_entity', agentId: A, run: async (mem, m) => { await mem.knowledge.upsertEntity({ agentId: A, entityType: 'tool', name: 'Loom' }); await m(async () => expect(await mem.knowledge.upsertEntity({ agentId: A, entityType: 'tool', name: 'Loom', properties: { v: 2 } })).toMatchObject({ created: false })); } },
    addRelation: { action: 'knowledge.add_relation', agentId: A, run: async (mem, m) => { const { source, target } = await twoEntities(mem); await m(() => mem.knowledge.addRelation({ agentId: A, source, relation: 'works_at', target })); } },
    addRelationFor: { action: 'knowledge.add_relation', agentId: A, run: async (mem, m) => { const { source, target } = await twoEntities(mem); await m(async () => expect(await mem.knowledge.addRelationFor({ agentId: A, source: { id: source }, relation: 'works_at', target: { name: `Acme ${entityNames}`, entityType: 'organization' } })).toMatchObject({ source, target })); } },
    deleteEntity: { action: 'knowledge.delete_entity', agentId: A, run: async (mem, m) => { const { source } = await twoEntities(mem); await m(() => mem.knowledge.deleteEntity(source)); } },
    deleteEntityFor: { action: 'knowledge.delete_entity', agentId: A, run: async (mem, m) => { const { source } = await twoEntities(mem); await m(async () => expect(await mem.knowledge.deleteEntityFor(source)).toEqual({ agentId: A })); } },
    addEntities: { action: 'knowledge.add_entities', agentId: A, run: (mem, m) => m(async () => expect(await mem.knowledge.addEntities({ agentId: A, entities: [{ entityType: 'person', name: `Batch ${++entityNames}` }, { entityType: 'tool', name: `Batch ${++entityNames}` }] })).toHaveLength(2)) },
    addRelations: { action: 'knowledge.add_relations', agentId: A, run: async (mem, m) => { const { source, target } = await twoEntities(mem); await m(async () => expect(await mem.knowledge.addRelations({ agentId: A, relations: [{ source, relation: 'works_at', target }, { source: target, relation: 'owned_by', target: source }] })).toHaveLength(2)); } },
    addObservations: { action: 'knowledge.add_observations', agentId: A, run: async (mem, m) => { const { source, target } = await twoEntities(mem); await m(() => mem.knowledge.addObservations({ agentId: A, changes: [{ entity: source, observations: ['likes tea'] }, { entity: target, observations: ['is big'] }] })); } },
    deleteObservations: { action: 'knowledge.delete_observations', agentId: A, run: async (mem, m) => { const { source } = await twoEntities(mem); await mem.knowledge.addObservations({ agentId: A, changes: [{ entity: source, observations: ['a', 'b'] }] }); await m(() => mem.knowledge.deleteObservations({ agentId: A, changes: [{ entity: source, observations: ['a', 'b'] }] })); } },
    deleteRelations: { action: 'knowledge.delete_relations', agentId: A, run: async (mem, m) => { const { source, target } = await twoEntities(mem); const id = await mem.knowledge.addRelation({ agentId: A, source, relation: 'works_at', target }); await mem.knowledge.addRelation({ agentId: A, source, relation: 'uses', target }); await m(async () => expect(await mem.knowledge.deleteRelations({ agentId: A, relations: [id, { source, relation: 'uses', target }] })).toHaveLength(2)); } },
    deleteEntities: { action: 'knowledge.delete_entities', agentId: A, run: async (mem, m) => { const { source, target } = await twoEntities(mem); await mem.knowledge.addRelation({ agentId: A, source, relation: 'works_at', target }); await m(async () => expect(await mem.knowledge.deleteEntities({ agentId: A, entities: [source, target] })).toEqual([source, target])); } },
  },
  sessions: {
    create: { action: 'session.create', agentId: A, run: (mem, m) => m(() => mem.sessions.create(A)) },
    save: { action: 'session.save', agentId: A, run: async (mem, m) => { const s = await mem.sessions.create(A); await m(() => mem.sessions.save({ ...s, messages: [{ role: 'user', content: 'hi' }] })); } },
    delete: { action: 'session.delete', agentId: A, run: async (mem, m) => { const s = await mem.sessions.create(A); await m(() => mem.sessions.delete(s.id)); } },
    deleteFor: { action: 'session.delete', agentId: A, run: async (mem, m) => { const s = await mem.sessions.create(A); await m(async () => expect(await mem.sessions.deleteFor(s.id)).toEqual({ agentId: A })); } },
    deleteForAgent: { action: 'session.delete_for_agent', agentId: A, run: async (mem, m) => { await mem.sessions.create(A); await mem.sessions.create(A); await m(() => mem.sessions.deleteForAgent(A)); } },
    cleanupOlderThan: { action: 'session.cleanup', agentId: '', run: async (mem, m) => { await mem.sessions.create(A); await tick(); await m(async () => expect(await mem.sessions.cleanupOlderThan(0)).toBeGreaterThanOrEqual(1)); } },
    setLabel: { action: 'session.set_label', agentId: A, run: async (mem, m) => { const s = await mem.sessions.create(A); await m(() => mem.sessions.setLabel(s.id, 'label-1')); } },
    setLabelFor: { action: 'session.set_label', agentId: A, run: async (mem, m) => { const s = await mem.sessions.create(A); await m(async () => expect(await mem.sessions.setLabelFor(s.id, 'label-2')).toEqual({ agentId: A })); } },
    saveCanonical: { action: 'canonical.save', agentId: A, run: (mem, m) => m(() => mem.sessions.saveCanonical({ agentId: A, messages: [{ role: 'user', content: 'hi' }], compactionCursor: 0, updatedAt: 0 })) },
    appendCanonical: { action: 'canonical.append', agentId: A, run: (mem, m) => m(() => mem.sessions.appendCanonical(A, [{ role: 'user', content: 'hi' }])) },
    storeLlmSummary: { action: 'canonical.store_summary', agentId: A, run: (mem, m) => m(() => mem.sessions.storeLlmSummary(A, 'summary', [{ role: 'user', content: 'hi' }])) },
    deleteCanonical: { action: 'canonical.delete', agentId: A, run: async (mem, m) => { await mem.sessions.appendCanonical(A, [{ role: 'user', content: 'hi' }]); await m(() => mem.sessions.deleteCanonical(A)); } },
  },
  usage: {
    record: { action: 'usage.record', agentId: A, run: (mem, m) => m(() => mem.usage.record({ agentId: A, model: 'm', inputTokens: 1, outputTokens: 1, costUsd: 0.01 })) },
    cleanupOlderThan: { action: 'usage.cleanup', agentId: '', run: async (mem, m) => { await mem.usage.record({ agentId: A, model: 'm', inputTokens: 1, outputTokens: 1, costUsd: 0.01, timestamp: Date.now() - 40 * 86_400_000 }); await m(() => mem.usage.cleanupOlderThan(30)); } },
  },
  devices: {
    save: { action: 'device.save', agentId: '', run: (mem, m) => m(() => mem.devices.save({ deviceId: 'd1', displayName: 'Phone', platform: 'ios', pairedAt: 1, lastSeen: 2 })) },
    remove: { action: 'device.remove', agentId: '', run: async (mem, m) => { await mem.devices.save({ deviceId: 'd1', displayName: 'Phone', platform: 'ios', pairedAt: 1, lastSeen: 2 }); await m(() => mem.devices.remove('d1')); } },
  },
  tasks: {
    post: { action: 'task.post', agentId: A, run: (mem, m) => m(() => mem.tasks.post({ title: 't', createdBy: A })) },
    claim: { action: 'task.claim', agentId: 'worker', run: async (mem, m) => { await mem.tasks.post({ title: 't', createdBy: A }); await m(() => mem.tasks.claim('worker')); } },
    complete: { action: 'task.complete', agentId: 'worker', run: async (mem, m) => { const t = await claimed(mem); await m(() => mem.tasks.complete(t.id, { ok: true }, { token: t.token })); } },
    completeFor: { action: 'task.complete', agentId: 'worker', run: async (mem, m) => { const t = await claimed(mem); await m(async () => expect(await mem.tasks.completeFor(t.id, 1, { token: t.token })).toEqual({ claimedBy: 'worker' })); } },
    fail: { action: 'task.fail', agentId: 'worker', run: async (mem, m) => { const t = await claimed(mem); await m(() => mem.tasks.fail(t.id, 'boom', { token: t.token })); } },
    failFor: { action: 'task.fail', agentId: 'worker', run: async (mem, m) => { const t = await claimed(mem); await m(async () => expect(await mem.tasks.failFor(t.id, 'boom', { token: t.token })).toMatchObject({ claimedBy: 'worker' })); } },
    heartbeat: { action: 'task.heartbeat', agentId: 'worker', run: async (mem, m) => { const t = await claimed(mem); await m(() => mem.tasks.heartbeat(t.id, t.token)); } },
    cleanupOlderThan: { action: 'task.cleanup', agentId: '', run: async (mem, m) => { const t = await claimed(mem); await mem.tasks.complete(t.id, 1, { token: t.token }); await tick(); await m(async () => expect(await mem.tasks.cleanupOlderThan(0)).toBeGreaterThanOrEqual(1)); } },
    heartbeatFor: { action: 'task.heartbeat', agentId: 'worker', run: async (mem, m) => { const t = await claimed(mem); await m(async () => expect(await mem.tasks.heartbeatFor(t.id, t.token)).toMatchObject({ claimedBy: 'worker' })); } },
  },
  consolidation: {
    consolidate: { action: 'memory.consolidate', agentId: '', run: (mem, m) => m(() => mem.consolidation.consolidate()) },
  },
  checkpoints: {
    put: { action: 'checkpoint.put', agentId: A, run: (mem, m) => m(() => mem.checkpoints.put(checkpoint('c1'))) },
    putWrites: { action: 'checkpoint.put_writes', agentId: A, run: async (mem, m) => { await mem.checkpoints.put(checkpoint('c2')); await m(async () => expect(await mem.checkpoints.putWrites({ agentId: A, threadId: 't', namespace: '', checkpointId: 'c2', taskId: 'task', writes: [{ idx: 0, channel: 'ch', type: 'json', value: bytes('1') }] })).toBe(1)); } },
    deleteThread: { action: 'checkpoint.delete_thread', agentId: A, run: async (mem, m) => { await mem.checkpoints.put(checkpoint('c3')); await m(async () => expect(await mem.checkpoints.deleteThread(A, 't')).toBeGreaterThan(0)); } },
  },
};

/** The facade's own mutations: plain delegations, so each leaves one entry too. */
const FACADE: Record<string, Expected> = {
  set: { action: 'kv.set', agentId: A, run: (mem, m) => m(() => mem.set(A, 'k', 1)) },
  delete: { action: 'kv.delete', agentId: A, run: async (mem, m) => { await mem.set(A, 'k', 1); await m(() => mem.delete(A, 'k')); } },
  remember: { action: 'memory.remember', agentId: A, run: (mem, m) => m(() => mem.remember({ agentId: A, content: 'x', embedding: vec(0.3) })) },
  forget: { action: 'memory.forget', agentId: A, run: async (mem, m) => { const id = await mem.remember({ agentId: A, content: 'x', embedding: vec(0.3) }); await m(() => mem.forget(id)); } },
  addEntity: { action: 'knowledge.add_entity', agentId: A, run: (mem, m) => m(() => mem.addEntity({ agentId: A, entityType: 'person', name: 'Ada (facade)' })) },
  addRelation: { action: 'knowledge.add_relation', agentId: A, run: async (mem, m) => { const { source, target } = await twoEntities(mem); await m(() => mem.addRelation({ agentId: A, source, relation: 'works_at', target })); } },
  consolidate: { action: 'memory.consolidate', agentId: '', run: (mem, m) => m(() => mem.consolidate()) },
};

/** Runs `scenario` and checks that its measured call appended exactly the expected entry. */
async function expectOneEntry(mem: MemorySubstrate, expected: Expected): Promise<void> {
  let appended: [string, string][] | undefined;
  await expected.run(mem, async (call) => {
    const before = (await mem.audit.tip()).seq;
    await call();
    appended = (await mem.audit.entries({ after: before, limit: 10 })).map((e) => [e.action, e.agentId]);
  });
  expect(appended, 'the scenario never measured its call').toBeDefined();
  expect(appended).toEqual([[expected.action, expected.agentId]]);
}

export const auditCoverageSuite = defineSuite('audit coverage', ({ open }) => {
  for (const [store, scenarios] of Object.entries(SCENARIOS)) {
    it(`${store}: each mutating method appends exactly one entry naming the agent`, async () => {
      // One store for the whole table: each scenario sets up what it needs.
      const { mem } = await open();
      for (const [method, expected] of Object.entries(scenarios) as [string, Expected][]) {
        await expectOneEntry(mem, expected).catch((error: unknown) => {
          throw new Error(`${store}.${method}: ${(error as Error).message}`);
        });
      }
    }, 120_000);
  }

  it('facade mutations are plain delegations: one entry each', async () => {
    const { mem } = await open();
    for (const [method, expected] of Object.entries(FACADE)) {
      await expectOneEntry(mem, expected).catch((error: unknown) => {
        throw new Error(`facade ${method}: ${(error as Error).message}`);
      });
    }
  }, 120_000);

  it('a batch too long to list in one entry is recorded by its count and SHA-256 (still exactly one entry)', async () => {
    const { mem } = await open();
    const inputs = Array.from({ length: 1500 }, (_, i) => ({ agentId: `agent-${i % 2}`, content: `m${i}`, embedding: vec(i / 1500) }));
    const ids = await mem.semantic.rememberMany(inputs);
    const entries = await mem.audit.entries({});
    expect(entries).toHaveLength(1);
    const detail = JSON.parse((entries[0] as { detail: string }).detail) as { ids: { count: number; sha256: string }; agents: string[] };
    expect(detail.ids).toEqual({ count: 1500, sha256: createHash('sha256').update(ids.join('\n')).digest('hex') });
    expect(detail.agents).toEqual(['agent-0', 'agent-1']);
    expect(entries[0]?.agentId).toBe('');
  });

  it('an update names the memory and the fields the patch gave (ttlMs as expiresAt)', async () => {
    const { mem } = await open();
    const id = await mem.semantic.remember({ agentId: A, content: 'x', embedding: vec(0.1) });
    const before = (await mem.audit.tip()).seq;
    await mem.semantic.update(id, { metadata: { v: 1 }, content: 'y', ttlMs: 60_000, embedding: vec(0.4) });
    await mem.semantic.updateFor(id, { confidence: 0.5 });
    const entries = await mem.audit.entries({ after: before, limit: 10 });
    expect(entries.map((e) => [e.action, e.agentId, JSON.parse(e.detail)])).toEqual([
      ['memory.update', A, { id, fields: ['content', 'metadata', 'embedding', 'expiresAt'] }],
      ['memory.update', A, { id, fields: ['confidence'] }],
    ]);
  });

  it('a mutation that changes nothing appends nothing; a rejected one appends nothing', async () => {
    const { mem } = await open();
    await mem.structured.delete(A, 'absent');
    await mem.semantic.forget('00000000-0000-4000-8000-000000000000');
    await mem.knowledge.deleteEntity('00000000-0000-4000-8000-000000000000');
    await mem.knowledge.deleteEntities({ agentId: A, entities: [{ name: 'nobody' }] });
    await mem.knowledge.deleteRelations({ agentId: A, relations: ['00000000-0000-4000-8000-000000000000'] });
    await mem.knowledge.deleteObservations({ agentId: A, changes: [{ entity: { name: 'nobody' }, observations: ['x'] }] });
    await expect(mem.knowledge.addObservations({ agentId: A, changes: [{ entity: { name: 'nobody' }, observations: ['x'] }] })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await mem.sessions.delete('00000000-0000-4000-8000-000000000000');
    await mem.devices.remove('absent');
    await expect(mem.structured.set(A, '', 1)).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.semantic.updateEmbedding('00000000-0000-4000-8000-000000000000', vec(0.5))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(mem.semantic.update('00000000-0000-4000-8000-000000000000', { content: 'z' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(mem.semantic.updateFor('00000000-0000-4000-8000-000000000000', {})).rejects.toMatchObject({ code: 'VALIDATION' });
    expect((await mem.audit.tip()).seq).toBe(0);
  });
});
