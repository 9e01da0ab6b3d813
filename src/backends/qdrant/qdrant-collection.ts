import type { QdrantClient, Schemas } from '@qdrant/js-client-rest';
import type { VectorSpace } from '../../contracts/semantic-backend.js';
import { ConfigError, MemoryError } from '../../errors.js';
import { mapQdrantError, QDRANT_BACKEND, type QdrantWhere } from './qdrant-errors.js';
import { DENSE, PAYLOAD_INDEXES, SPARSE } from './qdrant-points.js';

/**
 * The collection a Qdrant semantic store lives in: created when missing, checked when present, and
 * where the vector space is recorded (the collection's `metadata.memstrate`), so the next open reads
 * it back.
 */

/**
 * The collection's metadata: `memstrate_format` marks a memstrate collection (set once, by the
 * process that created it) and `memstrate` records the vector space. Separate top-level keys,
 * because Qdrant merges metadata updates key by key: the mark never overwrites a recorded space.
 */
interface StoreMetadata {
  vector_dimensions: number;
  vector_embedder: string;
}
const FORMAT = 1;

export interface CollectionState {
  /** The `dense` vector's size, when the collection has one. */
  denseSize: number | undefined;
  space: VectorSpace | undefined;
  /** Payload fields that have an index. */
  indexed: Set<string>;
}

/** Runs one client call with its errors mapped (Qdrant named, URL redacted, key scrubbed). */
export type QdrantCall = <T>(action: string, fn: (client: QdrantClient) => Promise<T>) => Promise<T>;

export function qdrantCaller(client: QdrantClient, where: QdrantWhere): QdrantCall {
  return async (action, fn) => {
    try {
      return await fn(client);
    } catch (error) {
      throw mapQdrantError(error, action, where);
    }
  };
}

function problem(collection: string, text: string): ConfigError {
  return new ConfigError([`qdrant.collection "${collection}": ${text}`], { backend: QDRANT_BACKEND });
}

/**
 * Reads the collection's layout, or undefined when it does not exist. ConfigError when it exists but
 * is not a memstrate store of this layout: an unnamed or differently named dense vector, a distance
 * other than Cosine, no `text` sparse vector with the IDF modifier, or a recorded vector space that
 * contradicts the dense vector's size.
 */
export async function describeCollection(call: QdrantCall, collection: string): Promise<CollectionState | undefined> {
  let info: Schemas['CollectionInfo'];
  try {
    info = await call('read collection', (c) => c.getCollection(collection));
  } catch (error) {
    if (MemoryError.is(error) && error.code === 'NOT_FOUND') return undefined;
    throw error;
  }
  const params = info.config.params;
  const vectors = params.vectors;
  let denseSize: number | undefined;
  if (vectors !== undefined && vectors !== null) {
    if ('size' in vectors && typeof vectors.size === 'number') throw problem(collection, `has an unnamed vector; memstrate needs a named "${DENSE}" vector`);
    const named = vectors as Record<string, Schemas['VectorParams']>;
    for (const [name, v] of Object.entries(named)) {
      if (name !== DENSE) throw problem(collection, `has a vector "${name}" memstrate does not use; point memstrate at its own collection`);
      if (v.distance !== 'Cosine') throw problem(collection, `its "${DENSE}" vector uses ${v.distance} distance; memstrate needs Cosine`);
      denseSize = v.size;
    }
  }
  const sparse = params.sparse_vectors?.[SPARSE];
  if (!sparse) throw problem(collection, `has no "${SPARSE}" sparse vector; it is not a memstrate collection`);
  if (sparse.modifier !== 'idf') throw problem(collection, `its "${SPARSE}" sparse vector lacks the IDF modifier`);
  const meta = (info.config.metadata as { memstrate?: StoreMetadata } | null | undefined)?.memstrate;
  let space: VectorSpace | undefined;
  if (meta?.vector_dimensions !== undefined && meta.vector_embedder !== undefined) {
    space = { dimensions: meta.vector_dimensions, embedderId: meta.vector_embedder };
    if (denseSize !== undefined && denseSize !== space.dimensions) {
      throw problem(collection, `records ${space.dimensions}-dimensional vectors but its "${DENSE}" vector has ${denseSize} dimensions`);
    }
  }
  return { denseSize, space, indexed: new Set(Object.keys(info.payload_schema ?? {})) };
}

/**
 * Creates the collection when missing — a `dense` Cosine vector of `dimensions` when they are known
 * already, the `text` sparse vector with the IDF modifier, then metadata marking it memstrate's — then
 * creates every missing payload index, each waited for. Another process creating it at the same
 * time is fine (the conflict is read as "exists").
 */
export async function ensureCollection(call: QdrantCall, collection: string, dimensions: number | undefined): Promise<CollectionState> {
  let state = await describeCollection(call, collection);
  if (!state) {
    let created = true;
    try {
      await call('create collection', (c) =>
        c.createCollection(collection, {
          vectors: dimensions !== undefined ? { [DENSE]: { size: dimensions, distance: 'Cosine' } } : {},
          sparse_vectors: { [SPARSE]: { modifier: 'idf' } },
        }),
      );
    } catch (error) {
      if (!(MemoryError.is(error) && error.code === 'CONFLICT')) throw error;
      created = false;
    }
    // Marked in a second call: the client (1.18) does not send `metadata` with createCollection.
    if (created) await call('mark collection', (c) => c.updateCollection(collection, { metadata: { memstrate_format: FORMAT } }));
    state = await describeCollection(call, collection);
    if (!state) throw problem(collection, 'was created but cannot be read back');
  }
  for (const { field, schema } of PAYLOAD_INDEXES) {
    if (state.indexed.has(field)) continue;
    await call(`create payload index ${field}`, (c) => c.createPayloadIndex(collection, { field_name: field, field_schema: schema, wait: true }));
    state.indexed.add(field);
  }
  return state;
}

/**
 * Records the vector space in the collection's metadata, then adds the `dense` vector when the
 * collection has none yet (Qdrant 1.18's named-vector creation, waited for). Another process adding
 * it at the same time is fine.
 */
export async function recordVectorSpace(call: QdrantCall, collection: string, space: VectorSpace, denseSize: number | undefined): Promise<void> {
  const metadata: StoreMetadata = { vector_dimensions: space.dimensions, vector_embedder: space.embedderId };
  await call('record vector space', (c) => c.updateCollection(collection, { metadata: { memstrate: metadata } }));
  if (denseSize !== undefined) return;
  try {
    await call('add dense vector', (c) =>
      c.createVectorName(collection, DENSE, { dense: { size: space.dimensions, distance: 'Cosine' } }, { wait: true }),
    );
  } catch (error) {
    if (!(MemoryError.is(error) && error.code === 'CONFLICT')) throw error;
  }
}
