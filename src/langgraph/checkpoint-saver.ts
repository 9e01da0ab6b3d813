import type { RunnableConfig } from '@langchain/core/runnables';
import {
  BaseCheckpointSaver,
  copyCheckpoint,
  maxChannelVersion,
  TASKS,
  WRITES_IDX_MAP,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointTuple,
  type PendingWrite,
  type SerializerProtocol,
} from '@langchain/langgraph-checkpoint';
import type { CheckpointStore, CheckpointWriteInput, StoredCheckpoint } from '../contracts/checkpoint-store.js';
import type { MemorySubstrate } from '../index.js';
import { ValidationError } from '../errors.js';

export interface MemstrateCheckpointSaverOptions {
  /**
   * The agent the threads belong to (default `langgraph`): threads are kept per agent, and erasing
   * the agent (`mem.erase({ agentId })`) removes them.
   */
  agentId?: string;
  /** LangGraph's serializer (default: its JsonPlusSerializer). */
  serde?: SerializerProtocol;
}

const BACKEND = 'langgraph';
const OPTION_KEYS = ['agentId', 'serde'];
/** The type tag of a channel in `newVersions` that has no value (it was cleared). */
const EMPTY = 'empty';
/** Checkpoints read per page when a list filters on metadata. */
const PAGE = 100;

function fail(message: string): never {
  throw new ValidationError(message, { backend: BACKEND });
}

