import { createHash } from 'node:crypto';
import { boundedKeywordText } from './keyword-query.js';
import { normaliseKeywordScore } from './keyword-score.js';
import type { Owner } from '../contracts/main-backend.js';
import type { BackendSemanticStore, MemoryUpdated } from '../contracts/semantic-provider.js';
import type { Embedder } from '../contracts/embedder.js';
import type { FilterNode } from '../contracts/memory-filter.js';
import type { DeletedMemory, FusedHit, InsertOutcome, MemoryReplacement, NewMemoryRow, ScoredId, SearchScope, SemanticBackend, VectorSearchTrace, VectorSpace } from '../contracts/semantic-backend.js';
import {
  MEMORY_SOURCES,
  type AgentMemoryCount,
  type AgentSelector,
  type CountQuery,
  type ListQuery,
  type MemoryFilter,
  type MemoryPage,
  type MemoryPatch,
  type MemoryRecord,
  type RecallMode,
  type RecallQuery,
  type RecalledMemory,
  type RememberInput,
  type RememberResult,
  type VectorInput,
} from '../contracts/semantic-store.js';
import type { Clock, Logger } from '../contracts/types.js';
import { ConfigError, NotFoundError } from '../errors.js';
import { parseMemoryFilter } from './filter-parse.js';
import { decodeCursor, encodeCursor } from './keyset-cursor.js';
import { newId } from './ids.js';
import { LIMITS } from './limits.js';
import { reciprocalRankFusion, RRF_K } from './rrf.js';
import { Validator } from './validate.js';
import { toUnitVector } from './vector.js';
import { assertSameSpace, CALLER_VECTOR_SPACE, checkDimensions } from './vector-space.js';

/** Candidates drawn from each signal before fusion, per result wanted (RRF weighs rank r by 1/(60+r)). */
const HYBRID_DEPTH_FACTOR = 2;
const HYBRID_MIN_DEPTH = 20;
const MAX_DEPTH = 4096;

const REMEMBER_KEYS = ['agentId', 'content', 'source', 'scope', 'metadata', 'embedding', 'confidence', 'key', 'dedupe', 'expiresAt', 'ttlMs'] as const satisfies readonly (keyof RememberInput)[];
/** A natural key: 1..256 characters. */
export const MEMORY_KEY_LENGTH = 256;
/** Longest ttlMs: 100 years (as for KV entries). */
export const MEMORY_MAX_TTL_MS = 100 * 365 * 86_400_000;
const PATCH_KEYS = ['content', 'source', 'scope', 'metadata', 'confidence', 'embedding', 'expiresAt', 'ttlMs'] as const satisfies readonly (keyof MemoryPatch)[];
/** How long recalls' access bumps wait to be written together (write-behind; close() and every read that reports counts flush them first). */
const TOUCH_DELAY_MS = 100;
/**
 * setImmediate as it was when this module loaded: fake timers a caller installs later (as test
 * runners do) must not stall a hybrid recall, which starts its keyword search on the next turn.
 */
const nextTurn: (callback: () => void) => unknown = globalThis.setImmediate;
const RECALL_KEYS = ['agentId', 'allAgents', 'text', 'embedding', 'limit', 'mode', 'filter', 'explain', 'minScore'] as const;
/** A `now` before every expiry instant: a scope at it sees expired memories too (erasure). */
const BEFORE_ANY_EXPIRY = Number.MIN_SAFE_INTEGER;

/** countByAgent's default and largest number of agents. */
export const AGENT_COUNTS_DEFAULT_LIMIT = 1000;
export const AGENT_COUNTS_MAX_LIMIT = 10_000;
const COUNT_KEYS = ['agentId', 'allAgents', 'filter'] as const;
const LIST_KEYS = ['agentId', 'allAgents', 'filter', 'orderBy', 'limit', 'cursor'] as const;
const LIST_DEFAULT_LIMIT = 50;
const LIST_ORDERS = ['createdAt', '-createdAt'] as const;

