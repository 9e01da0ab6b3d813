import type { Schemas } from '@qdrant/js-client-rest';
import type { PendingVectorTask, VectorSpace, VectorSpaces, VectorSpaceSlots } from '../../contracts/semantic-backend.js';
import { pendingIsSame, requirePending } from '../../core/vector-space.js';
import { MemoryError } from '../../errors.js';
import {
  createDense,
  deleteDense,
  spaceMetadata,
  writeStoreMetadata,
  type CollectionState,
  type NamedSpace,
  type QdrantCall,
  type StoreMetadata,
} from './qdrant-collection.js';
import { denseGeneration, denseName, isPointId, type MemoryPayload } from './qdrant-points.js';

/** Points per scroll page / retrieve request and update operations per batch. */
const CHUNK = 1000;
/** write() re-reads and retries when a memory was deleted between its read and its update (at most this many times). */
const WRITE_ATTEMPTS = 5;

const NOT_MERGED: Schemas['Condition'] = { is_empty: { key: 'superseded_by' } };

/** What the slots need from the backend. */
export interface QdrantSlotsHost {
  readonly name: string;
  readonly call: QdrantCall;
  readonly collection: string;
  /** Re-reads the collection's layout and makes it the backend's (its active vector name among it). */
  refresh(): Promise<CollectionState>;
}

/**
 * Re-embedding on Qdrant (SemanticBackend.spaces). Qdrant cannot rename a named vector, so the
 * active dense vector's name is recorded in the collection metadata (`memstrate.vector_name`,
 * absent = `dense`) and a re-embedding builds its space in a new dense vector name beside it
 * (`dense_2`, `dense_3`… by generation), recorded as `memstrate.pending`; the switch is one metadata
 * update making the pending name the active one and the old one `memstrate.previous`.
 *
 * A pending vector never outlives its content, whichever process writes: every change of a
 * memory's content is an upsert of the whole point, which replaces all its vectors (the pending one
 * is dropped with it), and `write` stores a pending vector with Qdrant's conditional update
 * (`update_filter`: the point's content still equals the embedded one, and it is not merged),
 * evaluated by the server when the update applies — so a vector computed for old content never
 * lands on a point whose content changed in between. Qdrant has no transactions: the switch counts
 * the memories lacking a pending vector, switches, and counts again; a memory another process wrote
 * in between without one switches the store back (and the run catches up).
 */
export class QdrantVectorSlots implements VectorSpaceSlots {
  constructor(private readonly host: QdrantSlotsHost) {}

  async spaces(): Promise<VectorSpaces> {
    const state = await this.host.refresh();
    return { current: state.space, pending: state.pending?.space, previous: state.previous?.space };
  }

  async begin(space: VectorSpace): Promise<void> {
    const state = await this.host.refresh();
    if (pendingIsSame(state.pending?.space, space, this.host.name)) {
      const pending = state.pending as NamedSpace;
      if (!state.denseNames.has(pending.name)) await createDense(this.host.call, this.host.collection, pending.name, space.dimensions);
      return;
    }
    const used = [...state.denseNames.keys(), state.vectorName, ...(state.previous ? [state.previous.name] : [])];
    const name = denseName(Math.max(...used.map((n) => denseGeneration(n) ?? 1)) + 1);
    // The vector first, then the record: a begin stopped in between leaves an unrecorded name (a later one takes the next).
    await createDense(this.host.call, this.host.collection, name, space.dimensions);
    await writeStoreMetadata(this.host.call, this.host.collection, 'begin re-embedding', { ...state.meta, pending: spaceMetadata({ name, space }) });
    await this.host.refresh();
  }

  async missing(after: string | undefined, limit: number): Promise<PendingVectorTask[]> {
    const pending = await this.pending();
    const out: PendingVectorTask[] = [];
    // A scroll's offset is the first id of the page (inclusive): start at `after` and skip it.
    let offset: Schemas['ExtendedPointId'] | undefined = after !== undefined && isPointId(after) ? after : undefined;
    while (out.length < limit) {
      const want = limit - out.length + 1;
      const page = await this.host.call('find memories to re-embed', (c) =>
        c.scroll(this.host.collection, {
          filter: lackingFilter(pending.name),
          limit: want,
          with_payload: { include: ['content'] },
          with_vector: false,
          ...(offset !== undefined ? { offset } : {}),
        }),
      );
      for (const p of page.points) {
        const id = String(p.id);
        if (after !== undefined && id <= after) continue;
        out.push({ id, content: String((p.payload as Partial<MemoryPayload> | null | undefined)?.content ?? '') });
      }
      const next = page.next_page_offset;
      if (next === undefined || next === null || typeof next === 'object') break;
      offset = next;
    }
    return out.slice(0, limit);
  }

  async countMissing(): Promise<number> {
    return this.lacking((await this.pending()).name);
  }