/** A configurable id (thread, checkpoint) as a string, or undefined when absent. */
function idOf(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return fail(`configurable ids must be strings (got ${typeof value})`);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * LangGraph's checkpointer on memstrate's main backend (SQLite or PostgreSQL, tables of migration
 * 0009): checkpoints, their metadata and pending writes serialised with LangGraph's serializer and
 * kept through the substrate's checkpoint store, so each put, putWrites and deleteThread is one
 * transaction with its audit entry. Threads belong to the saver's agent.
 */
export class MemstrateCheckpointSaver extends BaseCheckpointSaver {
  readonly agentId: string;
  private readonly store: CheckpointStore;

  constructor(mem: MemorySubstrate, options: MemstrateCheckpointSaverOptions = {}) {
    if (typeof options !== 'object' || options === null) fail('options must be an object');
    const unknown = Object.keys(options).filter((k) => !OPTION_KEYS.includes(k) && (options as Record<string, unknown>)[k] !== undefined);
    if (unknown.length > 0) fail(`options: unknown key${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${OPTION_KEYS.join(', ')})`);
    super(options.serde);
    this.store = mem.checkpoints;
    this.agentId = options.agentId ?? 'langgraph';
    if (typeof this.agentId !== 'string' || this.agentId.length === 0) fail('options.agentId must be a non-empty string');
  }

  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const c = config.configurable ?? {};
    const threadId = idOf(c['thread_id']);
    if (threadId === undefined) return undefined;
    const checkpointId = idOf(c['checkpoint_id']);
    const stored = await this.store.get({ agentId: this.agentId, threadId, namespace: (c['checkpoint_ns'] as string | undefined) ?? '', ...(checkpointId ? { checkpointId } : {}) });
    return stored === undefined ? undefined : this.toTuple(stored);
  }

  async *list(config: RunnableConfig, options: CheckpointListOptions = {}): AsyncGenerator<CheckpointTuple> {
    const { limit, before, filter } = options;
    const c = config.configurable ?? {};
    const threadId = idOf(c['thread_id']);
    const namespace = c['checkpoint_ns'] as string | undefined;
    const beforeId = idOf(before?.configurable?.['checkpoint_id']);
    const wanted = Object.entries(filter ?? {}).filter(([, v]) => v !== undefined);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) fail('limit must be a whole number');
    if (limit === 0) return;
    let yielded = 0;
    let after: StoredCheckpoint | undefined;
    for (;;) {
      const page = await this.store.list({
        agentId: this.agentId,
        ...(threadId !== undefined ? { threadId } : {}),
        ...(namespace !== undefined && namespace !== null ? { namespace } : {}),
        ...(beforeId !== undefined ? { before: beforeId } : {}),
        ...(after ? { after: { threadId: after.threadId, namespace: after.namespace, checkpointId: after.checkpointId } } : {}),
        limit: wanted.length === 0 && limit !== undefined ? Math.min(limit - yielded, 10_000) : PAGE,
      });
      for (const stored of page) {
        if (wanted.length > 0) {
          const metadata = (await this.serde.loadsTyped(stored.metadataType, stored.metadata)) as Record<string, unknown>;
          if (!wanted.every(([k, v]) => deepEqual(metadata[k], v))) continue;
        }
        yield await this.toTuple(stored);
        if (limit !== undefined && ++yielded >= limit) return;
      }
      if (page.length === 0 || (wanted.length === 0 && limit === undefined && page.length < PAGE)) return;
      after = page[page.length - 1];
    }
  }

  /**
   * Saves the checkpoint without its channel values, and the values of the channels in
   * `newVersions` once each per (channel, version): a checkpoint reads its values back from the
   * versions it names, so a step stores only what it changed (as LangGraph's PostgresSaver does).
   */
  async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions): Promise<RunnableConfig> {
    if (!config.configurable) fail('put needs config.configurable (thread_id)');
    const threadId = idOf(config.configurable['thread_id']);
    if (threadId === undefined) fail('put needs config.configurable.thread_id');
    const namespace = (config.configurable['checkpoint_ns'] as string | undefined) ?? '';
    const parent = idOf(config.configurable['checkpoint_id']);
    const { channel_values: values, ...rest } = copyCheckpoint(checkpoint);
    const channels = await Promise.all(
      Object.entries(newVersions ?? {}).map(async ([channel, version]) => {
        const [type, value] = channel in values ? await this.serde.dumpsTyped(values[channel]) : [EMPTY, new Uint8Array(0)];
        return { channel, version: String(version), type, value };
      }),
    );
    const channelVersions = Object.fromEntries(Object.entries(rest.channel_versions ?? {}).map(([c, v]) => [c, String(v)]));
    const [[type, bytes], [metadataType, metadataBytes]] = await Promise.all([this.serde.dumpsTyped(rest), this.serde.dumpsTyped(metadata)]);
    await this.store.put({
      agentId: this.agentId,
      threadId,
      namespace,
      checkpointId: checkpoint.id,
      ...(parent !== undefined ? { parentCheckpointId: parent } : {}),
      type,
      checkpoint: bytes,
      metadataType,
      metadata: metadataBytes,
      channelVersions,
      channels,
    });
    return { configurable: { thread_id: threadId, checkpoint_ns: namespace, checkpoint_id: checkpoint.id } };
  }

  async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string): Promise<void> {
    if (!config.configurable) fail('putWrites needs config.configurable (thread_id, checkpoint_id)');
    const threadId = idOf(config.configurable['thread_id']);
    const checkpointId = idOf(config.configurable['checkpoint_id']);
    if (threadId === undefined) fail('putWrites needs config.configurable.thread_id');
    if (checkpointId === undefined) fail('putWrites needs config.configurable.checkpoint_id');
    if (writes.length === 0) return;
    // Special channels (errors, interrupts, …) have fixed indexes and replace what the task wrote
    // there before; ordinary writes keep what a retried task wrote first.
    const replace = writes.every(([channel]) => channel in WRITES_IDX_MAP);
    const byIdx = new Map<number, CheckpointWriteInput>();
    for (const [i, [channel, value]] of writes.entries()) {
      const idx = WRITES_IDX_MAP[channel] ?? i;
      if (!replace && byIdx.has(idx)) continue;
      const [type, bytes] = await this.serde.dumpsTyped(value);
      byIdx.set(idx, { idx, channel, type, value: bytes });
    }
    await this.store.putWrites({
      agentId: this.agentId,
      threadId,
      namespace: (config.configurable['checkpoint_ns'] as string | undefined) ?? '',
      checkpointId,
      taskId,
      writes: [...byIdx.values()],
      onConflict: replace ? 'replace' : 'keep',
    });
  }

  async deleteThread(threadId: string): Promise<void> {
    const id = idOf(threadId);
    if (id === undefined) fail('deleteThread needs a thread id');
    await this.store.deleteThread(this.agentId, id);
  }

  private async toTuple(stored: StoredCheckpoint): Promise<CheckpointTuple> {
    const saved = (await this.serde.loadsTyped(stored.type, stored.checkpoint)) as Omit<Checkpoint, 'channel_values'>;
    const values = await Promise.all(
      stored.channels.filter((c) => c.type !== EMPTY).map(async (c) => [c.channel, await this.serde.loadsTyped(c.type, c.value)] as const),
    );
    const checkpoint: Checkpoint = { ...saved, channel_versions: saved.channel_versions ?? {}, versions_seen: saved.versions_seen ?? {}, channel_values: Object.fromEntries(values) };
    if (checkpoint.v < 4 && stored.parentCheckpointId !== undefined) await this.migratePendingSends(checkpoint, stored);
    const pendingWrites = await Promise.all(
      stored.writes.map(async (w) => [w.taskId, w.channel, await this.serde.loadsTyped(w.type, w.value)] as [string, string, unknown]),
    );
    const configurable = { thread_id: stored.threadId, checkpoint_ns: stored.namespace };
    return {
      config: { configurable: { ...configurable, checkpoint_id: stored.checkpointId } },
      checkpoint,
      metadata: (await this.serde.loadsTyped(stored.metadataType, stored.metadata)) as CheckpointMetadata,
      ...(stored.parentCheckpointId !== undefined ? { parentConfig: { configurable: { ...configurable, checkpoint_id: stored.parentCheckpointId } } } : {}),
      pendingWrites,
    };
  }

  /** Checkpoints older than format v4 kept pending sends as writes of the parent's TASKS channel. */
  private async migratePendingSends(checkpoint: Checkpoint, stored: StoredCheckpoint): Promise<void> {
    const parent = await this.store.get({ agentId: this.agentId, threadId: stored.threadId, namespace: stored.namespace, checkpointId: stored.parentCheckpointId as string });
    const sends = (parent?.writes ?? []).filter((w) => w.channel === TASKS);
    const mutable = checkpoint as { channel_values: Record<string, unknown>; channel_versions: ChannelVersions };
    mutable.channel_values ??= {};
    mutable.channel_values[TASKS] = await Promise.all(sends.map((w) => this.serde.loadsTyped(w.type, w.value)));
    mutable.channel_versions[TASKS] =
      Object.keys(checkpoint.channel_versions).length > 0 ? maxChannelVersion(...Object.values(checkpoint.channel_versions)) : this.getNextVersion(undefined);
  }
}