export interface SemanticServiceOptions {
  backend: SemanticBackend;
  embedder: Embedder | undefined;
  /** `embedding_dimensions` from the config, when set. */
  dimensions: number | undefined;
  /** The backend's declared `maxDimensions`: a longer vector space is refused before the backend sees it. */
  maxDimensions?: number;
  clock: Clock;
  logger: Logger;
  /** A forensic (read-only) open: the vector space is only read, never fixed, and recalls bump no access counts. */
  readOnly?: boolean;
  /** The backend's declared vector search: what `explain` reports when the backend does not say which path ran. */
  vectorSearch?: 'exact' | 'approximate' | 'none';
}

/**
 * The public SemanticStore, written once over any SemanticBackend: validation, embedding, the
 * fixed vector space, mode selection, Reciprocal Rank Fusion and the batched access bump.
 */
export class SemanticService implements BackendSemanticStore {
  private readonly backend: SemanticBackend;
  private readonly v: Validator;
  private space: VectorSpace | undefined;
  /** The configured embedder; after a re-embedding's switch in this process, the new one. */
  private embedder: Embedder | undefined;
  /** While a re-embedding runs in this process: its embedder, whose vectors new content also gets (pending space). */
  private pending: Embedder | undefined;
  private pendingTouches: string[] = [];
  private touchScheduled: NodeJS.Timeout | undefined;
  /** The access bump being written (bumps are written one at a time, in order). */
  private touching: Promise<void> = Promise.resolve();

  private constructor(private readonly o: SemanticServiceOptions) {
    this.backend = o.backend;
    this.v = new Validator(o.backend.name);
    this.embedder = o.embedder;
  }

  static async open(options: SemanticServiceOptions): Promise<SemanticService> {
    const service = new SemanticService(options);
    await service.init();
    return service;
  }

  private async init(): Promise<void> {
    const { embedder, dimensions } = this.o;
    const stored = await this.backend.vectorSpace();
    const wanted: VectorSpace | undefined = embedder
      ? { dimensions: embedder.dimensions, embedderId: embedder.id }
      : dimensions !== undefined
        ? { dimensions, embedderId: stored?.embedderId ?? CALLER_VECTOR_SPACE }
        : undefined;
    if (embedder && dimensions !== undefined && dimensions !== embedder.dimensions) {
      throw new ConfigError([`embedding_dimensions = ${dimensions} but the ${embedder.id} embedder returns ${embedder.dimensions}`], { backend: this.backend.name });
    }
    if (stored && wanted) {
      if (stored.dimensions !== wanted.dimensions || (embedder && stored.embedderId !== wanted.embedderId && stored.embedderId !== CALLER_VECTOR_SPACE)) {
        throw new ConfigError(
          [
            `the semantic store holds ${stored.dimensions}-dimensional vectors from "${stored.embedderId}", ` +
              `but the configuration gives ${wanted.dimensions}-dimensional vectors from "${wanted.embedderId}"; ` +
              `configure the original embedder, or re-embed the store with the new one: memstrate reembed (mem.reembed())`,
          ],
          { backend: this.backend.name },
        );
      }
      this.space = stored;
    } else if (wanted && !this.o.readOnly) {
      await this.fixSpace(wanted);
      this.space = wanted;
    } else {
      this.space = stored;
    }
  }

  get vectorSpace(): VectorSpace | undefined {
    return this.space;
  }

  /** The embedder recall and writes use now. */
  get currentEmbedder(): Embedder | undefined {
    return this.embedder;
  }

  /** Import: fixes `space` when none is, else requires a compatible one (ValidationError). */
  async adoptVectorSpace(space: VectorSpace): Promise<void> {
    if (this.space) {
      assertSameSpace(this.space, space, this.backend.name);
      return;
    }
    await this.fixSpace(space);
    this.space = space;
  }

  async remember(input: RememberInput): Promise<string> {
    return (await this.rememberWithResult(input)).id;
  }

  async rememberMany(inputs: readonly RememberInput[]): Promise<string[]> {
    return (await this.rememberManyWithResult(inputs)).map((r) => r.id);
  }

  async rememberWithResult(input: RememberInput): Promise<RememberResult> {
    const [result] = await this.rememberManyWithResult([input]);
    return result as RememberResult;
  }

