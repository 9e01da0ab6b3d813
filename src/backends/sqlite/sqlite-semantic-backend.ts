import type { BackendHealth } from '../../contracts/health.js';
import type { MemoryRecord } from '../../contracts/semantic-store.js';
import type { DecayPolicy, NewMemoryRow, ScoredId, SearchScope, SemanticBackend, VectorSpace } from '../../contracts/semantic-backend.js';
import type { Clock, Logger } from '../../contracts/types.js';
import { NotSupportedError } from '../../errors.js';
import type { SqliteEngine } from './sqlite-engine.js';

/** STUB — being implemented. */
export class SqliteSemanticBackend implements SemanticBackend {
  readonly name = 'sqlite';
  private constructor(private readonly engine: SqliteEngine, private readonly clock: Clock, private readonly logger: Logger) {}

  static async open(engine: SqliteEngine, options: { clock: Clock; logger: Logger }): Promise<SqliteSemanticBackend> {
    return new SqliteSemanticBackend(engine, options.clock, options.logger);
  }

  private todo(): never {
    throw new NotSupportedError('not implemented yet', { backend: 'sqlite' });
  }
  async vectorSpace(): Promise<VectorSpace | undefined> { return undefined; }
  async fixVectorSpace(_space: VectorSpace): Promise<void> { this.todo(); }
  async insert(_rows: readonly NewMemoryRow[]): Promise<void> { this.todo(); }
  async vectorSearch(_scope: SearchScope, _vector: Float32Array): Promise<ScoredId[]> { this.todo(); }
  async keywordSearch(_scope: SearchScope, _text: string): Promise<ScoredId[]> { this.todo(); }
  async fetch(_ids: readonly string[]): Promise<MemoryRecord[]> { this.todo(); }
  async get(_id: string): Promise<MemoryRecord | undefined> { this.todo(); }
  async delete(_id: string): Promise<boolean> { this.todo(); }
  async setEmbedding(_id: string, _vector: Float32Array): Promise<boolean> { this.todo(); }
  async touch(_ids: readonly string[], _at: number): Promise<void> { this.todo(); }
  async decay(_policy: DecayPolicy): Promise<number> { this.todo(); }
  async mergeExactDuplicates(_options: { dryRun: boolean }): Promise<number> { this.todo(); }
  async health(): Promise<BackendHealth> { return { name: 'semantic:sqlite', ok: true, latencyMs: 0 }; }
  async close(): Promise<void> { void this.engine; void this.clock; void this.logger; }
}