  /**
   * Reads the points' content, then stores each vector whose memory still has that content with a
   * conditional update (content equal, not merged: the server checks it when applying). A memory
   * deleted between the read and the update fails the batch with NOT_FOUND: the rest is read again.
   */
  async write(vectors: readonly { id: string; content: string; vector: Float32Array }[]): Promise<void> {
    if (vectors.length === 0) return;
    const pending = await this.pending();
    let left = vectors.filter((v) => isPointId(v.id));
    for (let attempt = 1; left.length > 0; attempt++) {
      const stored = new Map<string, unknown>();
      for (let start = 0; start < left.length; start += CHUNK) {
        const ids = left.slice(start, start + CHUNK).map((v) => v.id);
        const points = await this.host.call('read memories to re-embed', (c) =>
          c.retrieve(this.host.collection, { ids, with_payload: { include: ['content', 'superseded_by'] }, with_vector: false }),
        );
        for (const p of points) {
          const payload = (p.payload ?? {}) as Partial<MemoryPayload>;
          if (payload.superseded_by === undefined || payload.superseded_by === null) stored.set(String(p.id), payload.content);
        }
      }
      const current = left.filter((v) => stored.get(v.id) === v.content);
      try {
        for (let start = 0; start < current.length; start += CHUNK) {
          const operations: Schemas['UpdateOperation'][] = current.slice(start, start + CHUNK).map((v) => ({
            update_vectors: {
              points: [{ id: v.id, vector: { [pending.name]: Array.from(v.vector) } }],
              update_filter: { must: [{ key: 'content', match: { value: v.content } }, NOT_MERGED] },
            },
          }));
          await this.host.call('write re-embedded vectors', (c) => c.batchUpdate(this.host.collection, { operations, wait: true }));
        }
        return;
      } catch (error) {
        if (!(MemoryError.is(error) && error.code === 'NOT_FOUND') || attempt >= WRITE_ATTEMPTS) throw error;
        left = current; // deleted meanwhile: read again (updates already applied are idempotent)
      }
    }
  }

  async switch(): Promise<number> {
    const state = await this.host.refresh();
    const pending = requireNamed(state.pending, this.host.name);
    const left = await this.lacking(pending.name);
    if (left > 0) return left;
    const previous: NamedSpace | undefined = state.space ? { name: state.vectorName, space: state.space } : undefined;
    const switched: StoreMetadata = {
      vector_dimensions: pending.space.dimensions,
      vector_embedder: pending.space.embedderId,
      vector_name: pending.name,
      ...(previous ? { previous: spaceMetadata(previous) } : {}),
    };
    await writeStoreMetadata(this.host.call, this.host.collection, 'switch vector space', switched);
    // No transaction held writers off: a memory written meanwhile without a pending vector switches the store back.
    const late = await this.lacking(pending.name, true);
    if (late > 0) {
      await writeStoreMetadata(this.host.call, this.host.collection, 'switch vector space back', state.meta);
      await this.host.refresh();
      return late;
    }
    // The older previous space is replaced.
    const older = state.previous?.name;
    if (older !== undefined && older !== pending.name && older !== previous?.name) await deleteDense(this.host.call, this.host.collection, older);
    await this.host.refresh();
    return 0;
  }

  async dropPrevious(): Promise<boolean> {
    const state = await this.host.refresh();
    if (!state.previous) return false;
    // The vector first, then the record: a drop stopped in between is done again by the next one.
    if (state.previous.name !== state.vectorName && state.previous.name !== state.pending?.name) await deleteDense(this.host.call, this.host.collection, state.previous.name);
    const { previous: _dropped, ...meta } = state.meta;
    await writeStoreMetadata(this.host.call, this.host.collection, 'drop previous vector space', meta);
    await this.host.refresh();
    return true;
  }

  async abort(): Promise<boolean> {
    const state = await this.host.refresh();
    if (!state.pending) return false;
    if (state.pending.name !== state.vectorName && state.pending.name !== state.previous?.name) await deleteDense(this.host.call, this.host.collection, state.pending.name);
    const { pending: _dropped, ...meta } = state.meta;
    await writeStoreMetadata(this.host.call, this.host.collection, 'abort re-embedding', meta);
    await this.host.refresh();
    return true;
  }

  /** With no point at all: deletes every dense vector name and forgets the spaces (the next fixVectorSpace records one under `dense`). */
  async reset(): Promise<boolean> {
    const { count } = await this.host.call('count memories', (c) => c.count(this.host.collection, { exact: true }));
    if (count > 0) return false;
    const state = await this.host.refresh();
    for (const name of state.denseNames.keys()) await deleteDense(this.host.call, this.host.collection, name);
    await writeStoreMetadata(this.host.call, this.host.collection, 'reset vector space', {});
    await this.host.refresh();
    return true;
  }

  private async pending(): Promise<NamedSpace> {
    return requireNamed((await this.host.refresh()).pending, this.host.name);
  }

  /** Unmerged points without a vector under `name` (exact count); `active`: the name is now the active one. */
  private async lacking(name: string, active = false): Promise<number> {
    const res = await this.host.call(active ? 'count memories without a vector' : 'count memories to re-embed', (c) =>
      c.count(this.host.collection, { filter: lackingFilter(name), exact: true }),
    );
    return res.count;
  }
}

/** Unmerged points (expired ones included) without a vector under `name`. */
function lackingFilter(name: string): Schemas['Filter'] {
  return { must: [NOT_MERGED], must_not: [{ has_vector: name }] };
}

function requireNamed(pending: NamedSpace | undefined, backend: string): NamedSpace {
  requirePending(pending?.space, backend);
  return pending as NamedSpace;
}