  /**
   * Validates (and embeds) every input, then writes them in one backend call. Within a batch, a
   * `dedupe` input repeating an earlier input's (agentId, scope, content) gets that input's id
   * (nothing written for it); two inputs naming the same (agentId, key) are a ValidationError.
   */
  async rememberManyWithResult(inputs: readonly RememberInput[]): Promise<RememberResult[]> {
    if (!Array.isArray(inputs)) this.v.fail('inputs must be an array');
    if (inputs.length === 0) return [];
    if (inputs.length > LIMITS.maxBatch) this.v.fail(`at most ${LIMITS.maxBatch} memories per call`);
    const now = this.o.clock();
    const rows: NewMemoryRow[] = inputs.map((input, i) => this.validateInput(input, inputs.length > 1 ? `inputs[${i}].` : '', now));

    // Repeats inside the batch: the same key twice is refused; a dedupe input repeating an earlier one is answered by it.
    const keys = new Map<string, number>();
    const contents = new Map<string, number>();
    const alias: (number | undefined)[] = rows.map((row, i) => {
      if (row.key !== undefined) {
        const k = JSON.stringify([row.agentId, row.key]);
        const first = keys.get(k);
        if (first !== undefined) this.v.fail(`inputs[${i}].key repeats inputs[${first}].key for agent ${row.agentId}: one memory per key per batch`);
        keys.set(k, i);
      }
      const c = JSON.stringify([row.agentId, row.scope, row.content]);
      const earlier = contents.get(c);
      if (row.dedupe && earlier !== undefined) return earlier;
      if (!contents.has(c)) contents.set(c, i);
      return undefined;
    });

    // Vectors: caller-supplied ones are checked against the space; the rest are embedded in one batch.
    let dims = this.space?.dimensions;
    const supplied = inputs.map((input) => input.embedding);
    if (dims === undefined) {
      const first = supplied.find((e) => e !== undefined);
      if (first !== undefined) dims = first.length;
    }
    const missing: number[] = [];
    rows.forEach((row, i) => {
      const vector = supplied[i];
      if (vector !== undefined) row.embedding = toUnitVector(vector, dims, this.backend.name, rows.length > 1 ? `inputs[${i}].embedding` : 'embedding');
      else if (this.embedder && alias[i] === undefined) missing.push(i);
    });
    if (missing.length > 0 && this.embedder) {
      const vectors = await this.embed(missing.map((i) => (rows[i] as NewMemoryRow).content));
      missing.forEach((rowIndex, j) => {
        (rows[rowIndex] as NewMemoryRow).embedding = toUnitVector(vectors[j], dims, this.backend.name, 'embedder output');
      });
    }
    if (this.space === undefined && dims !== undefined && rows.some((r) => r.embedding)) {
      const space = { dimensions: dims, embedderId: this.embedder?.id ?? CALLER_VECTOR_SPACE };
      await this.fixSpace(space);
      this.space = space;
    }
    const written = rows.filter((_, i) => alias[i] === undefined);
    const outcomes = await this.backend.insert(written, now);
    if (outcomes.length !== written.length) throw new ConfigError([`semantic backend ${this.backend.name} answered ${outcomes.length} outcomes for ${written.length} rows`]);
    // Only while a re-embedding runs in this process: nothing is built on the plain remember path.
    if (this.pending) await this.writePending(written.flatMap((r, i) => (outcomes[i]?.outcome === 'existing' ? [] : [{ id: (outcomes[i] as InsertOutcome).id, content: r.content }])));
    const byRow = new Map<number, RememberResult>();
    let next = 0;
    rows.forEach((_, i) => {
      if (alias[i] !== undefined) return;
      const o = outcomes[next++] as (typeof outcomes)[number];
      byRow.set(i, { id: o.id, created: o.outcome === 'created', updated: o.outcome === 'updated' });
    });
    return rows.map((_, i) => {
      const a = alias[i];
      return a === undefined ? (byRow.get(i) as RememberResult) : { id: (byRow.get(a) as RememberResult).id, created: false, updated: false };
    });
  }

