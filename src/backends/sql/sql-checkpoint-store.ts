import type {
  CheckpointChannelValue,
  CheckpointGetQuery,
  CheckpointInput,
  CheckpointKey,
  CheckpointListQuery,
  CheckpointStore,
  CheckpointWriteInput,
  CheckpointWritesInput,
  StoredCheckpoint,
  StoredCheckpointWrite,
} from '../../contracts/checkpoint-store.js';
import { LIMITS } from '../../core/limits.js';
import { num, SqlStore, type SqlStoreContext } from './context.js';
import type { CompiledQuery } from 'kysely';
import type { SqlReader } from './engine.js';
import { prepare } from './prepared.js';
import type { CheckpointBlobsTable, CheckpointsTable, CheckpointWritesTable } from './schema.js';

/** Bounds of the checkpoint store (identical on every engine). */
export const CHECKPOINT_LIMITS = {
  /** A checkpoint, its metadata, or one write's value, serialised. */
  bytes: 16_777_216,
  namespaceBytes: 1024,
  typeLength: 64,
  channelBytes: 1024,
  maxWrites: 10_000,
  defaultListLimit: 100,
  /** Write indexes fit a 32-bit integer column on every engine. */
  minIdx: -2_147_483_648,
  maxIdx: 2_147_483_647,
} as const;

/** Up to this many rows, writes and channel values are inserted by one precompiled single-row statement each. */
const SINGLE_ROWS = 16;
/** Blob lookups compiled once for up to this many channels (more: compiled per call). */
const PREPARED_PAIRS = 64;
/** Rows per multi-row INSERT of writes (9 parameters each, well under every engine's bind limit). */
const WRITE_CHUNK = 500;

const INPUT_KEYS = ['agentId', 'threadId', 'namespace', 'checkpointId', 'parentCheckpointId', 'type', 'checkpoint', 'metadataType', 'metadata', 'channelVersions', 'channels'];
const CHANNEL_KEYS = ['channel', 'version', 'type', 'value'];
/** (channel, version) pairs per blob query: 4 parameters each. */
const PAIR_CHUNK = 200;
const MAX_CHANNELS = 10_000;
const WRITES_KEYS = ['agentId', 'threadId', 'namespace', 'checkpointId', 'taskId', 'writes', 'onConflict'];
const WRITE_KEYS = ['idx', 'channel', 'type', 'value'];
const GET_KEYS = ['agentId', 'threadId', 'namespace', 'checkpointId'];
const LIST_KEYS = ['agentId', 'threadId', 'namespace', 'before', 'after', 'limit'];
const AFTER_KEYS = ['threadId', 'namespace', 'checkpointId'];

/** Driver bytes (Buffer, Uint8Array) as a Buffer every driver binds as a blob / bytea. */
const toBuffer = (bytes: Uint8Array): Buffer => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
/** A stored blob as a plain Uint8Array view (no copy). */
const toBytes = (value: unknown): Uint8Array => {
  const b = value as Uint8Array;
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
};

const writeKey = (k: { thread_id: string; checkpoint_ns: string; checkpoint_id: string }) => JSON.stringify([k.thread_id, k.checkpoint_ns, k.checkpoint_id]);

function toWrite(row: Pick<CheckpointWritesTable, 'task_id' | 'idx' | 'channel' | 'type' | 'value'>): StoredCheckpointWrite {
  return { taskId: row.task_id, idx: num(row.idx), channel: row.channel, type: row.type, value: toBytes(row.value) };
}

const blobKey = (thread: string, ns: string, channel: string, version: string) => JSON.stringify([thread, ns, channel, version]);

function versionsOf(row: CheckpointsTable): Record<string, string> {
  return JSON.parse(row.channel_versions) as Record<string, string>;
}

