import type { CheckpointStore } from '../contracts/checkpoint-store.js';
import type { ConsolidationStore } from '../contracts/consolidation-store.js';
import type { PairedDeviceStore } from '../contracts/device-store.js';
import type { BackendKnowledgeStore, BackendSessionStore, BackendTaskQueue, MainBackend } from '../contracts/main-backend.js';
import type { BackendSemanticStore, ProviderArchive, SemanticProvider } from '../contracts/semantic-provider.js';
import { auditedMemoryArchive } from '../core/archive.js';
import type { StructuredStore } from '../contracts/structured-store.js';
import type { UsageStore } from '../contracts/usage-store.js';
import {
  auditedCheckpoints,
  auditedConsolidation,
  auditedDevices,
  auditedKnowledge,
  auditedSemantic,
  auditedSessions,
  auditedStructured,
  auditedTasks,
  auditedUsage,
} from '../core/audited-stores.js';
import type { AuditTarget } from '../core/audit-wrap.js';
import { unsupportedCheckpoints } from '../core/unsupported-checkpoints.js';
import { eraser, type EraseRequest, type ErasureReceipt } from '../core/erasure.js';
import type { Clock } from '../contracts/types.js';
import { ValidationError } from '../errors.js';
import type { ChainedAuditLog } from '../core/audit-log.js';

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
  /** The main backend's checkpoint store (NOT_SUPPORTED when it has none). */
  checkpoints: CheckpointStore;
  /** Erasure of an agent's data across every store, recorded in one audit entry (src/core/erasure.ts). */
  erase: (request: EraseRequest) => Promise<ErasureReceipt>;
  /** Where export / import write their one audit entry each (src/core/archive.ts). */
  archiveTarget: AuditTarget;
  /** The semantic provider's archive with an audit entry per written batch (the gateway's routes), when it has one. */
  memoryArchive: ProviderArchive | undefined;
  /** Where re-embedding writes its entries (src/core/reembed.ts): with the semantic store's changes. */
  semanticTarget: AuditTarget;
}

/**
 * Wraps every store of the opened backends with its audit entries (src/core/audited-stores.ts).
 * Each mutation and its entry run in one transaction of the main backend (`atomically`) — for the
 * semantic stores too when they share the main store's transactions; otherwise the mutation
 * commits first, then its entry.
 */
export function auditStores(main: MainBackend, semantic: SemanticProvider, log: ChainedAuditLog, sharedTransactions: boolean, clock: Clock, readOnly = false): AuditedStores {
  const stage = (input: Parameters<ChainedAuditLog['stage']>[0]) => log.stage(input);
  const separate: AuditTarget = { stage, scope: (fn) => fn() };
  const atomically = main.atomically?.bind(main);
  const onMain: AuditTarget = atomically ? { stage, scope: (fn) => atomically(fn) } : separate;
  const onSemantic = sharedTransactions ? onMain : separate;
  if (readOnly) {
    // A forensic open: every mutation is refused before it runs.
    const refuse: AuditTarget = {
      stage,
      scope: () => Promise.reject(new ValidationError('this is a read-only (forensic) open: nothing can be written', { backend: main.name })),
    };
    return wrapAll(main, semantic, refuse, refuse, clock);
  }
  return wrapAll(main, semantic, onMain, onSemantic, clock);
}

function wrapAll(main: MainBackend, semantic: SemanticProvider, onMain: AuditTarget, onSemantic: AuditTarget, clock: Clock): AuditedStores {
  return {
    structured: auditedStructured(main.structured, onMain),
    semantic: securedErasure(auditedSemantic(semantic.store, onSemantic), main),
    knowledge: auditedKnowledge(main.knowledge, onMain),
    sessions: auditedSessions(main.sessions, onMain),
    usage: auditedUsage(main.usage, onMain),
    devices: auditedDevices(main.devices, onMain),
    tasks: auditedTasks(main.tasks, onMain),
    consolidation: auditedConsolidation(semantic.consolidation, onSemantic),
    checkpoints: auditedCheckpoints(main.checkpoints ?? unsupportedCheckpoints(main.name), onMain),
    erase: eraser({ main, semantic: semantic.store, target: onMain, clock }),
    archiveTarget: onMain,
    memoryArchive: semantic.archive ? auditedMemoryArchive(semantic.archive, onSemantic) : undefined,
    semanticTarget: onSemantic,
  };
}

/**
 * `eraseWhere` (the gateway's `POST /v1/memories/erase`, or any direct call) run inside
 * `main.securely`, as `erase` runs: where the memories share the main store's engine, the audited
 * scope is a transaction inside which the engine cannot finish an erasure (SQLite: no WAL
 * checkpoint; PostgreSQL: no VACUUM FULL) — the outermost `securely` does it once the scope committed.
 */
function securedErasure(store: BackendSemanticStore, main: MainBackend): BackendSemanticStore {
  const securely = main.securely?.bind(main);
  if (!securely) return store;
  const eraseWhere = store.eraseWhere.bind(store);
  return Object.assign(Object.create(store) as BackendSemanticStore, { eraseWhere: (query: Parameters<BackendSemanticStore['eraseWhere']>[0]) => securely(() => eraseWhere(query)) });
}
