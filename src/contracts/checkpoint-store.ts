import type { EpochMs } from './types.js';

/**
 * The checkpoint store: durable snapshots of an agent runtime's threads (what LangGraph's
 * checkpointer saves — `memstrate/langgraph` wraps it with LangGraph's serializer). memstrate stores
 * the serialised checkpoint, metadata and pending writes as opaque bytes with their serializer type
 * tag, and never interprets them.
 *
 * A thread belongs to one agent: every call names the agent, and threads of different agents are
 * separate (the same thread id under two agents is two threads). Erasing an agent removes its threads.
 */

/** Where one checkpoint sits: the agent's thread, a namespace within it ('' = the root graph), the checkpoint id. */
export interface CheckpointKey {
  agentId: string;
  threadId: string;
  /** '' for the root graph; a subgraph's namespace otherwise. */
  namespace: string;
  checkpointId: string;
}

export interface CheckpointInput extends CheckpointKey {
  /** The checkpoint this one follows in the thread, if any. */
  parentCheckpointId?: string;
  /** The serializer's type tag of `checkpoint` (e.g. `json`). */
  type: string;
  checkpoint: Uint8Array;
  /** The serializer's type tag of `metadata`. */
  metadataType: string;
  metadata: Uint8Array;
  /**
   * The version of each channel this checkpoint holds (default none): its channel values are the
   * stored values of these (channel, version) pairs, saved by this put (`channels`) or an earlier one.
   */
  channelVersions?: Record<string, string>;
  /** Channel values this put saves, each once per (channel, version) of the thread and namespace (default none). */
  channels?: readonly CheckpointChannelValue[];
}

/** One channel's value at one version, serialised. */
export interface CheckpointChannelValue {
  channel: string;
  version: string;
  /** The serializer's type tag of `value`. */
  type: string;
  value: Uint8Array;
}

/** One pending write of a task against a checkpoint. */
export interface CheckpointWriteInput {
  /** The write's index within its task (special channels use fixed negative indexes). */
  idx: number;
  channel: string;
  /** The serializer's type tag of `value`. */
  type: string;
  value: Uint8Array;
}

export interface StoredCheckpointWrite extends CheckpointWriteInput {
  taskId: string;
}

export interface StoredCheckpoint extends Omit<CheckpointInput, 'channels' | 'channelVersions'> {
  channelVersions: Record<string, string>;
  /** The stored values of `channelVersions` (a pair without a stored value is left out). */
  channels: CheckpointChannelValue[];
  /** When it was saved (the substrate clock). */
  createdAt: EpochMs;
  /** The pending writes against this checkpoint, by task id then idx. */
  writes: StoredCheckpointWrite[];
}

export interface CheckpointWritesInput extends CheckpointKey {
  taskId: string;
  /** 1..10000 writes, saved in one transaction. */
  writes: readonly CheckpointWriteInput[];
  /**
   * `replace`: a write at an existing (task, idx) replaces it; `keep` (default): the existing one is
   * kept and the new one dropped (a retried task does not overwrite what it wrote first).
   */
  onConflict?: 'replace' | 'keep';
}

export interface CheckpointGetQuery {
  agentId: string;
  threadId: string;
  namespace: string;
  /** Without it: the thread's latest checkpoint in the namespace (highest id). */
  checkpointId?: string;
}

export interface CheckpointListQuery {
  agentId: string;
  /** Only this thread's checkpoints. */
  threadId?: string;
  /** Only this namespace's (with or without threadId). */
  namespace?: string;
  /** Only checkpoints with a lower id than this. */
  before?: string;
  /** Continue after this checkpoint in the list's order (the last one of the previous page). */
  after?: Omit<CheckpointKey, 'agentId'>;
  /** 1..10000, default 100. */
  limit?: number;
}

export interface CheckpointStore {
  /** Saves (or replaces, same key) one checkpoint and its new channel values, in one transaction. */
  put(input: CheckpointInput): Promise<void>;
  /** Saves a task's pending writes against a checkpoint in one transaction; returns how many rows were written. */
  putWrites(input: CheckpointWritesInput): Promise<number>;
  /** The checkpoint (the latest one without `checkpointId`) with its pending writes, or undefined. */
  get(query: CheckpointGetQuery): Promise<StoredCheckpoint | undefined>;
  /** Checkpoints with their writes, by checkpoint id descending (then thread id, namespace ascending). */
  list(query: CheckpointListQuery): Promise<StoredCheckpoint[]>;
  /** Removes every checkpoint, channel value and write of the agent's thread (all namespaces); returns how many checkpoints. */
  deleteThread(agentId: string, threadId: string): Promise<number>;
}