function toCheckpoint(row: CheckpointsTable, writes: StoredCheckpointWrite[], blobs: ReadonlyMap<string, CheckpointChannelValue>): StoredCheckpoint {
  const channelVersions = versionsOf(row);
  const channels: CheckpointChannelValue[] = [];
  for (const [channel, version] of Object.entries(channelVersions)) {
    const blob = blobs.get(blobKey(row.thread_id, row.checkpoint_ns, channel, version));
    if (blob) channels.push(blob);
  }
  return {
    agentId: row.agent_id,
    threadId: row.thread_id,
    namespace: row.checkpoint_ns,
    checkpointId: row.checkpoint_id,
    ...(row.parent_checkpoint_id === null ? {} : { parentCheckpointId: row.parent_checkpoint_id }),
    type: row.type,
    checkpoint: toBytes(row.checkpoint),
    metadataType: row.metadata_type,
    metadata: toBytes(row.metadata),
    channelVersions,
    channels,
    createdAt: num(row.created_at),
    writes,
  };
}

/**
 * LangGraph checkpoints on a SQL engine (tables of migration 0009). A put is one upsert; a task's
 * writes are one transaction of multi-row inserts (`on conflict do nothing`, or `do update` for
 * `replace`); a get is two primary-key reads (the checkpoint, then its writes); a list reads one page
 * of checkpoints and then all their writes in one query.
 */
export class SqlCheckpointStore extends SqlStore implements CheckpointStore {
  private readonly qPut;
  private readonly qLatest;
  private readonly qExact;
  private readonly qWrites;
  private readonly qBlob;
  private readonly qWriteKeep;
  private readonly qWriteReplace;
  /** Blob lookups of one checkpoint, compiled once per number of (channel, version) pairs. */
  private readonly qBlobsOf = new Map<number, (values: Readonly<Record<string, unknown>>) => CompiledQuery<CheckpointBlobsTable>>();

  constructor(ctx: SqlStoreContext) {
    super(ctx);
    const db = this.engine.db;
    this.qPut = prepare<keyof CheckpointsTable, unknown>((p) =>
      db
        .insertInto('checkpoints')
        .values({
          agent_id: p('agent_id'),
          thread_id: p('thread_id'),
          checkpoint_ns: p('checkpoint_ns'),
          checkpoint_id: p('checkpoint_id'),
          parent_checkpoint_id: p('parent_checkpoint_id'),
          type: p('type'),
          checkpoint: p('checkpoint'),
          metadata_type: p('metadata_type'),
          metadata: p('metadata'),
          channel_versions: p('channel_versions'),
          created_at: p('created_at'),
        })
        .onConflict((oc) =>
          oc.columns(['agent_id', 'thread_id', 'checkpoint_ns', 'checkpoint_id']).doUpdateSet((eb) => ({
            parent_checkpoint_id: eb.ref('excluded.parent_checkpoint_id'),
            type: eb.ref('excluded.type'),
            checkpoint: eb.ref('excluded.checkpoint'),
            metadata_type: eb.ref('excluded.metadata_type'),
            metadata: eb.ref('excluded.metadata'),
            channel_versions: eb.ref('excluded.channel_versions'),
            created_at: eb.ref('excluded.created_at'),
          })),
        ),
    );
    this.qLatest = prepare<'agentId' | 'threadId' | 'namespace', CheckpointsTable>((p) =>
      db
        .selectFrom('checkpoints')
        .selectAll()
        .where('agent_id', '=', p('agentId'))
        .where('thread_id', '=', p('threadId'))
        .where('checkpoint_ns', '=', p('namespace'))
        .orderBy('checkpoint_id', 'desc')
        .limit(1),
    );
    this.qExact = prepare<'agentId' | 'threadId' | 'namespace' | 'checkpointId', CheckpointsTable>((p) =>
      db
        .selectFrom('checkpoints')
        .selectAll()
        .where('agent_id', '=', p('agentId'))
        .where('thread_id', '=', p('threadId'))
        .where('checkpoint_ns', '=', p('namespace'))
        .where('checkpoint_id', '=', p('checkpointId')),
    );
    const writeValues = (p: (name: keyof CheckpointWritesTable) => never) => ({
      agent_id: p('agent_id'),
      thread_id: p('thread_id'),
      checkpoint_ns: p('checkpoint_ns'),
      checkpoint_id: p('checkpoint_id'),
      task_id: p('task_id'),
      idx: p('idx'),
      channel: p('channel'),
      type: p('type'),
      value: p('value'),
    });
    const writeKeyColumns = ['agent_id', 'thread_id', 'checkpoint_ns', 'checkpoint_id', 'task_id', 'idx'] as const;
    this.qWriteKeep = prepare<keyof CheckpointWritesTable, unknown>((p) =>
      db.insertInto('checkpoint_writes').values(writeValues(p)).onConflict((oc) => oc.columns(writeKeyColumns).doNothing()),
    );
    this.qWriteReplace = prepare<keyof CheckpointWritesTable, unknown>((p) =>
      db
        .insertInto('checkpoint_writes')
        .values(writeValues(p))
        .onConflict((oc) => oc.columns(writeKeyColumns).doUpdateSet((eb) => ({ channel: eb.ref('excluded.channel'), type: eb.ref('excluded.type'), value: eb.ref('excluded.value') }))),
    );
    this.qBlob = prepare<keyof CheckpointBlobsTable, unknown>((p) =>
      db
        .insertInto('checkpoint_blobs')
        .values({ agent_id: p('agent_id'), thread_id: p('thread_id'), checkpoint_ns: p('checkpoint_ns'), channel: p('channel'), version: p('version'), type: p('type'), value: p('value') })
        .onConflict((oc) => oc.columns(['agent_id', 'thread_id', 'checkpoint_ns', 'channel', 'version']).doNothing()),
    );
    this.qWrites = prepare<'agentId' | 'threadId' | 'namespace' | 'checkpointId', CheckpointWritesTable>((p) =>
      db
        .selectFrom('checkpoint_writes')
        .select(['task_id', 'idx', 'channel', 'type', 'value'])
        .where('agent_id', '=', p('agentId'))
        .where('thread_id', '=', p('threadId'))
        .where('checkpoint_ns', '=', p('namespace'))
        .where('checkpoint_id', '=', p('checkpointId'))
        .orderBy('task_id')
        .orderBy('idx') as never,
    );
  }

