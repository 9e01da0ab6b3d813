import { createHash } from 'node:crypto';
import type { CheckpointStore } from '../contracts/checkpoint-store.js';
import type { ConsolidationStore } from '../contracts/consolidation-store.js';
import type { PairedDeviceStore } from '../contracts/device-store.js';
import type { ObservationResult, Relation } from '../contracts/knowledge-store.js';
import type { BackendKnowledgeStore, BackendSessionStore, BackendTaskQueue } from '../contracts/main-backend.js';
import type { DeletedMemory } from '../contracts/semantic-backend.js';
import type { BackendSemanticStore } from '../contracts/semantic-provider.js';
import { patchFields, type RememberInput, type RememberResult } from '../contracts/semantic-store.js';
import {
  CHECKPOINT_METHODS,
  CONSOLIDATION_METHODS,
  DEVICE_METHODS,
  KNOWLEDGE_METHODS,
  SEMANTIC_METHODS,
  SESSION_METHODS,
  STRUCTURED_METHODS,
  TASK_METHODS,
  USAGE_METHODS,
} from '../contracts/store-methods.js';
import type { StructuredStore } from '../contracts/structured-store.js';
import type { UsageStore } from '../contracts/usage-store.js';
import { audited, type AuditRecord, type AuditTarget } from './audit-wrap.js';

/**
 * The audit entry of every mutation of every store, written once for every backend: the action
 * name, the agent and the ids. Assembly wraps each store with these, so the facade, `mem.<store>.*`,
 * every gateway route and the CLI all leave exactly one entry per mutation.
 */

const rec = (agentId: string | undefined, action: string, detail: object): AuditRecord => ({ agentId, action, detail });
/** A record only when something changed. */
const when = (changed: boolean, record: () => AuditRecord): AuditRecord | undefined => (changed ? record() : undefined);

export function auditedStructured(inner: StructuredStore, log: AuditTarget): StructuredStore {
  return audited(inner, STRUCTURED_METHODS, {
    async set(agentId, key, value, options) {
      const version = await inner.set(agentId, key, value, options);
      const expires = options?.expiresAt !== undefined || options?.ttlMs !== undefined;
      return { result: version, record: rec(agentId, 'kv.set', { key, version, ...(expires ? { expires } : {}) }) };
    },
    async delete(agentId, key) {
      const removed = await inner.delete(agentId, key);
      return { result: removed, record: when(removed, () => rec(agentId, 'kv.delete', { key })) };
    },
    async purgeExpired() {
      const count = await inner.purgeExpired();
      return { result: count, record: when(count > 0, () => rec(undefined, 'kv.purge_expired', { count })) };
    },
    async saveAgent(entry) {
      await inner.saveAgent(entry);
      return { result: undefined, record: rec(entry.id, 'agent.save', { id: entry.id }) };
    },
    async removeAgent(id) {
      const removed = await inner.removeAgent(id);
      return { result: removed, record: when(removed, () => rec(id, 'agent.remove', { id })) };
    },
  }, log);
}

/** Ids listed in an entry up to this much JSON; a longer list is recorded as its count and SHA-256. */
const LISTED_BYTES = 32_768;

/**
 * A list of ids for an audit detail: the ids themselves while they fit (an entry's detail is at most
 * 64 KiB), else `{ count, sha256 }` of the newline-joined list — enough to check a list against it.
 */
export function idList(ids: readonly string[]): string[] | { count: number; sha256: string } {
  if (JSON.stringify(ids).length <= LISTED_BYTES) return [...ids];
  return { count: ids.length, sha256: createHash('sha256').update(ids.join('\n')).digest('hex') };
}

/** The one agent of a batch, or undefined when it spans several (the entry then lists them). */
function batchAgent(inputs: readonly RememberInput[]): { agentId: string | undefined; agents: string[] } {
  const agents = [...new Set(inputs.map((i) => i.agentId))];
  return { agentId: agents.length === 1 ? agents[0] : undefined, agents };
}

/** One entry for a deleteWhere that removed something: how many, which, and whose. */
function deletedRecord(removed: readonly DeletedMemory[], action = 'memory.delete_where'): AuditRecord | undefined {
  if (removed.length === 0) return undefined;
  const agents = [...new Set(removed.map((m) => m.agentId))];
  const ids = idList(removed.map((m) => m.id));
  return rec(agents.length === 1 ? agents[0] : undefined, action, agents.length === 1 ? { count: removed.length, ids } : { count: removed.length, ids, agents: idList(agents) });
}

/**
 * A remember's entry: `memory.remember` with the id, and `updated: true` when a keyed memory was
 * replaced in place. A remember that wrote nothing (dedupe found the content) leaves no entry.
 */