  private validateInput(input: RememberInput, prefix: string, now: number): NewMemoryRow {
    if (typeof input !== 'object' || input === null) this.v.fail(`${prefix || 'input'} must be an object`);
    this.v.knownKeys(prefix, input, REMEMBER_KEYS);
    const agentId = this.v.id(`${prefix}agentId`, input.agentId);
    const content = this.v.text(`${prefix}content`, input.content, LIMITS.contentBytes);
    const source = input.source === undefined ? 'observation' : this.v.oneOf(`${prefix}source`, input.source, MEMORY_SOURCES);
    const scope = input.scope === undefined ? 'episodic' : this.v.text(`${prefix}scope`, input.scope, LIMITS.scopeLength);
    const { object: metadata } = this.v.jsonObject(`${prefix}metadata`, input.metadata, LIMITS.metadataBytes);
    const confidence = input.confidence === undefined ? 1 : this.v.number(`${prefix}confidence`, input.confidence, 0, 1);
    let key: string | undefined;
    if (input.key !== undefined) {
      if (typeof input.key !== 'string' || input.key.length === 0 || input.key.length > MEMORY_KEY_LENGTH) {
        this.v.fail(`${prefix}key must be a string of 1..${MEMORY_KEY_LENGTH} characters`);
      }
      this.v.storable(`${prefix}key`, input.key);
      key = input.key;
    }
    const dedupe = input.dedupe === undefined ? false : this.v.oneOf(`${prefix}dedupe`, input.dedupe, ['content'] as const) === 'content';
    if (dedupe && key !== undefined) this.v.fail(`${prefix}dedupe: give either key (replace by key) or dedupe, not both`);
    if (input.expiresAt !== undefined && input.ttlMs !== undefined) this.v.fail(`${prefix}expiresAt, ${prefix}ttlMs: give either, not both`);
    let expiresAt: number | undefined;
    if (input.ttlMs !== undefined) expiresAt = now + this.v.int(`${prefix}ttlMs`, input.ttlMs, 1, MEMORY_MAX_TTL_MS);
    else if (input.expiresAt !== undefined) {
      expiresAt = this.v.timestamp(`${prefix}expiresAt`, input.expiresAt);
      if (expiresAt <= now) this.v.fail(`${prefix}expiresAt must be in the future (now is ${now})`);
    }
    return { id: newId(), agentId, content, source, scope, metadata, confidence, createdAt: now, embedding: undefined, key, expiresAt, dedupe };
  }

  /** Deletes every memory whose expiry has passed at the substrate clock's now; returns how many. */
  async purgeExpired(): Promise<number> {
    await this.flushTouches();
    return this.backend.purgeExpired(this.o.clock());
  }

  private async embed(texts: string[]): Promise<Float32Array[]> {
    const embedder = this.embedder as Embedder;
    const vectors = await embedder.embed(texts);
    if (vectors.length !== texts.length) {
      throw new ConfigError([`embedder ${embedder.id} returned ${vectors.length} vectors for ${texts.length} texts`]);
    }
    return vectors;
  }

