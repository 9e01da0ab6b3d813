import type { SemanticArchive } from './archive.js';
import type { SemanticCapabilities } from './capabilities.js';
import type { ConsolidationStore } from './consolidation-store.js';
import type { BackendHealth } from './health.js';
import type { Owner } from './main-backend.js';
import type { Embedder } from './embedder.js';
import type { DeletedMemory, VectorIndexes, VectorSpace, VectorSpaceSlots } from './semantic-backend.js';
import type { CountQuery, MemoryPatch, MemoryRecord, SemanticStore, VectorInput } from './semantic-store.js';

/**
 * What the substrate needs from the configured semantic backend: the store, consolidation over it,
 * health and lifecycle. Local engines get theirs from core (SemanticService + Consolidator over a
 * SemanticBackend); the `http` backend forwards both to a remote gateway.
 */
export interface SemanticProvider {
  readonly name: string;
  /** Where this opened instance differs from its definition's declared capabilities. */
  readonly capabilities?: Partial<SemanticCapabilities>;
  readonly store: BackendSemanticStore;
  readonly consolidation: ConsolidationStore;
  /** Dimension of the fixed vector space, if known. */
  readonly dimensions: number | undefined;
  /** Optional: export / import of memories as stored (without it, `export` / `import` fail with NOT_SUPPORTED). */
  readonly archive?: ProviderArchive;
  /** Optional: re-embedding into a new vector space (without it, `reembed` fails with NOT_SUPPORTED). */
  readonly reembedding?: ReembedSubject;
  /** Optional: approximate vector indexes (without it, the index methods fail with NOT_SUPPORTED). */
  readonly vectorIndexes?: VectorIndexes;
  health(): Promise<BackendHealth>;
  /** Flushes pending work (e.g. access bumps) and releases what the provider owns. */
  close(): Promise<void>;
}

/** The semantic store as a provider offers it: id-addressed changes report the memory's agent. */
export interface BackendSemanticStore extends SemanticStore {
  /** `deleteWhere`, returning the removed memories (ids and agents, for the audit entry). */
  deleteWhereFor(query: CountQuery): Promise<DeletedMemory[]>;
  /**
   * Erasure of memories: like `deleteWhereFor`, but expired memories are removed too and what is
   * deleted is overwritten where the engine can. Returns the removed memories.
   */
  eraseWhere(query: CountQuery): Promise<DeletedMemory[]>;
  /** `forget`, returning the owner of the removed memory (undefined when there was none). */
  forgetFor(id: string): Promise<Owner | undefined>;
  /** `update`, returning the memory's agent with the updated record. NotFoundError as `update`. */
  updateFor(id: string, patch: MemoryPatch): Promise<MemoryUpdated>;
  /** `updateEmbedding`, returning the memory's agent. NotFoundError when no such memory exists. */
  updateEmbeddingFor(id: string, vector: VectorInput): Promise<Owner>;
}

/** What `updateFor` answers: whose memory it is, and the record as it now stands. */
export interface MemoryUpdated extends Owner {
  record: MemoryRecord;
}

/** A provider's archive reads and writes, with the vector space an import must share. */
export interface ProviderArchive extends SemanticArchive {
  /** The store's fixed vector space, if any (pending access bumps are written first). */
  vectorSpace(): Promise<VectorSpace | undefined>;
  /**
   * Makes `space` the store's vector space: fixes it when none is, accepts a compatible one
   * (assertSameSpace) and fails with VALIDATION on another.
   */
  adoptVectorSpace(space: VectorSpace): Promise<void>;
}

/** What a re-embedding (core/reembed.ts) works on: the backend's vector spaces and the open store's embedder. */
export interface ReembedSubject {
  readonly slots: VectorSpaceSlots;
  /** The embedder the store embeds with now (undefined: none, or a maintenance open without it). */
  readonly embedder: Embedder | undefined;
  /** The backend's largest vector dimension. */
  readonly maxDimensions: number | undefined;
  /** Fixes `space` on a store that has none (after a reset). */
  fixVectorSpace(space: VectorSpace): Promise<void>;
  /** While set, memories this process writes get a vector in the pending space too. */
  setPendingEmbedder(embedder: Embedder | undefined): void;
  /** The store now searches `space`, embedding with `embedder`. */
  switched(embedder: Embedder | undefined, space: VectorSpace | undefined): void;
  /** Writes pending access bumps first. */
  flush(): Promise<void>;
}