function rememberRecord(input: RememberInput, r: RememberResult): AuditRecord | undefined {
  const expires = input.expiresAt !== undefined || input.ttlMs !== undefined;
  return when(r.created || r.updated, () =>
    rec(input.agentId, 'memory.remember', {
      id: r.id,
      scope: input.scope ?? 'episodic',
      source: input.source ?? 'observation',
      ...(input.key !== undefined ? { key: input.key } : {}),
      ...(r.updated ? { updated: true } : {}),
      ...(expires ? { expires } : {}),
    }),
  );
}

/** A batch's entry lists the ids written (created or replaced; `updated` lists the replaced ones); none when nothing was written. */
function rememberManyRecord(inputs: readonly RememberInput[], results: readonly RememberResult[]): AuditRecord | undefined {
  const written = results.filter((r) => r.created || r.updated);
  const updated = results.filter((r) => r.updated).map((r) => r.id);
  const { agentId, agents } = batchAgent(inputs.filter((_, i) => results[i]?.created || results[i]?.updated));
  const detail = {
    ids: idList(written.map((r) => r.id)),
    ...(updated.length > 0 ? { updated: idList(updated) } : {}),
    ...(agentId === undefined ? { agents: idList(agents) } : {}),
  };
  return when(written.length > 0, () => rec(agentId, 'memory.remember_many', detail));
}

export function auditedSemantic(inner: BackendSemanticStore, log: AuditTarget): BackendSemanticStore {
  return audited(inner, SEMANTIC_METHODS, {
    async remember(input) {
      const result = await inner.rememberWithResult(input);
      return { result: result.id, record: rememberRecord(input, result) };
    },
    async rememberWithResult(input) {
      const result = await inner.rememberWithResult(input);
      return { result, record: rememberRecord(input, result) };
    },
    async rememberMany(inputs) {
      const results = await inner.rememberManyWithResult(inputs);
      return { result: results.map((r) => r.id), record: rememberManyRecord(inputs, results) };
    },
    async rememberManyWithResult(inputs) {
      const results = await inner.rememberManyWithResult(inputs);
      return { result: results, record: rememberManyRecord(inputs, results) };
    },
    async purgeExpired() {
      const count = await inner.purgeExpired();
      return { result: count, record: when(count > 0, () => rec(undefined, 'memory.purge_expired', { count })) };
    },
    async deleteWhere(query) {
      const removed = await inner.deleteWhereFor(query);
      return { result: removed.length, record: deletedRecord(removed) };
    },
    async deleteWhereFor(query) {
      const removed = await inner.deleteWhereFor(query);
      return { result: removed, record: deletedRecord(removed) };
    },
    async eraseWhere(query) {
      const removed = await inner.eraseWhere(query);
      return { result: removed, record: deletedRecord(removed, 'memory.erase') };
    },
    async forget(id) {
      const owner = await inner.forgetFor(id);
      return { result: owner !== undefined, record: owner && rec(owner.agentId, 'memory.forget', { id }) };
    },
    async forgetFor(id) {
      const owner = await inner.forgetFor(id);
      return { result: owner, record: owner && rec(owner.agentId, 'memory.forget', { id }) };
    },
    async update(id, patch) {
      const { agentId, record } = await inner.updateFor(id, patch);
      return { result: record, record: rec(agentId, 'memory.update', { id, fields: patchFields(patch) }) };
    },
    async updateFor(id, patch) {
      const updated = await inner.updateFor(id, patch);
      return { result: updated, record: rec(updated.agentId, 'memory.update', { id, fields: patchFields(patch) }) };
    },
    async updateEmbedding(id, vector) {
      const owner = await inner.updateEmbeddingFor(id, vector);
      return { result: undefined, record: rec(owner.agentId, 'memory.update_embedding', { id }) };
    },
    async updateEmbeddingFor(id, vector) {
      const owner = await inner.updateEmbeddingFor(id, vector);
      return { result: owner, record: rec(owner.agentId, 'memory.update_embedding', { id }) };
    },
  }, log);
}

/** An observation batch's entry: the entities changed and how many observations (never their text); none when nothing changed. */
function observationRecord(agentId: string, action: string, results: readonly ObservationResult[]): AuditRecord | undefined {
  const changed = results.filter((r) => r.observations.length > 0);
  return when(changed.length > 0, () => rec(agentId, action, { entities: idList([...new Set(changed.map((r) => r.entityId))]), count: changed.reduce((n, r) => n + r.observations.length, 0) }));
}

/** A relation's entry names its endpoints by the entity ids they resolved to, however they were given. */
const addedRelation = (r: Relation): AuditRecord => rec(r.agentId, 'knowledge.add_relation', { id: r.id, relation: r.relation, source: r.source, target: r.target });

