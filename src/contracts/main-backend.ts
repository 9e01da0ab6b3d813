import type { MainArchive } from './archive.js';
import type { AuditEntry, AuditTip } from './audit-log.js';
import type { CheckpointStore } from './checkpoint-store.js';
import type { BackendHealth } from './health.js';
import type { KnowledgeStore, Relation, RelationInput } from './knowledge-store.js';
import type { PairedDeviceStore } from './device-store.js';
import type { SessionStore } from './session-store.js';
import type { StructuredStore } from './structured-store.js';
import type { TaskQueue, TaskStatus } from './task-queue.js';
import type { EpochMs, JsonValue } from './types.js';
import type { UsageStore } from './usage-store.js';

/**
 * Persistence of the audit chain. Hashing and verification live in core (src/core/audit-chain.ts);
 * the storage only keeps rows in seq order and appends atomically.
 */
export interface AuditStorage {
  /**
   * In one transaction that excludes every other appender (across processes): reads the tip, calls
   * `build(tip)` and inserts exactly the entry it returns.
   */
  append(build: (tip: AuditTip) => AuditEntry): Promise<AuditEntry>;
  tip(): Promise<AuditTip>;
  /** Entries with seq > afterSeq in ascending order, at most `limit`. */
  scan(afterSeq: number, limit: number, agentId?: string): Promise<AuditEntry[]>;
  /** The entry at `seq`, if present. */
  at(seq: number): Promise<AuditEntry | undefined>;
  count(): Promise<number>;
  /**
   * This log's identity: a random id created with the log (idempotently, by whichever process opens
   * it first) and bound into its anchor, so an anchor of another log is never taken for this one's.
   */
  chainId(): Promise<string>;
  /** The latest verified checkpoint, if any. */
  checkpoint(): Promise<AuditTip | undefined>;
  saveCheckpoint(tip: AuditTip): Promise<void>;
}

/** The agent a changed record belongs to, as the change itself reports it. */
export interface Owner {
  agentId: string;
}

/**
 * The task queue as a main backend provides it: state changes also report the agent that held the
 * lease, so the substrate's audit entry names it without reading the task again.
 */
export interface BackendTaskQueue extends TaskQueue {
  completeFor(id: string, result: JsonValue, options: { token: string }): Promise<{ claimedBy: string | undefined }>;
  failFor(id: string, error: string, options: { token: string }): Promise<{ status: TaskStatus; claimedBy: string | undefined }>;
  heartbeatFor(id: string, token: string, options?: { leaseMs?: number }): Promise<{ leaseExpiresAt: EpochMs; claimedBy: string | undefined }>;
}

/**
 * The knowledge store as a main backend provides it: a delete reports whose entity it removed, an
 * added relation reports the entity ids its endpoints resolved to.
 */
export interface BackendKnowledgeStore extends KnowledgeStore {
  /** `addRelation`, returning the created relation (endpoints as entity ids). */
  addRelationFor(relation: RelationInput): Promise<Relation>;
  /** `deleteEntity`, returning the owner of the removed entity (undefined when there was none). */
  deleteEntityFor(id: string): Promise<Owner | undefined>;
}

/** The session store as a main backend provides it: id-addressed changes report the session's agent. */
export interface BackendSessionStore extends SessionStore {
  /** `delete`, returning the owner of the removed session (undefined when there was none). */
  deleteFor(id: string): Promise<Owner | undefined>;
  /** `setLabel`, returning the session's agent. */
  setLabelFor(id: string, label: string | undefined): Promise<Owner>;
}

/** What an erasure removed from the main stores, per kind of row. */
export interface MainErasureCounts {
  kvEntries: number;
  /** 1 when the agent's registry entry was removed. */
  agent: number;
  entities: number;
  relations: number;
  sessions: number;
  canonicalSessions: number;
  /** Tasks the agent created, was assigned or had claimed. */
  tasks: number;
  usageEvents: number;
  /** Checkpoints of the agent's threads (the checkpoint store), with their pending writes; absent on a backend without one. */
  checkpoints?: number;
}

/** What a main backend (`sqlite`, `postgres`) provides: eight stores and the audit storage. */
export interface MainBackend {
  readonly name: string;
  readonly schemaVersion: string;
  readonly structured: StructuredStore;
  readonly knowledge: BackendKnowledgeStore;
  readonly sessions: BackendSessionStore;
  readonly usage: UsageStore;
  readonly devices: PairedDeviceStore;
  readonly tasks: BackendTaskQueue;
  readonly auditStorage: AuditStorage;
  /**
   * Optional: the checkpoint store (agent runtimes' thread snapshots; `memstrate/langgraph`'s
   * checkpointer). Without it, the substrate's `checkpoints` fail with NOT_SUPPORTED.
   */
  readonly checkpoints?: CheckpointStore;
  health(): Promise<BackendHealth>;
  close(): Promise<void>;
  /**
   * Erasure: removes every row of the agent from the main stores (KV — expired entries too — and
   * its registry entry, entities and relations, sessions and the canonical session, its tasks, its
   * checkpoints and their writes, and with `usage` its usage events) in one transaction, joining the caller's `atomically` scope.
   */
  eraseAgent(agentId: string, options: { usage: boolean }): Promise<MainErasureCounts>;
  /**
   * Optional: export / import of every row as stored (ids, versions, timestamps kept), page by page
   * and batch by batch. Without it, `export` / `import` fail with NOT_SUPPORTED.
   */
  readonly archive?: MainArchive;
  /**
   * Optional: runs `fn` so that what it deletes is overwritten on disk, not only unlinked (SQLite:
   * `secure_delete`, then a WAL checkpoint that truncates the log). Without it, `fn` runs as is.
   */
  securely?<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Optional: runs `fn` so that every statement the backend's stores and its audit storage run
   * inside it is in ONE transaction, committed when `fn` resolves and rolled back when it throws.
   * The substrate runs each mutation and its audit entry through it, so neither is ever durable
   * without the other. A semantic backend that shares the main store's transactions
   * (`sharedTransactions`) is covered too. Without it, the mutation commits, then its entry.
   */
  atomically?<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Optional: closes the backend and removes what its open() created (a new database file, a new
   * schema), when opening the substrate fails after it. Without it the substrate only closes it.
   */
  discard?(): Promise<void>;
}