  async recall(query: RecallQuery): Promise<RecalledMemory[]> {
    const agentId = this.agentOf(query, RECALL_KEYS, 'recall');
    const limit = query.limit === undefined ? 10 : this.v.int('limit', query.limit, 1, LIMITS.maxRecallLimit);
    const text = query.text === undefined ? undefined : this.v.text('text', query.text, LIMITS.textLength);
    const filter = this.validateFilter(query.filter);

    let vector: Float32Array | undefined;
    if (query.embedding !== undefined) vector = this.queryVector(query.embedding);
    const canEmbed = text !== undefined && this.embedder !== undefined;
    const hasVector = vector !== undefined || canEmbed;
    const mode: RecallMode =
      query.mode === undefined
        ? hasVector && text !== undefined
          ? 'hybrid'
          : hasVector
            ? 'vector'
            : 'keyword'
        : this.v.oneOf('mode', query.mode, ['hybrid', 'vector', 'keyword'] as const);
    if ((mode === 'vector' || mode === 'hybrid') && !hasVector) {
      this.v.fail(`${mode} recall needs an embedding, or text and a configured embedder`);
    }
    if ((mode === 'keyword' || mode === 'hybrid') && text === undefined) this.v.fail(`${mode} recall needs text`);
    if (mode !== 'keyword' && vector === undefined) {
      const [embedded] = await this.embed([text as string]);
      vector = this.queryVector(embedded as Float32Array);
    }

    const depth = mode === 'hybrid' ? Math.min(MAX_DEPTH, Math.max(limit * HYBRID_DEPTH_FACTOR, HYBRID_MIN_DEPTH)) : limit;
    const now = this.o.clock();
    const trace: VectorSearchTrace | undefined = query.explain && mode !== 'keyword' ? {} : undefined;
    const scope: SearchScope = { agentId, filter, k: depth, now, ...(trace ? { trace } : {}) };
    const keywordText = text === undefined ? undefined : boundedKeywordText(text);
    const minScore = query.minScore === undefined ? undefined : this.v.number('minScore', query.minScore, -Number.MAX_VALUE, Number.MAX_VALUE);
    const found = await this.search(mode, scope, vector, keywordText, limit);
    const fused = minScore === undefined ? found : found.filter((h) => h.score >= minScore);
    if (fused.length === 0) return [];
    const records = await this.backend.fetch(fused.map((h) => h.id));
    const byId = new Map(records.filter((r) => live(r, now)).map((r) => [r.id, r]));
    const results: RecalledMemory[] = [];
    for (const hit of fused) {
      const memory = byId.get(hit.id);
      if (!memory) continue;
      const matchedBy: RecallMode =
        hit.vectorRank !== undefined && hit.keywordRank !== undefined ? 'hybrid' : hit.vectorRank !== undefined ? 'vector' : 'keyword';
      const result: RecalledMemory = { memory, score: hit.score, matchedBy };
      if (query.explain) {
        result.explanation = {
          ...(hit.vectorRank !== undefined ? { vectorRank: hit.vectorRank, vectorSimilarity: hit.vectorScore as number } : {}),
          ...(hit.keywordRank !== undefined ? { keywordRank: hit.keywordRank, keywordScore: hit.keywordScore as number } : {}),
          ...(mode === 'hybrid' ? { rrfK: RRF_K } : {}),
          ...(trace ? { vectorSearch: trace.vectorSearch ?? (this.o.vectorSearch === 'approximate' ? 'approximate' : 'exact') } : {}),
        };
      }
      results.push(result);
    }
    this.scheduleTouch(results.map((r) => r.memory.id));
    return results;
  }

  /** Ranked hits for the mode; hybrid is fused by the backend when it can, else here. */
  private async search(mode: RecallMode, scope: SearchScope, vector: Float32Array | undefined, text: string | undefined, limit: number): Promise<FusedHit[]> {
    const hasSpace = this.space !== undefined;
    if (mode === 'hybrid' && hasSpace && this.backend.hybridSearch) {
      const hits = (await this.backend.hybridSearch(scope, vector as Float32Array, text as string, RRF_K)).slice(0, limit);
      return hits.map((h) => (h.keywordScore === undefined ? h : { ...h, keywordScore: normaliseKeywordScore(h.keywordScore) }));
    }
    // Both searches at once (hybrid): the engine may run them side by side (SQLite's read workers, a pool).
    // The vector search, usually the longer, goes out first: the keyword search starts once the
    // vector search's synchronous part and its chain of settled promises have run (setImmediate),
    // so it neither delays the vector search's first statement nor takes the worker it would get.
    const vectorSearch = mode === 'keyword' || !hasSpace ? [] : this.backend.vectorSearch(scope, vector as Float32Array);
    const keywordSearch = () => this.backend.keywordSearch(scope, text as string);
    const [vectorHits, rawKeywordHits] = await Promise.all([
      vectorSearch,
      mode === 'vector' ? [] : mode === 'hybrid' && hasSpace ? new Promise<void>((resolve) => nextTurn(resolve)).then(keywordSearch) : keywordSearch(),
    ]);
    // Backends report raw BM25 (see core/keyword-score.ts); the score callers see is normalised here, once.
    const keywordHits: ScoredId[] = rawKeywordHits.map((h) => ({ id: h.id, score: normaliseKeywordScore(h.score) }));
    if (mode === 'hybrid') return reciprocalRankFusion(vectorHits, keywordHits).slice(0, limit);
    return (mode === 'vector' ? vectorHits : keywordHits)
      .slice(0, limit)
      .map((h, i) =>
        mode === 'vector'
          ? { id: h.id, score: h.score, vectorRank: i + 1, vectorScore: h.score }
          : { id: h.id, score: h.score, keywordRank: i + 1, keywordScore: h.score },
      );
  }

  private queryVector(input: VectorInput | Float32Array): Float32Array {
    return toUnitVector(input, this.space?.dimensions, this.backend.name);
  }