export function auditedKnowledge(inner: BackendKnowledgeStore, log: AuditTarget): BackendKnowledgeStore {
  return audited(inner, KNOWLEDGE_METHODS, {
    async addEntity(entity) {
      const id = await inner.addEntity(entity);
      return { result: id, record: rec(entity.agentId, 'knowledge.add_entity', { id, entityType: entity.entityType }) };
    },
    async upsertEntity(entity) {
      const result = await inner.upsertEntity(entity);
      return { result, record: rec(entity.agentId, 'knowledge.upsert_entity', { id: result.id, entityType: entity.entityType, created: result.created }) };
    },
    async addRelation(input) {
      const relation = await inner.addRelationFor(input);
      return { result: relation.id, record: addedRelation(relation) };
    },
    async addRelationFor(input) {
      const relation = await inner.addRelationFor(input);
      return { result: relation, record: addedRelation(relation) };
    },
    async deleteEntity(id) {
      const owner = await inner.deleteEntityFor(id);
      return { result: owner !== undefined, record: owner && rec(owner.agentId, 'knowledge.delete_entity', { id }) };
    },
    async deleteEntityFor(id) {
      const owner = await inner.deleteEntityFor(id);
      return { result: owner, record: owner && rec(owner.agentId, 'knowledge.delete_entity', { id }) };
    },
    async addEntities(batch) {
      const created = await inner.addEntities(batch);
      return { result: created, record: when(created.length > 0, () => rec(batch.agentId, 'knowledge.add_entities', { ids: idList(created.map((e) => e.id)) })) };
    },
    async addRelations(batch) {
      const added = await inner.addRelations(batch);
      return { result: added, record: when(added.length > 0, () => rec(batch.agentId, 'knowledge.add_relations', { ids: idList(added.map((r) => r.id)) })) };
    },
    async addObservations(batch) {
      const results = await inner.addObservations(batch);
      return { result: results, record: observationRecord(batch.agentId, 'knowledge.add_observations', results) };
    },
    async deleteObservations(batch) {
      const results = await inner.deleteObservations(batch);
      return { result: results, record: observationRecord(batch.agentId, 'knowledge.delete_observations', results) };
    },
    async deleteRelations(deletion) {
      const removed = await inner.deleteRelations(deletion);
      return { result: removed, record: when(removed.length > 0, () => rec(deletion.agentId, 'knowledge.delete_relations', { ids: idList(removed) })) };
    },
    async deleteEntities(deletion) {
      const removed = await inner.deleteEntities(deletion);
      return { result: removed, record: when(removed.length > 0, () => rec(deletion.agentId, 'knowledge.delete_entities', { ids: idList(removed) })) };
    },
  }, log);
}

export function auditedSessions(inner: BackendSessionStore, log: AuditTarget): BackendSessionStore {
  return audited(inner, SESSION_METHODS, {
    async create(agentId, options) {
      const session = await inner.create(agentId, options);
      return { result: session, record: rec(agentId, 'session.create', { id: session.id }) };
    },
    async save(session) {
      await inner.save(session);
      return { result: undefined, record: rec(session.agentId, 'session.save', { id: session.id, messages: session.messages.length }) };
    },
    async delete(id) {
      const owner = await inner.deleteFor(id);
      return { result: owner !== undefined, record: owner && rec(owner.agentId, 'session.delete', { id }) };
    },
    async deleteFor(id) {
      const owner = await inner.deleteFor(id);
      return { result: owner, record: owner && rec(owner.agentId, 'session.delete', { id }) };
    },
    async deleteForAgent(agentId) {
      const count = await inner.deleteForAgent(agentId);
      return { result: count, record: when(count > 0, () => rec(agentId, 'session.delete_for_agent', { count })) };
    },
    async cleanupOlderThan(days) {
      const deleted = await inner.cleanupOlderThan(days);
      return { result: deleted, record: when(deleted > 0, () => rec(undefined, 'session.cleanup', { days, deleted })) };
    },
    async setLabel(id, label) {
      const owner = await inner.setLabelFor(id, label);
      return { result: undefined, record: rec(owner.agentId, 'session.set_label', { id, label: label ?? null }) };
    },
    async setLabelFor(id, label) {
      const owner = await inner.setLabelFor(id, label);
      return { result: owner, record: rec(owner.agentId, 'session.set_label', { id, label: label ?? null }) };
    },
    async saveCanonical(session) {
      await inner.saveCanonical(session);
      return { result: undefined, record: rec(session.agentId, 'canonical.save', { messages: session.messages.length }) };
    },
    async appendCanonical(agentId, messages, options) {
      const session = await inner.appendCanonical(agentId, messages, options);
      return { result: session, record: rec(agentId, 'canonical.append', { appended: messages.length, compactionCursor: session.compactionCursor }) };
    },
    async storeLlmSummary(agentId, summary, keptMessages) {
      await inner.storeLlmSummary(agentId, summary, keptMessages);
      return { result: undefined, record: rec(agentId, 'canonical.store_summary', { kept: keptMessages.length }) };
    },
    async deleteCanonical(agentId) {
      const removed = await inner.deleteCanonical(agentId);
      return { result: removed, record: when(removed, () => rec(agentId, 'canonical.delete', {})) };
    },
  }, log);
}

