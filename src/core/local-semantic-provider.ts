import type { SemanticCapabilities } from '../contracts/backend-plugin.js';
import type { Embedder } from '../contracts/embedder.js';
import type { BackendHealth } from '../contracts/health.js';
import type { SemanticBackend, VectorIndexes } from '../contracts/semantic-backend.js';
import type { ProviderArchive, ReembedSubject, SemanticProvider } from '../contracts/semantic-provider.js';
import type { Clock, Logger } from '../contracts/types.js';
import { Consolidator } from './consolidation.js';
import { SemanticService } from './semantic-service.js';

/** A semantic backend that stores and searches locally (SQL engines): core does the rest. */
export class LocalSemanticProvider implements SemanticProvider {
  readonly name: string;
  readonly consolidation: Consolidator;
  readonly capabilities: Partial<SemanticCapabilities> | undefined;
  readonly archive: ProviderArchive | undefined;
  readonly reembedding: ReembedSubject | undefined;
  readonly vectorIndexes: VectorIndexes | undefined;

  private constructor(
    readonly store: SemanticService,
    private readonly backend: SemanticBackend,
    decayRate: number,
    clock: Clock,
    maxDimensions: number | undefined,
  ) {
    this.name = backend.name;
    this.capabilities = backend.capabilities;
    this.consolidation = new Consolidator(backend, decayRate, clock, () => store.flushTouches());
    const { exportRows, importRows } = backend;
    this.archive =
      exportRows && importRows
        ? {
            exportRows: async (page) => {
              await store.flushTouches();
              return exportRows.call(backend, page);
            },
            importRows: (rows, options) => importRows.call(backend, rows, options),
            ...(backend.countRows ? { countRows: (agentIds: readonly string[] | undefined) => (backend.countRows as NonNullable<typeof backend.countRows>).call(backend, agentIds) } : {}),
            vectorSpace: async () => store.vectorSpace,
            adoptVectorSpace: (space) => store.adoptVectorSpace(space),
          }
        : undefined;
    this.vectorIndexes = backend.vectorIndexes;
    const slots = backend.spaces;
    this.reembedding = slots
      ? {
          slots,
          get embedder() {
            return store.currentEmbedder;
          },
          maxDimensions,
          fixVectorSpace: (space) => backend.fixVectorSpace(space),
          setPendingEmbedder: (embedder) => store.setPendingEmbedder(embedder),
          switched: (embedder, space) => store.vectorSpaceSwitched(embedder, space),
          flush: () => store.flushTouches(),
        }
      : undefined;
  }

  static async open(options: {
    backend: SemanticBackend;
    embedder: Embedder | undefined;
    dimensions: number | undefined;
    maxDimensions?: number;
    vectorSearch?: SemanticCapabilities['vectorSearch'];
    decayRate: number;
    clock: Clock;
    logger: Logger;
    readOnly?: boolean;
  }): Promise<LocalSemanticProvider> {
    const store = await SemanticService.open(options);
    return new LocalSemanticProvider(store, options.backend, options.decayRate, options.clock, options.maxDimensions);
  }

  get dimensions(): number | undefined {
    return this.store.vectorSpace?.dimensions;
  }

  health(): Promise<BackendHealth> {
    return this.backend.health();
  }

  async close(): Promise<void> {
    await this.store.close();
    await this.backend.close();
  }
}