  /** Checks the query object's keys and its agent selector; undefined = every agent. */
  private agentOf(query: AgentSelector, keys: readonly string[], what: string): string | undefined {
    if (typeof query !== 'object' || query === null) this.v.fail('query must be an object');
    this.v.knownKeys('', query, keys);
    if (query.allAgents === true) {
      if (query.agentId !== undefined) this.v.fail('give either agentId or allAgents: true, not both');
      return undefined;
    }
    if (query.allAgents !== undefined && query.allAgents !== false) this.v.fail('allAgents must be true or false');
    if (query.agentId === undefined) this.v.fail(`${what} must name an agentId (or say allAgents: true)`);
    return this.v.id('agentId', query.agentId);
  }

  /** How many memories (not merged into another) of the agent, or of every agent, match the filter. */
  async count(query: CountQuery): Promise<number> {
    const agentId = this.agentOf(query, COUNT_KEYS, 'count');
    const filter = this.validateFilter(query.filter);
    await this.flushTouches();
    return this.backend.count({ agentId, filter, now: this.o.clock() });
  }

  /** The agents that have memories, with how many each (most first, then by agentId). */
  async countByAgent(options: { limit?: number } = {}): Promise<AgentMemoryCount[]> {
    if (typeof options !== 'object' || options === null) this.v.fail('options must be an object');
    this.v.knownKeys('options.', options, ['limit']);
    const limit = options.limit === undefined ? AGENT_COUNTS_DEFAULT_LIMIT : this.v.int('limit', options.limit, 1, AGENT_COUNTS_MAX_LIMIT);
    await this.flushTouches();
    return this.backend.countByAgent(limit, this.o.clock());
  }

  /** One page of the memories matching the filter, in createdAt order (ties by id), keyset-paged. */
  async list(query: ListQuery): Promise<MemoryPage> {
    const agentId = this.agentOf(query, LIST_KEYS, 'list');
    const filter = this.validateFilter(query.filter);
    const orderBy = query.orderBy === undefined ? '-createdAt' : this.v.oneOf('orderBy', query.orderBy, LIST_ORDERS);
    const limit = query.limit === undefined ? LIST_DEFAULT_LIMIT : this.v.int('limit', query.limit, 1, LIMITS.maxRecallLimit);
    const fingerprint = queryFingerprint(agentId, filter, orderBy);
    const after = query.cursor === undefined ? undefined : decodeCursor(this.v, query.cursor, fingerprint, 'this listing (its agent, filter and order)');
    await this.flushTouches();
    const rows = await this.backend.list({ agentId, filter, now: this.o.clock(), order: orderBy === 'createdAt' ? 'asc' : 'desc', after, limit: limit + 1 });
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return rows.length > limit && last ? { items, nextCursor: encodeCursor(fingerprint, { createdAt: last.createdAt, id: last.id }) } : { items };
  }

  private validateFilter(filter: MemoryFilter | undefined): FilterNode {
    return parseMemoryFilter(this.v, filter);
  }

  /** Access counts are bumped in one batched write after the read, never inside it. */
  private scheduleTouch(ids: string[]): void {
    if (ids.length === 0 || this.o.readOnly) return;
    this.pendingTouches.push(...ids);
    if (this.touchScheduled) return;
    // A short delay batches the bumps of many recalls into one write, off the answers' path.
    this.touchScheduled = setTimeout(() => void this.flushTouches(), TOUCH_DELAY_MS);
    this.touchScheduled.unref();
  }

  /** Writes pending access bumps now (after any bump still in flight, which close() also waits for). */
  async flushTouches(): Promise<void> {
    const ids = this.pendingTouches;
    this.pendingTouches = [];
    clearTimeout(this.touchScheduled);
    this.touchScheduled = undefined;
    if (ids.length === 0) return this.touching;
    const at = this.o.clock();
    this.touching = this.touching.then(async () => {
      try {
        await this.backend.touch(ids, at);
      } catch (error) {
        this.o.logger.warn({ err: error, backend: this.backend.name }, 'access-count bump failed');
      }
    });
    return this.touching;
  }

  /**
   * Re-embedding (core/reembed.ts): while `embedder` is set, memories this process writes get their
   * vector in the pending space too (others are found by the run's catch-up).
   */
  setPendingEmbedder(embedder: Embedder | undefined): void {
    this.pending = embedder;
  }

