import type { CheckpointStore } from './checkpoint-store.js';
import type { ConsolidationStore } from './consolidation-store.js';
import type { PairedDeviceStore } from './device-store.js';
import type { BackendKnowledgeStore, BackendSessionStore, BackendTaskQueue } from './main-backend.js';
import type { BackendSemanticStore } from './semantic-provider.js';
import type { StructuredStore } from './structured-store.js';
import type { UsageStore } from './usage-store.js';

/**
 * Which methods of each store change data (`mutation`) and which only read (`read`). The compiler
 * holds each table to its interface — a method added to a store without being classified here, or
 * a stale entry, is a type error — and the substrate audits exactly the `mutation`s, each with one
 * audit entry (src/core/audited-stores.ts). Recall's access-count bumps are bookkeeping of a read,
 * not a mutation.
 */
export type MethodKind = 'read' | 'mutation';

export type MethodKinds<S> = { readonly [K in keyof S]-?: MethodKind };

/** The keys of `S` classified as mutations in `kinds`. */
export type MutationKeys<S, T extends MethodKinds<S>> = { [K in keyof S & keyof T]: T[K] extends 'mutation' ? K : never }[keyof S & keyof T];

export const STRUCTURED_METHODS = {
  get: 'read',
  set: 'mutation',
  delete: 'mutation',
  list: 'read',
  purgeExpired: 'mutation',
  saveAgent: 'mutation',
  loadAgent: 'read',
  removeAgent: 'mutation',
  listAgents: 'read',
} as const satisfies MethodKinds<StructuredStore>;

export const SEMANTIC_METHODS = {
  remember: 'mutation',
  rememberMany: 'mutation',
  rememberWithResult: 'mutation',
  rememberManyWithResult: 'mutation',
  purgeExpired: 'mutation',
  recall: 'read',
  countByAgent: 'read',
  deleteWhere: 'mutation',
  deleteWhereFor: 'mutation',
  eraseWhere: 'mutation',
  forget: 'mutation',
  forgetFor: 'mutation',
  update: 'mutation',
  updateFor: 'mutation',
  updateEmbedding: 'mutation',
  updateEmbeddingFor: 'mutation',
  get: 'read',
  getMany: 'read',
  count: 'read',
  list: 'read',
} as const satisfies MethodKinds<BackendSemanticStore>;

export const KNOWLEDGE_METHODS = {
  addEntity: 'mutation',
  upsertEntity: 'mutation',
  addRelation: 'mutation',
  addRelationFor: 'mutation',
  getEntity: 'read',
  findEntities: 'read',
  listEntities: 'read',
  listRelations: 'read',
  deleteEntity: 'mutation',
  deleteEntityFor: 'mutation',
  queryGraph: 'read',
  addEntities: 'mutation',
  addRelations: 'mutation',
  addObservations: 'mutation',
  deleteObservations: 'mutation',
  deleteRelations: 'mutation',
  deleteEntities: 'mutation',
} as const satisfies MethodKinds<BackendKnowledgeStore>;

export const SESSION_METHODS = {
  create: 'mutation',
  get: 'read',
  save: 'mutation',
  delete: 'mutation',
  deleteFor: 'mutation',
  deleteForAgent: 'mutation',
  cleanupOlderThan: 'mutation',
  list: 'read',
  listForAgent: 'read',
  setLabel: 'mutation',
  setLabelFor: 'mutation',
  findByLabel: 'read',
  loadCanonical: 'read',
  saveCanonical: 'mutation',
  appendCanonical: 'mutation',
  canonicalContext: 'read',
  storeLlmSummary: 'mutation',
  deleteCanonical: 'mutation',
} as const satisfies MethodKinds<BackendSessionStore>;

export const USAGE_METHODS = {
  record: 'mutation',
  costLastHour: 'read',
  costToday: 'read',
  costThisMonth: 'read',
  summary: 'read',
  byModel: 'read',
  dailyBreakdown: 'read',
  firstEventAt: 'read',
  cleanupOlderThan: 'mutation',
} as const satisfies MethodKinds<UsageStore>;

export const DEVICE_METHODS = {
  list: 'read',
  save: 'mutation',
  remove: 'mutation',
} as const satisfies MethodKinds<PairedDeviceStore>;

export const TASK_METHODS = {
  post: 'mutation',
  claim: 'mutation',
  complete: 'mutation',
  completeFor: 'mutation',
  fail: 'mutation',
  failFor: 'mutation',
  heartbeat: 'mutation',
  heartbeatFor: 'mutation',
  get: 'read',
  list: 'read',
  cleanupOlderThan: 'mutation',
} as const satisfies MethodKinds<BackendTaskQueue>;

export const CHECKPOINT_METHODS = {
  put: 'mutation',
  putWrites: 'mutation',
  get: 'read',
  list: 'read',
  deleteThread: 'mutation',
} as const satisfies MethodKinds<CheckpointStore>;

export const CONSOLIDATION_METHODS = {
  consolidate: 'mutation',
} as const satisfies MethodKinds<ConsolidationStore>;

/** Every audited store of the substrate and its method table, by the substrate's property name. */
export const STORE_METHODS = {
  structured: STRUCTURED_METHODS,
  semantic: SEMANTIC_METHODS,
  knowledge: KNOWLEDGE_METHODS,
  sessions: SESSION_METHODS,
  usage: USAGE_METHODS,
  devices: DEVICE_METHODS,
  tasks: TASK_METHODS,
  consolidation: CONSOLIDATION_METHODS,
  checkpoints: CHECKPOINT_METHODS,
} as const;