  /** The compiled lookup of `n` (channel, version) pairs of one thread and namespace (parameters c0, v0, c1, v1, …). */
  private blobsQuery(n: number) {
    let q = this.qBlobsOf.get(n);
    if (!q) {
      const { db } = this.engine;
      q = prepare<string, CheckpointBlobsTable>((p) =>
        db
          .selectFrom('checkpoint_blobs')
          .selectAll()
          .where('agent_id', '=', p('agentId'))
          .where('thread_id', '=', p('threadId'))
          .where('checkpoint_ns', '=', p('namespace'))
          .where((eb) => eb.or(Array.from({ length: n }, (_, i) => eb.and([eb('channel', '=', p(`c${i}`)), eb('version', '=', p(`v${i}`))])))),
      );
      if (n <= PREPARED_PAIRS) this.qBlobsOf.set(n, q);
    }
    return q;
  }

  async put(input: CheckpointInput): Promise<void> {
    this.object('checkpoint', input, INPUT_KEYS);
    this.key(input);
    const parent = input.parentCheckpointId === undefined ? null : this.v.id('parentCheckpointId', input.parentCheckpointId);
    const row: CheckpointsTable = {
      agent_id: input.agentId,
      thread_id: input.threadId,
      checkpoint_ns: input.namespace,
      checkpoint_id: input.checkpointId,
      parent_checkpoint_id: parent,
      type: this.type('type', input.type),
      checkpoint: this.bytes('checkpoint', input.checkpoint),
      metadata_type: this.type('metadataType', input.metadataType),
      metadata: this.bytes('metadata', input.metadata),
      channel_versions: JSON.stringify(this.versions(input.channelVersions)),
      created_at: this.clock(),
    };
    const blobs = this.channels(input);
    const { db } = this.engine;
    await this.guard('checkpoint put', () =>
      blobs.length === 0
        ? this.engine.run(this.qPut(row))
        : this.engine.transaction(async (tx) => {
            // A (channel, version) holds one value: a second save of it keeps the first.
            if (blobs.length <= SINGLE_ROWS) {
              for (const blob of blobs) await tx.run(this.qBlob(blob));
              return tx.run(this.qPut(row));
            }
            for (let i = 0; i < blobs.length; i += WRITE_CHUNK) {
              await tx.run(
                db
                  .insertInto('checkpoint_blobs')
                  .values(blobs.slice(i, i + WRITE_CHUNK))
                  .onConflict((oc) => oc.columns(['agent_id', 'thread_id', 'checkpoint_ns', 'channel', 'version']).doNothing())
                  .compile(),
              );
            }
            return tx.run(this.qPut(row));
          }),
    );
  }

