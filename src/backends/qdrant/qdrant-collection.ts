import type { QdrantClient, Schemas } from '@qdrant/js-client-rest';
import type { VectorSpace } from '../../contracts/semantic-backend.js';
import { ConfigError, MemoryError } from '../../errors.js';
import { mapQdrantError, QDRANT_BACKEND, type QdrantWhere } from './qdrant-errors.js';
import { documentKeywords } from './qdrant-keywords.js';
import { BM25, DENSE, denseGeneration, PAYLOAD_INDEXES, SPARSE } from './qdrant-points.js';

/**
 * The collection a Qdrant semantic store lives in: created when missing, checked when present, and
 * where the vector space is recorded (the collection's `metadata.memstrate`), so the next open reads
 * it back.
 */

/**
 * The collection's metadata: `memstrate_format` marks a memstrate collection (set once, by the
 * process that created it) and `memstrate` records the vector spaces. Separate top-level keys,
 * because Qdrant merges metadata updates key by key: the mark never overwrites a recorded space.
 * `memstrate` is always written whole (one top-level key, replaced at once), so a switch of vector
 * space is one metadata update; no key is ever removed with null.
 *
 * `memstrate`: the current space (`vector_dimensions`, `vector_embedder`) and its dense vector's
 * name (`vector_name`; absent = `dense`), and during / after a re-embedding the `pending` and
 * `previous` spaces with their vector names (`dense_N`).
 */
export interface StoreMetadata {
  vector_dimensions?: number;
  vector_embedder?: string;
  vector_name?: string;
  pending?: SpaceMetadata;
  previous?: SpaceMetadata;
}
export interface SpaceMetadata {
  name: string;
  dimensions: number;
  embedder: string;
}

/** A vector space and the dense vector name holding it. */
export interface NamedSpace {
  name: string;
  space: VectorSpace;
}
const FORMAT = 1;
/** `memstrate_keywords`: every point has its `bm25` vector and `kw_terms` (set at creation, or after re-indexing an older collection). */
const KEYWORDS = 2;