  /** Re-embedding switched (or reset) the store to `space`: recall and writes embed with `embedder` from now on. */
  vectorSpaceSwitched(embedder: Embedder | undefined, space: VectorSpace | undefined): void {
    this.embedder = embedder;
    this.space = space;
  }

  /** New content's vectors in the pending space; a failure is left to the re-embedding's catch-up (logged). */
  private async writePending(memories: { id: string; content: string }[]): Promise<void> {
    const embedder = this.pending;
    const slots = this.backend.spaces;
    if (!embedder || !slots || memories.length === 0) return;
    try {
      const vectors = await embedder.embed(memories.map((m) => m.content));
      await slots.write(memories.map((m, i) => ({ ...m, vector: toUnitVector(vectors[i], embedder.dimensions, this.backend.name, 'embedder output') })));
    } catch (error) {
      this.o.logger.warn({ err: error, backend: this.backend.name }, 'pending-space vectors not written; the re-embedding will catch up');
    }
  }

  /** Fixes the vector space on the backend, within its declared maximum dimension (VALIDATION beyond). */
  private async fixSpace(space: VectorSpace): Promise<void> {
    checkDimensions(space.dimensions, this.backend.name, this.o.maxDimensions);
    await this.backend.fixVectorSpace(space);
  }

  async deleteWhere(query: CountQuery): Promise<number> {
    return (await this.deleteWhereFor(query)).length;
  }

  /** Removes what count(query) counts (and what merged into it); returns the removed memories. */
  async deleteWhereFor(query: CountQuery): Promise<DeletedMemory[]> {
    const agentId = this.agentOf(query, COUNT_KEYS, 'deleteWhere');
    const filter = this.validateFilter(query.filter);
    await this.flushTouches();
    return this.backend.deleteWhere({ agentId, filter, now: this.o.clock() });
  }

  async eraseWhere(query: CountQuery): Promise<DeletedMemory[]> {
    const agentId = this.agentOf(query, COUNT_KEYS, 'erase');
    const filter = this.validateFilter(query.filter);
    await this.flushTouches();
    return this.backend.deleteWhere({ agentId, filter, now: BEFORE_ANY_EXPIRY }, { secure: true });
  }

  async forget(id: string): Promise<boolean> {
    return (await this.forgetFor(id)) !== undefined;
  }

  async forgetFor(id: string): Promise<Owner | undefined> {
    this.v.id('id', id);
    await this.flushTouches();
    return this.backend.delete(id);
  }

  async update(id: string, patch: MemoryPatch): Promise<MemoryRecord> {
    return (await this.updateFor(id, patch)).record;
  }

  /**
   * Validates the patch as remember validates each field, embeds a new content (unless the patch
   * gives an embedding; without an embedder the vector is dropped), then replaces the given fields
   * in one backend call. NotFoundError when no live, unmerged memory has the id.
   */
  async updateFor(id: string, patch: MemoryPatch): Promise<MemoryUpdated> {
    this.v.id('id', id);
    const now = this.o.clock();
    const fields = this.validatePatch(patch, now);
    const notFound = (): never => {
      throw new NotFoundError(`no memory ${id}`, { backend: this.backend.name });
    };
    if (patch.embedding !== undefined) {
      fields.embedding = toUnitVector(patch.embedding, this.space?.dimensions, this.backend.name, 'embedding');
    } else if (fields.content !== undefined) {
      fields.embedding = this.embedder ? toUnitVector((await this.embed([fields.content]))[0], this.space?.dimensions, this.backend.name, 'embedder output') : null;
    }
    if (fields.embedding && this.space === undefined) {
      const current = await this.backend.get(id);
      if (!current || !live(current, now) || current.supersededBy !== undefined) notFound();
      const space = { dimensions: fields.embedding.length, embedderId: this.embedder?.id ?? CALLER_VECTOR_SPACE };
      await this.fixSpace(space);
      this.space = space;
    }
    await this.flushTouches();
    const record = await this.backend.replace(id, fields, now);
    if (!record) return notFound();
    if (this.pending && fields.content !== undefined) await this.writePending([{ id: record.id, content: record.content }]);
    return { agentId: record.agentId, record };
  }