  async putWrites(input: CheckpointWritesInput): Promise<number> {
    this.object('writes input', input, WRITES_KEYS);
    this.key(input);
    const taskId = this.v.id('taskId', input.taskId);
    const replace = input.onConflict === undefined ? false : this.v.oneOf('onConflict', input.onConflict, ['replace', 'keep'] as const) === 'replace';
    if (!Array.isArray(input.writes) || input.writes.length === 0 || input.writes.length > CHECKPOINT_LIMITS.maxWrites) {
      this.v.fail(`writes must be an array of 1..${CHECKPOINT_LIMITS.maxWrites} writes`);
    }
    const rows: CheckpointWritesTable[] = input.writes.map((w: CheckpointWriteInput, i) => {
      this.object(`writes[${i}]`, w, WRITE_KEYS);
      return {
        agent_id: input.agentId,
        thread_id: input.threadId,
        checkpoint_ns: input.namespace,
        checkpoint_id: input.checkpointId,
        task_id: taskId,
        idx: this.v.int(`writes[${i}].idx`, w.idx, CHECKPOINT_LIMITS.minIdx, CHECKPOINT_LIMITS.maxIdx),
        channel: this.v.text(`writes[${i}].channel`, w.channel, CHECKPOINT_LIMITS.channelBytes),
        type: this.type(`writes[${i}].type`, w.type),
        value: this.bytes(`writes[${i}].value`, w.value),
      };
    });
    const seen = new Set<number>();
    for (const r of rows) {
      if (seen.has(r.idx)) this.v.fail(`writes: idx ${r.idx} appears twice`);
      seen.add(r.idx);
    }
    const { db } = this.engine;
    return this.guard('checkpoint put writes', () =>
      this.engine.transaction(async (tx) => {
        let written = 0;
        if (rows.length <= SINGLE_ROWS) {
          const q = replace ? this.qWriteReplace : this.qWriteKeep;
          for (const r of rows) written += await tx.run(q(r));
          return written;
        }
        for (let i = 0; i < rows.length; i += WRITE_CHUNK) {
          const insert = db.insertInto('checkpoint_writes').values(rows.slice(i, i + WRITE_CHUNK));
          const columns = ['agent_id', 'thread_id', 'checkpoint_ns', 'checkpoint_id', 'task_id', 'idx'] as const;
          written += await tx.run(
            (replace
              ? insert.onConflict((oc) =>
                  oc.columns(columns).doUpdateSet((eb) => ({ channel: eb.ref('excluded.channel'), type: eb.ref('excluded.type'), value: eb.ref('excluded.value') })),
                )
              : insert.onConflict((oc) => oc.columns(columns).doNothing())
            ).compile(),
          );
        }
        return written;
      }),
    );
  }

  async get(query: CheckpointGetQuery): Promise<StoredCheckpoint | undefined> {
    this.object('query', query, GET_KEYS);
    this.v.id('agentId', query.agentId);
    this.v.id('threadId', query.threadId);
    this.namespace(query.namespace);
    if (query.checkpointId !== undefined) this.v.id('checkpointId', query.checkpointId);
    return this.guard('checkpoint get', async () => {
      const row =
        query.checkpointId === undefined
          ? await this.engine.first(this.qLatest(query))
          : await this.engine.first(this.qExact({ ...query, checkpointId: query.checkpointId }));
      if (row === undefined) return undefined;
      const writes = await this.engine.rows(this.qWrites({ agentId: row.agent_id, threadId: row.thread_id, namespace: row.checkpoint_ns, checkpointId: row.checkpoint_id }));
      const pairs = Object.entries(versionsOf(row));
      const blobs = new Map<string, CheckpointChannelValue>();
      if (pairs.length > 0) {
        const values: Record<string, unknown> = { agentId: row.agent_id, threadId: row.thread_id, namespace: row.checkpoint_ns };
        pairs.forEach(([c, v], i) => {
          values[`c${i}`] = c;
          values[`v${i}`] = v;
        });
        for (const b of await this.engine.rows(this.blobsQuery(pairs.length)(values))) {
          blobs.set(blobKey(b.thread_id, b.checkpoint_ns, b.channel, b.version), { channel: b.channel, version: b.version, type: b.type, value: toBytes(b.value) });
        }
      }
      return toCheckpoint(row, writes.map(toWrite), blobs);
    });
  }

