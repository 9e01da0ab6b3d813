import type { SemanticCapabilities } from './capabilities.js';
import type { ConsolidationStore } from './consolidation-store.js';
import type { BackendHealth } from './health.js';
import type { Owner } from './main-backend.js';
import type { DeletedMemory } from './semantic-backend.js';
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
