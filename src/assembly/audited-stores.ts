import type { AuditLog } from '../contracts/audit-log.js';
import type { ConsolidationStore } from '../contracts/consolidation-store.js';
import type { PairedDeviceStore } from '../contracts/device-store.js';
import type { BackendKnowledgeStore, BackendSessionStore, BackendTaskQueue, MainBackend } from '../contracts/main-backend.js';
import type { BackendSemanticStore, SemanticProvider } from '../contracts/semantic-provider.js';
import type { StructuredStore } from '../contracts/structured-store.js';
import type { UsageStore } from '../contracts/usage-store.js';
import {
  auditedConsolidation,
  auditedDevices,
  auditedKnowledge,
  auditedSemantic,
  auditedSessions,
  auditedStructured,
  auditedTasks,
  auditedUsage,
} from '../core/audited-stores.js';

/** The substrate's stores, each wrapped once so that every mutation appends one audit entry. */
export interface AuditedStores {
  structured: StructuredStore;
  semantic: BackendSemanticStore;
  knowledge: BackendKnowledgeStore;
  sessions: BackendSessionStore;
  usage: UsageStore;
  devices: PairedDeviceStore;
  tasks: BackendTaskQueue;
  consolidation: ConsolidationStore;
}

/** Wraps every store of the opened backends with its audit entries (src/core/audited-stores.ts). */
export function auditStores(main: MainBackend, semantic: SemanticProvider, log: AuditLog): AuditedStores {
  return {
    structured: auditedStructured(main.structured, log),
    semantic: auditedSemantic(semantic.store, log),
    knowledge: auditedKnowledge(main.knowledge, log),
    sessions: auditedSessions(main.sessions, log),
    usage: auditedUsage(main.usage, log),
    devices: auditedDevices(main.devices, log),
    tasks: auditedTasks(main.tasks, log),
    consolidation: auditedConsolidation(semantic.consolidation, log),
  };
}