export interface CollectionState {
  /** The active dense vector's name (what recall searches and writes fill): `dense` or `dense_N`. */
  vectorName: string;
  /** The active dense vector's size, when the collection has it. */
  denseSize: number | undefined;
  /** The current space. */
  space: VectorSpace | undefined;
  /** A re-embedding's space being built, and the space kept after a switch, with their vector names. */
  pending: NamedSpace | undefined;
  previous: NamedSpace | undefined;
  /** memstrate's dense vector names in the collection, with their sizes. */
  denseNames: Map<string, number>;
  /** The `memstrate` metadata as read. */
  meta: StoreMetadata;
  /** Payload fields that have an index. */
  indexed: Set<string>;
  /** Whether the `bm25` sparse vector exists, and whether every point was indexed for it. */
  hasBm25: boolean;
  keywordsIndexed: boolean;
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
 * is not a memstrate store of this layout: an unnamed dense vector or one not named `dense` /
 * `dense_N`, a distance other than Cosine, neither the `bm25` sparse vector (no modifier) nor the
 * older `text` one (IDF modifier), or a recorded vector space that contradicts its vector's size.
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
  const denseNames = new Map<string, number>();
  if (vectors !== undefined && vectors !== null) {
    if ('size' in vectors && typeof vectors.size === 'number') throw problem(collection, `has an unnamed vector; memstrate needs a named "${DENSE}" vector`);
    const named = vectors as Record<string, Schemas['VectorParams']>;
    for (const [name, v] of Object.entries(named)) {
      if (denseGeneration(name) === undefined) throw problem(collection, `has a vector "${name}" memstrate does not use; point memstrate at its own collection`);
      if (v.distance !== 'Cosine') throw problem(collection, `its "${name}" vector uses ${v.distance} distance; memstrate needs Cosine`);
      denseNames.set(name, v.size);
    }
  }
  const legacy = params.sparse_vectors?.[SPARSE];
  const bm25 = params.sparse_vectors?.[BM25];
  if (!legacy && !bm25) throw problem(collection, `has no "${BM25}" sparse vector; it is not a memstrate collection`);
  if (legacy && legacy.modifier !== 'idf') throw problem(collection, `its "${SPARSE}" sparse vector lacks the IDF modifier`);
  if (bm25 && bm25.modifier !== undefined && bm25.modifier !== null && bm25.modifier !== 'none') {
    throw problem(collection, `its "${BM25}" sparse vector has the ${bm25.modifier} modifier; memstrate computes IDF per agent`);
  }
  const allMeta = info.config.metadata as { memstrate?: StoreMetadata; memstrate_keywords?: number } | null | undefined;
  const meta: StoreMetadata = isObject(allMeta?.memstrate) ? (allMeta?.memstrate as StoreMetadata) : {};
  const vectorName = typeof meta.vector_name === 'string' && denseGeneration(meta.vector_name) !== undefined ? meta.vector_name : DENSE;
  const denseSize = denseNames.get(vectorName);
  let space: VectorSpace | undefined;
  if (typeof meta.vector_dimensions === 'number' && typeof meta.vector_embedder === 'string') {
    space = { dimensions: meta.vector_dimensions, embedderId: meta.vector_embedder };
    if (denseSize !== undefined && denseSize !== space.dimensions) {
      throw problem(collection, `records ${space.dimensions}-dimensional vectors but its "${vectorName}" vector has ${denseSize} dimensions`);
    }
  }
  const named = (m: SpaceMetadata | undefined): NamedSpace | undefined =>
    isObject(m) && typeof m.name === 'string' && denseGeneration(m.name) !== undefined && typeof m.dimensions === 'number' && typeof m.embedder === 'string'
      ? { name: m.name, space: { dimensions: m.dimensions, embedderId: m.embedder } }
      : undefined;
  const hasBm25 = bm25 !== undefined && bm25 !== null;
  return {
    vectorName,
    denseSize,
    space,
    pending: named(meta.pending),
    previous: named(meta.previous),
    denseNames,
    meta,
    indexed: new Set(Object.keys(info.payload_schema ?? {})),
    hasBm25,
    keywordsIndexed: hasBm25 && allMeta?.memstrate_keywords === KEYWORDS,
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Writes the `memstrate` metadata whole (Qdrant replaces that top-level key at once). */
export async function writeStoreMetadata(call: QdrantCall, collection: string, action: string, meta: StoreMetadata): Promise<void> {
  await call(action, (c) => c.updateCollection(collection, { metadata: { memstrate: meta as Record<string, unknown> } }));
}

/** The space's `memstrate` entry under a vector name. */
export function spaceMetadata(named: NamedSpace): SpaceMetadata {
  return { name: named.name, dimensions: named.space.dimensions, embedder: named.space.embedderId };
}

/**
 * Creates the collection when missing — a `dense` Cosine vector of `dimensions` when they are known
 * already, the `bm25` sparse vector (no modifier), then metadata marking it memstrate's — then
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
          sparse_vectors: { [BM25]: {} },
        }),
      );
    } catch (error) {
      if (!(MemoryError.is(error) && error.code === 'CONFLICT')) throw error;
      created = false;
    }
    // Marked in a second call: the client (1.18) does not send `metadata` with createCollection.
    if (created) await call('mark collection', (c) => c.updateCollection(collection, { metadata: { memstrate_format: FORMAT, memstrate_keywords: KEYWORDS } }));
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
 * Re-indexes a collection written before per-agent keyword statistics: adds the `bm25` sparse
 * vector (no modifier), writes every point's BM25 weights and `kw_terms` (page by page), then marks
 * the collection. Idempotent: a process that stops half-way leaves it unmarked, and the next open
 * does it again.
 */
export async function indexKeywords(call: QdrantCall, collection: string, state: CollectionState): Promise<void> {
  if (!state.hasBm25) {
    try {
      await call('add bm25 vector', (c) => c.createVectorName(collection, BM25, { sparse: {} }, { wait: true }));
    } catch (error) {
      if (!(MemoryError.is(error) && error.code === 'CONFLICT')) throw error;
    }
  }
  let offset: Schemas['ExtendedPointId'] | undefined;
  for (;;) {
    const page = await call('scroll for keyword index', (c) =>
      c.scroll(collection, { limit: 500, with_payload: { include: ['content'] }, with_vector: false, ...(offset !== undefined ? { offset } : {}) }),
    );
    const operations: Schemas['UpdateOperation'][] = [];
    for (const p of page.points) {
      const { vector, terms } = documentKeywords(String((p.payload as { content?: unknown } | null | undefined)?.content ?? ''));
      if (vector) operations.push({ update_vectors: { points: [{ id: p.id, vector: { [BM25]: vector } }] } });
      operations.push({ set_payload: { payload: { kw_terms: terms }, points: [p.id] } });
    }
    if (operations.length > 0) await call('write keyword index', (c) => c.batchUpdate(collection, { operations, wait: true }));
    const next = page.next_page_offset;
    if (next === undefined || next === null || typeof next === 'object') break;
    offset = next;
  }
  await call('mark keyword index', (c) => c.updateCollection(collection, { metadata: { memstrate_keywords: KEYWORDS } }));
  state.hasBm25 = true;
  state.keywordsIndexed = true;
}

/**
 * Records the vector space in the collection's metadata (what else `memstrate` holds kept), then
 * adds its dense vector (the recorded active name, `dense` by default) when the collection has none
 * yet (Qdrant 1.18's named-vector creation, waited for). Another process adding it at the same time
 * is fine.
 */
export async function recordVectorSpace(call: QdrantCall, collection: string, space: VectorSpace, state: CollectionState): Promise<void> {
  const metadata: StoreMetadata = { ...state.meta, vector_dimensions: space.dimensions, vector_embedder: space.embedderId };
  await writeStoreMetadata(call, collection, 'record vector space', metadata);
  if (state.denseSize !== undefined) return;
  await createDense(call, collection, state.vectorName, space.dimensions);
}

/** Adds a dense Cosine vector name (waited for); the same one existing already is fine. */
export async function createDense(call: QdrantCall, collection: string, name: string, dimensions: number): Promise<void> {
  try {
    await call(`add vector ${name}`, (c) => c.createVectorName(collection, name, { dense: { size: dimensions, distance: 'Cosine' } }, { wait: true }));
  } catch (error) {
    if (!(MemoryError.is(error) && error.code === 'CONFLICT')) throw error;
  }
}

/** Deletes a dense vector name and every point's vector under it (waited for; an absent name is a no-op). */
export async function deleteDense(call: QdrantCall, collection: string, name: string): Promise<void> {
  await call(`delete vector ${name}`, (c) => c.deleteVectorName(collection, name, { wait: true }));
}