export function auditedUsage(inner: UsageStore, log: AuditTarget): UsageStore {
  return audited(inner, USAGE_METHODS, {
    async record(usage) {
      const id = await inner.record(usage);
      return { result: id, record: rec(usage.agentId, 'usage.record', { id, model: usage.model }) };
    },
    async cleanupOlderThan(days) {
      const deleted = await inner.cleanupOlderThan(days);
      return { result: deleted, record: when(deleted > 0, () => rec(undefined, 'usage.cleanup', { days, deleted })) };
    },
  }, log);
}

export function auditedDevices(inner: PairedDeviceStore, log: AuditTarget): PairedDeviceStore {
  return audited(inner, DEVICE_METHODS, {
    async save(device) {
      await inner.save(device);
      return { result: undefined, record: rec(undefined, 'device.save', { deviceId: device.deviceId }) };
    },
    async remove(deviceId) {
      const removed = await inner.remove(deviceId);
      return { result: removed, record: when(removed, () => rec(undefined, 'device.remove', { deviceId })) };
    },
  }, log);
}

export function auditedTasks(inner: BackendTaskQueue, log: AuditTarget): BackendTaskQueue {
  return audited(inner, TASK_METHODS, {
    async cleanupOlderThan(days) {
      const deleted = await inner.cleanupOlderThan(days);
      return { result: deleted, record: when(deleted > 0, () => rec(undefined, 'task.cleanup', { days, deleted })) };
    },
    async post(task) {
      const id = await inner.post(task);
      return { result: id, record: rec(task.createdBy, 'task.post', { id, assignedTo: task.assignedTo ?? null }) };
    },
    async claim(agentId, options) {
      const task = await inner.claim(agentId, options);
      return { result: task, record: task ? rec(agentId, 'task.claim', { id: task.id, attempt: task.attempts }) : undefined };
    },
    async complete(id, result, options) {
      const { claimedBy } = await inner.completeFor(id, result, options);
      return { result: undefined, record: rec(claimedBy, 'task.complete', { id }) };
    },
    async completeFor(id, result, options) {
      const outcome = await inner.completeFor(id, result, options);
      return { result: outcome, record: rec(outcome.claimedBy, 'task.complete', { id }) };
    },
    async fail(id, error, options) {
      const { status, claimedBy } = await inner.failFor(id, error, options);
      return { result: status, record: rec(claimedBy, 'task.fail', { id, status }) };
    },
    async failFor(id, error, options) {
      const outcome = await inner.failFor(id, error, options);
      return { result: outcome, record: rec(outcome.claimedBy, 'task.fail', { id, status: outcome.status }) };
    },
    async heartbeat(id, token, options) {
      const { leaseExpiresAt, claimedBy } = await inner.heartbeatFor(id, token, options);
      return { result: leaseExpiresAt, record: rec(claimedBy, 'task.heartbeat', { id, leaseExpiresAt }) };
    },
    async heartbeatFor(id, token, options) {
      const outcome = await inner.heartbeatFor(id, token, options);
      return { result: outcome, record: rec(outcome.claimedBy, 'task.heartbeat', { id, leaseExpiresAt: outcome.leaseExpiresAt }) };
    },
  }, log);
}

export function auditedConsolidation(inner: ConsolidationStore, log: AuditTarget): ConsolidationStore {
  return audited(inner, CONSOLIDATION_METHODS, {
    async consolidate(options) {
      const report = await inner.consolidate(options);
      return { result: report, record: when(!report.dryRun, () => rec(undefined, 'memory.consolidate', { decayed: report.decayed, merged: report.merged, expired: report.expired })) };
    },
  }, log);
}

export function auditedCheckpoints(inner: CheckpointStore, log: AuditTarget): CheckpointStore {
  return audited(inner, CHECKPOINT_METHODS, {
    async put(input) {
      await inner.put(input);
      return { result: undefined, record: rec(input.agentId, 'checkpoint.put', { threadId: input.threadId, namespace: input.namespace, checkpointId: input.checkpointId }) };
    },
    async putWrites(input) {
      const written = await inner.putWrites(input);
      return {
        result: written,
        record: when(written > 0, () =>
          rec(input.agentId, 'checkpoint.put_writes', { threadId: input.threadId, namespace: input.namespace, checkpointId: input.checkpointId, taskId: input.taskId, count: written }),
        ),
      };
    },
    async deleteThread(agentId, threadId) {
      const count = await inner.deleteThread(agentId, threadId);
      return { result: count, record: when(count > 0, () => rec(agentId, 'checkpoint.delete_thread', { threadId, count })) };
    },
  }, log);
}