  /** The patch's fields, checked as remember checks them (the vector is left to updateFor). */
  private validatePatch(patch: MemoryPatch, now: number): MemoryReplacement {
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) this.v.fail('patch must be an object');
    this.v.knownKeys('', patch, PATCH_KEYS);
    if (PATCH_KEYS.every((k) => patch[k] === undefined)) this.v.fail(`an update needs at least one of ${PATCH_KEYS.join(', ')}`);
    const fields: MemoryReplacement = {};
    if (patch.content !== undefined) fields.content = this.v.text('content', patch.content, LIMITS.contentBytes);
    if (patch.source !== undefined) fields.source = this.v.oneOf('source', patch.source, MEMORY_SOURCES);
    if (patch.scope !== undefined) fields.scope = this.v.text('scope', patch.scope, LIMITS.scopeLength);
    if (patch.metadata !== undefined) fields.metadata = this.v.jsonObject('metadata', patch.metadata, LIMITS.metadataBytes).object;
    if (patch.confidence !== undefined) fields.confidence = this.v.number('confidence', patch.confidence, 0, 1);
    if (patch.expiresAt !== undefined && patch.ttlMs !== undefined) this.v.fail('expiresAt, ttlMs: give either, not both');
    if (patch.ttlMs !== undefined) fields.expiresAt = now + this.v.int('ttlMs', patch.ttlMs, 1, MEMORY_MAX_TTL_MS);
    else if (patch.expiresAt === null) fields.expiresAt = null;
    else if (patch.expiresAt !== undefined) {
      const expiresAt = this.v.timestamp('expiresAt', patch.expiresAt);
      if (expiresAt <= now) this.v.fail(`expiresAt must be in the future (now is ${now})`);
      fields.expiresAt = expiresAt;
    }
    return fields;
  }

  async updateEmbedding(id: string, vector: VectorInput): Promise<void> {
    await this.updateEmbeddingFor(id, vector);
  }

  async updateEmbeddingFor(id: string, vector: VectorInput): Promise<Owner> {
    this.v.id('id', id);
    const unit = toUnitVector(vector, this.space?.dimensions, this.backend.name);
    if (this.space === undefined) {
      const space = { dimensions: unit.length, embedderId: this.embedder?.id ?? CALLER_VECTOR_SPACE };
      if (!(await this.backend.get(id))) throw new NotFoundError(`no memory ${id}`, { backend: this.backend.name });
      await this.fixSpace(space);
      this.space = space;
    }
    const owner = await this.backend.setEmbedding(id, unit);
    if (!owner) throw new NotFoundError(`no memory ${id}`, { backend: this.backend.name });
    return owner;
  }

  async get(id: string): Promise<MemoryRecord | undefined> {
    this.v.id('id', id);
    await this.flushTouches();
    const record = await this.backend.get(id);
    return record && live(record, this.o.clock()) ? record : undefined;
  }

  /** The records of `ids` that exist, in the order asked (each once); VALIDATION beyond 1,000 ids. */
  async getMany(ids: readonly string[]): Promise<MemoryRecord[]> {
    if (!Array.isArray(ids)) this.v.fail('ids must be an array');
    if (ids.length > LIMITS.maxRecallLimit) this.v.fail(`at most ${LIMITS.maxRecallLimit} ids per call`);
    const wanted = [...new Set(ids.map((id, i) => this.v.id(`ids[${i}]`, id)))];
    if (wanted.length === 0) return [];
    await this.flushTouches();
    const now = this.o.clock();
    const byId = new Map((await this.backend.fetch(wanted)).filter((r) => live(r, now)).map((r) => [r.id, r]));
    return wanted.flatMap((id) => (byId.has(id) ? [byId.get(id) as MemoryRecord] : []));
  }

  async close(): Promise<void> {
    await this.flushTouches();
  }
}

/** Not expired at `now` (a memory is invisible from its expiresAt on). */
function live(record: MemoryRecord, now: number): boolean {
  return record.expiresAt === undefined || record.expiresAt > now;
}


/** Which listing a cursor continues: a short hash of the agent, the normalised filter and the order. */
function queryFingerprint(agentId: string | undefined, filter: FilterNode, orderBy: string): string {
  return createHash('sha256').update(JSON.stringify([agentId ?? null, filter, orderBy])).digest('base64url').slice(0, 16);
}