  async list(query: CheckpointListQuery): Promise<StoredCheckpoint[]> {
    this.object('query', query, LIST_KEYS);
    const agentId = this.v.id('agentId', query.agentId);
    if (query.threadId !== undefined) this.v.id('threadId', query.threadId);
    if (query.namespace !== undefined) this.namespace(query.namespace);
    if (query.before !== undefined) this.v.id('before', query.before);
    const after = query.after;
    if (after !== undefined) {
      this.object('after', after, AFTER_KEYS);
      this.v.id('after.threadId', after.threadId);
      this.namespace(after.namespace);
      this.v.id('after.checkpointId', after.checkpointId);
    }
    const limit = query.limit === undefined ? CHECKPOINT_LIMITS.defaultListLimit : this.v.int('limit', query.limit, 1, LIMITS.maxListLimit);
    const { db } = this.engine;
    return this.guard('checkpoint list', async () => {
      let q = db.selectFrom('checkpoints').selectAll().where('agent_id', '=', agentId);
      if (query.threadId !== undefined) q = q.where('thread_id', '=', query.threadId);
      if (query.namespace !== undefined) q = q.where('checkpoint_ns', '=', query.namespace);
      if (query.before !== undefined) q = q.where('checkpoint_id', '<', query.before);
      if (after !== undefined) {
        q = q.where((eb) =>
          eb.or([
            eb('checkpoint_id', '<', after.checkpointId),
            eb.and([
              eb('checkpoint_id', '=', after.checkpointId),
              eb.or([eb('thread_id', '>', after.threadId), eb.and([eb('thread_id', '=', after.threadId), eb('checkpoint_ns', '>', after.namespace)])]),
            ]),
          ]),
        );
      }
      const rows = await this.engine.reader.rows(q.orderBy('checkpoint_id', 'desc').orderBy('thread_id').orderBy('checkpoint_ns').limit(limit).compile());
      if (rows.length === 0) return [];
      // Every write of the page's checkpoints in one query (a superset by thread and id, matched exactly here).
      const threads = [...new Set(rows.map((r) => r.thread_id))];
      const ids = [...new Set(rows.map((r) => r.checkpoint_id))];
      const writeRows = await this.engine.reader.rows(
        db
          .selectFrom('checkpoint_writes')
          .selectAll()
          .where('agent_id', '=', agentId)
          .where('thread_id', 'in', threads)
          .where('checkpoint_id', 'in', ids)
          .orderBy('task_id')
          .orderBy('idx')
          .compile(),
      );
      const byCheckpoint = new Map<string, StoredCheckpointWrite[]>();
      for (const w of writeRows) {
        const k = writeKey(w);
        const list = byCheckpoint.get(k) ?? [];
        list.push(toWrite(w));
        byCheckpoint.set(k, list);
      }
      const blobs = await this.blobsOf(this.engine.reader, agentId, rows);
      return rows.map((r) => toCheckpoint(r, byCheckpoint.get(writeKey(r)) ?? [], blobs));
    });
  }

  async deleteThread(agentId: string, threadId: string): Promise<number> {
    this.v.id('agentId', agentId);
    this.v.id('threadId', threadId);
    const { db } = this.engine;
    return this.guard('checkpoint delete thread', () =>
      this.engine.transaction(async (tx) => {
        await tx.run(db.deleteFrom('checkpoint_writes').where('agent_id', '=', agentId).where('thread_id', '=', threadId).compile());
        await tx.run(db.deleteFrom('checkpoint_blobs').where('agent_id', '=', agentId).where('thread_id', '=', threadId).compile());
        return tx.run(db.deleteFrom('checkpoints').where('agent_id', '=', agentId).where('thread_id', '=', threadId).compile());
      }),
    );
  }

  /** The stored values of the rows' (channel, version) pairs, by blobKey. */
  private async blobsOf(reader: SqlReader, agentId: string, rows: readonly CheckpointsTable[]): Promise<Map<string, CheckpointChannelValue>> {
    const pairs = new Map<string, [string, string, string, string]>();
    for (const r of rows) {
      for (const [channel, version] of Object.entries(versionsOf(r))) pairs.set(blobKey(r.thread_id, r.checkpoint_ns, channel, version), [r.thread_id, r.checkpoint_ns, channel, version]);
    }
    const found = new Map<string, CheckpointChannelValue>();
    const all = [...pairs.values()];
    const { db } = this.engine;
    for (let i = 0; i < all.length; i += PAIR_CHUNK) {
      const chunk = all.slice(i, i + PAIR_CHUNK);
      const blobRows = await reader.rows(
        db
          .selectFrom('checkpoint_blobs')
          .selectAll()
          .where('agent_id', '=', agentId)
          .where((eb) =>
            eb.or(chunk.map(([t, ns, c, v]) => eb.and([eb('thread_id', '=', t), eb('checkpoint_ns', '=', ns), eb('channel', '=', c), eb('version', '=', v)]))),
          )
          .compile(),
      );
      for (const b of blobRows as CheckpointBlobsTable[]) {
        found.set(blobKey(b.thread_id, b.checkpoint_ns, b.channel, b.version), { channel: b.channel, version: b.version, type: b.type, value: toBytes(b.value) });
      }
    }
    return found;
  }

  private versions(value: unknown): Record<string, string> {
    if (value === undefined) return {};
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.v.fail('channelVersions must be an object of channel → version strings');
    const entries = Object.entries(value);
    if (entries.length > MAX_CHANNELS) this.v.fail(`channelVersions holds more than ${MAX_CHANNELS} channels`);
    for (const [channel, version] of entries) {
      this.v.text('channelVersions key', channel, CHECKPOINT_LIMITS.channelBytes);
      this.v.text(`channelVersions.${channel}`, version, CHECKPOINT_LIMITS.typeLength);
    }
    return value as Record<string, string>;
  }

  private channels(input: CheckpointInput): CheckpointBlobsTable[] {
    if (input.channels === undefined) return [];
    if (!Array.isArray(input.channels) || input.channels.length > MAX_CHANNELS) this.v.fail(`channels must be an array of at most ${MAX_CHANNELS} channel values`);
    const seen = new Set<string>();
    return input.channels.map((c: CheckpointChannelValue, i) => {
      this.object(`channels[${i}]`, c, CHANNEL_KEYS);
      const channel = this.v.text(`channels[${i}].channel`, c.channel, CHECKPOINT_LIMITS.channelBytes);
      const version = this.v.text(`channels[${i}].version`, c.version, CHECKPOINT_LIMITS.typeLength);
      const k = JSON.stringify([channel, version]);
      if (seen.has(k)) this.v.fail(`channels: ${channel} version ${version} appears twice`);
      seen.add(k);
      return {
        agent_id: input.agentId,
        thread_id: input.threadId,
        checkpoint_ns: input.namespace,
        channel,
        version,
        type: this.type(`channels[${i}].type`, c.type),
        value: this.bytes(`channels[${i}].value`, c.value),
      };
    });
  }

  private object(field: string, value: unknown, keys: readonly string[]): void {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.v.fail(`${field} must be an object`);
    this.v.knownKeys(field === 'query' || field.startsWith('writes[') || field.startsWith('channels[') || field === 'after' ? `${field}.` : '', value, keys);
  }

  private key(k: CheckpointKey): void {
    this.v.id('agentId', k.agentId);
    this.v.id('threadId', k.threadId);
    this.namespace(k.namespace);
    this.v.id('checkpointId', k.checkpointId);
  }

  private namespace(value: unknown): string {
    return this.v.text('namespace', value, CHECKPOINT_LIMITS.namespaceBytes, { allowEmpty: true });
  }

  private type(field: string, value: unknown): string {
    return this.v.text(field, value, CHECKPOINT_LIMITS.typeLength);
  }

  private bytes(field: string, value: unknown): Uint8Array {
    if (!(value instanceof Uint8Array)) this.v.fail(`${field} must be a Uint8Array`);
    if (value.byteLength > CHECKPOINT_LIMITS.bytes) this.v.fail(`${field} is larger than ${CHECKPOINT_LIMITS.bytes} bytes`);
    return toBuffer(value);
  }
}
