import { QdrantClient, type Schemas } from '@qdrant/js-client-rest';
import type { ArchivePage, ArchiveRowOutcome, ArchiveWriteOptions } from '../../contracts/archive.js';
import type { BackendHealth } from '../../contracts/health.js';
import type { Owner } from '../../contracts/main-backend.js';
import type { DecayPolicy, DeletedMemory, FilterScope, FusedHit, InsertOutcome, ListScope, MemoryReplacement, NewMemoryRow, ScoredId, SearchScope, SemanticBackend, VectorSpace } from '../../contracts/semantic-backend.js';
import type { AgentMemoryCount, MemoryRecord } from '../../contracts/semantic-store.js';
import type { Logger } from '../../contracts/types.js';
import { LIMITS } from '../../core/limits.js';
import { assertSameSpace, checkDimensions } from '../../core/vector-space.js';
import { ConfigError, MemoryError, NotFoundError, ValidationError } from '../../errors.js';
import { describeCollection, ensureCollection, indexKeywords, qdrantCaller, recordVectorSpace, type CollectionState, type QdrantCall } from './qdrant-collection.js';
import { QDRANT_BACKEND, type QdrantWhere } from './qdrant-errors.js';
import { queryVector, type SparseVector } from './qdrant-keywords.js';
import { queryTerms } from '../../core/keyword-score.js';
import { decayPoints, deleteMatching, mergeDuplicatePoints } from './qdrant-maintenance.js';
import { BM25, isPointId, liveAt, pointFor, RECORD_PAYLOAD, recordFromPoint, scopeFilter, type MemoryPayload } from './qdrant-points.js';
import { QdrantVectorSlots } from './qdrant-vector-slots.js';
import { replacedRow } from '../../core/memory-replacement.js';
import { reciprocalRankFusion } from '../../core/rrf.js';

/** Points per upsert / retrieve request (Qdrant's default request limit is 32 MB). */
const CHUNK = 1000;
/** HNSW beam width for dense queries: at least this, and at least k. */
const MIN_HNSW_EF = 128;

export interface QdrantSettings {
  client: QdrantClient;
  collection: string;
  where: QdrantWhere;
  logger: Logger;
}

/**
 * Semantic memory in a Qdrant collection. Each memory is one point (id = the memory's UUID) holding
 * the whole record in its payload, a dense Cosine vector (when it has one; named `dense`, or `dense_N`
 * after a re-embedding — the active name is recorded in the collection metadata, see
 * qdrant-vector-slots.ts) and a `bm25` sparse vector of its BM25 term weights (IDF per agent, sent
 * with the query). Every write waits for the server to apply it. Vector, keyword and hybrid recall are Query API calls with every filter inside each
 * search; hybrid runs both in one batched call and fuses them with core's RRF.
 */
export class QdrantSemanticBackend implements SemanticBackend {
  readonly name = 'qdrant';
  private readonly call: QdrantCall;
  private readonly collection: string;
  /** The collection's layout as last read (another process may fix the vector space); its `vectorName` is the active dense vector. */
  private state: CollectionState;
  /** Re-embedding (SemanticBackend.spaces): a pending dense vector name beside the active one. */
  readonly spaces: QdrantVectorSlots;

  private constructor(
    private readonly s: QdrantSettings,
    state: CollectionState,
  ) {
    this.call = qdrantCaller(s.client, s.where);
    this.collection = s.collection;
    this.state = state;
    this.spaces = new QdrantVectorSlots({ name: QDRANT_BACKEND, call: this.call, collection: this.collection, refresh: () => this.refresh() });
  }

  /** The active dense vector's name (`dense`, or `dense_N` after re-embeddings), refreshed with the state at a switch or reset. */
  private get dense(): string {
    return this.state.vectorName;
  }

  /** Ensures the collection (and its payload indexes) exist; `dimensions` when already known. */
  static async open(settings: QdrantSettings, dimensions: number | undefined, readOnly = false): Promise<QdrantSemanticBackend> {
    const call = qdrantCaller(settings.client, settings.where);
    const state = readOnly ? await describeCollection(call, settings.collection) : await ensureCollection(call, settings.collection, dimensions);
    if (!state) throw new NotFoundError(`no collection "${settings.collection}" (a read-only open creates nothing)`, { backend: QDRANT_BACKEND });
    if (dimensions !== undefined && state.denseSize !== undefined && state.denseSize !== dimensions) {
      throw new ConfigError(
        [`qdrant.collection "${settings.collection}" holds ${state.denseSize}-dimensional vectors but the configuration gives ${dimensions}; use another collection, the original embedder, or re-embed the store: memstrate reembed`],
        { backend: QDRANT_BACKEND },
      );
    }
    if (!readOnly && !state.keywordsIndexed) await indexKeywords(call, settings.collection, state);
    return new QdrantSemanticBackend(settings, state);
  }

  private async refresh(): Promise<CollectionState> {
    const state = await describeCollection(this.call, this.collection);
    if (!state) throw new ConfigError([`qdrant.collection "${this.collection}" was deleted while the store was open`], { backend: QDRANT_BACKEND });
    this.state = state;
    return state;
  }

  /** The space recorded in the collection's metadata (re-read until one is known). */
  async vectorSpace(): Promise<VectorSpace | undefined> {
    if (this.state.space) return this.state.space;
    return (await this.refresh()).space;
  }

  /** Records the space and adds its dense vector if missing; ValidationError when another space is recorded. */
  async fixVectorSpace(space: VectorSpace): Promise<void> {
    checkDimensions(space.dimensions, QDRANT_BACKEND, LIMITS.maxDimensions);
    const current = await this.refresh();
    if (current.space) {
      assertSameSpace(current.space, space, QDRANT_BACKEND);
      if (current.denseSize !== undefined) return;
    }
    if (current.denseSize !== undefined && current.denseSize !== space.dimensions) {
      throw new ValidationError(`the collection's "${current.vectorName}" vector has ${current.denseSize} dimensions, not ${space.dimensions}`, { backend: QDRANT_BACKEND });
    }
    await recordVectorSpace(this.call, this.collection, current.space ?? space, current);
    const after = await this.refresh();
    if (after.space) assertSameSpace(after.space, space, QDRANT_BACKEND);
  }

  private async hasDense(): Promise<boolean> {
    if (this.state.denseSize !== undefined) return true;
    return (await this.refresh()).denseSize !== undefined;
  }

  /**
   * Upserts the memories, waited for, in requests of 1,000. When a later request fails, the points
   * already created by this call are deleted again. Keyed and dedupe rows first look up their
   * namesake / twin (Qdrant has no unique index or transaction: two processes writing one new key
   * at the same instant may both create it; a replaced memory is not restored when a later
   * request of the batch fails). A keyed row replaces the point in place (same id, creation and
   * access fields kept); an expired namesake is deleted first.
   */
  async insert(rows: readonly NewMemoryRow[], now: number): Promise<InsertOutcome[]> {
    if (rows.length === 0) return [];
    if (rows.some((r) => r.embedding !== undefined) && !(await this.hasDense())) {
      throw new ValidationError('no vector space is fixed for this store', { backend: QDRANT_BACKEND });
    }
    const outcomes: InsertOutcome[] = rows.map((r) => ({ id: r.id, outcome: 'created' }));
    const points: Schemas['PointStruct'][] = [];
    const created: string[] = [];
    for (const [i, r] of rows.entries()) {
      if (r.key !== undefined) {
        const found = await this.scrollPayloads('find memory by key', {
          must: [{ key: 'agent_id', match: { value: r.agentId } }, { key: 'key', match: { value: r.key } }],
        });
        const expired = found.filter((p) => typeof p.payload.expires_at === 'number' && p.payload.expires_at <= now);
        if (expired.length > 0) await this.call('drop expired memory', (c) => c.delete(this.collection, { points: expired.map((p) => p.id), wait: true }));
        const live = found.find((p) => !expired.includes(p));
        if (live) {
          points.push(pointFor(r, this.dense, { id: live.id, created_at: live.payload.created_at, accessed_at: live.payload.accessed_at, access_count: live.payload.access_count }));
          outcomes[i] = { id: live.id, outcome: 'updated' };
          continue;
        }
      } else if (r.dedupe) {
        const twins = await this.scrollPayloads('find duplicate memory', {
          must: [
            { key: 'agent_id', match: { value: r.agentId } },
            { key: 'scope', match: { value: r.scope } },
            { is_empty: { key: 'superseded_by' } },
            liveAt(now),
          ],
        });
        const twin = twins
          .filter((p) => p.payload.content === r.content)
          .sort((a, b) => a.payload.created_at - b.payload.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))[0];
        if (twin) {
          outcomes[i] = { id: twin.id, outcome: 'existing' };
          continue;
        }
      }
      points.push(pointFor(r, this.dense));
      created.push(r.id);
    }
    await this.upsertAll('remember', points, created);
    return outcomes;
  }

  /**
   * Writes `points` a chunk at a time, each waited. When a chunk fails, the points of `created`
   * (new ones, not replacements) already written are deleted again, then the error is rethrown.
   */
  private async upsertAll(action: string, points: Schemas['PointStruct'][], created: readonly string[]): Promise<void> {
    let written = 0;
    try {
      for (let start = 0; start < points.length; start += CHUNK) {
        const chunk = points.slice(start, start + CHUNK);
        await this.call(action, (c) => c.upsert(this.collection, { points: chunk, wait: true }));
        written += chunk.length;
      }
    } catch (error) {
      const undo = new Set(points.slice(0, written).map((p) => String(p.id)));
      const drop = created.filter((id) => undo.has(id));
      if (drop.length > 0) {
        await this.call(`undo partial ${action}`, (c) => c.delete(this.collection, { points: drop, wait: true })).catch((failure: unknown) =>
          this.s.logger.error({ err: failure, backend: QDRANT_BACKEND, points: drop.length }, `could not remove the points of a failed ${action}`),
        );
      }
      throw error;
    }
  }

  /**
   * Changes the given fields of a live, unmerged memory: the point is read (with its vector) and
   * written back whole by `pointFor`, as a keyed insert replaces one (sparse keyword vector and
   * metadata terms recomputed; id, creation and access fields kept). Qdrant has no transactions: an
   * access bump landing between the read and the write is lost.
   */
  async replace(id: string, fields: MemoryReplacement, now: number): Promise<MemoryRecord | undefined> {
    if (fields.embedding && !(await this.hasDense())) throw new ValidationError('no vector space is fixed for this store', { backend: QDRANT_BACKEND });
    const [point] = await this.retrieve([id], true);
    if (!point) return undefined;
    const current = recordFromPoint(point, this.dense);
    if (current.supersededBy !== undefined || (current.expiresAt !== undefined && current.expiresAt <= now)) return undefined;
    const row = replacedRow({ ...current, embedding: current.embedding ? Float32Array.from(current.embedding) : undefined }, fields);
    const written = pointFor(row, this.dense, { id: current.id, created_at: current.createdAt, accessed_at: current.accessedAt, access_count: current.accessCount });
    await this.call('update memory', (c) => c.upsert(this.collection, { points: [written], wait: true }));
    return recordFromPoint({ id: current.id, payload: written.payload ?? null, vector: written.vector }, this.dense);
  }

  /** Every point matching the filter, with its payload (the content among it), page by page. */
  private async scrollPayloads(action: string, filter: Schemas['Filter']): Promise<{ id: string; payload: MemoryPayload }[]> {
    const out: { id: string; payload: MemoryPayload }[] = [];
    let offset: Schemas['ExtendedPointId'] | undefined;
    for (;;) {
      const page = await this.call(action, (c) =>
        c.scroll(this.collection, { filter, limit: CHUNK, with_payload: RECORD_PAYLOAD, with_vector: false, ...(offset !== undefined ? { offset } : {}) }),
      );
      for (const p of page.points) out.push({ id: String(p.id), payload: p.payload as unknown as MemoryPayload });
      const next = page.next_page_offset;
      if (next === undefined || next === null || typeof next === 'object') return out;
      offset = next;
    }
  }

  /** Deletes every point expired at `now` (its vectors with it); counts them first, exactly. */
  async purgeExpired(now: number): Promise<number> {
    const filter: Schemas['Filter'] = { must: [{ key: 'expires_at', range: { lte: now } }] };
    const { count } = await this.call('count expired memories', (c) => c.count(this.collection, { filter, exact: true }));
    if (count === 0) return 0;
    await this.call('purge expired memories', (c) => c.delete(this.collection, { filter, wait: true }));
    return count;
  }

  private denseQuery(scope: SearchScope, vector: Float32Array): Schemas['Prefetch'] {
    return { query: Array.from(vector), using: this.dense, filter: scopeFilter(scope), limit: scope.k, params: { hnsw_ef: Math.max(MIN_HNSW_EF, scope.k) } };
  }

  private sparseQuery(scope: SearchScope, sparse: { indices: number[]; values: number[] }): Schemas['Prefetch'] {
    return { query: sparse, using: BM25, filter: scopeFilter(scope), limit: scope.k };
  }

  /**
   * The query's sparse vector with per-agent IDFs: N and df(t) of each query term (at most 64)
   * counted exactly over the scope's agent's points (every agent's for allAgents; merged memories
   * included). Undefined when the text has no terms or no memory holds any.
   */
  private async keywordQuery(scope: SearchScope, text: string): Promise<SparseVector | undefined> {
    const terms = queryTerms(text);
    if (terms.length === 0) return undefined;
    const agent: Schemas['Condition'][] = scope.agentId === undefined ? [] : [{ key: 'agent_id', match: { value: scope.agentId } }];
    const count = (term: string | undefined) =>
      this.call('keyword statistics', (c) =>
        c.count(this.collection, { filter: { must: term === undefined ? agent : [...agent, { key: 'kw_terms', match: { value: term } }] }, exact: true }),
      );
    const [n, ...dfs] = await Promise.all([count(undefined), ...terms.map((t) => count(t))]);
    return queryVector(n?.count ?? 0, new Map(terms.map((t, i) => [t, dfs[i]?.count ?? 0])));
  }

  /** The k nearest by cosine among the scope's memories (HNSW; the filter applied inside the search). */
  async vectorSearch(scope: SearchScope, vector: Float32Array): Promise<ScoredId[]> {
    if (!(await this.hasDense())) return [];
    const res = await this.call('vector recall', (c) => c.query(this.collection, { ...this.denseQuery(scope, vector), with_payload: false }));
    return res.points.map((p) => ({ id: String(p.id), score: p.score }));
  }

  /** Memories sharing a term with `text`, ranked by raw BM25 with the agent's own IDF. [] without terms. */
  async keywordSearch(scope: SearchScope, text: string): Promise<ScoredId[]> {
    const sparse = await this.keywordQuery(scope, text);
    return sparse ? this.sparseSearch(scope, sparse) : [];
  }

  private async sparseSearch(scope: SearchScope, sparse: SparseVector): Promise<ScoredId[]> {
    const res = await this.call('keyword recall', (c) => c.query(this.collection, { ...this.sparseQuery(scope, sparse), with_payload: false }));
    return res.points.map((p) => ({ id: String(p.id), score: p.score }));
  }

  /**
   * One batched Query API call running the dense and the sparse search (every filter inside each),
   * fused here with core's Reciprocal Rank Fusion — in double precision, with the per-signal ranks
   * and scores `explain` shows, each search run once.
   */
  async hybridSearch(scope: SearchScope, vector: Float32Array, text: string, rrfK: number): Promise<FusedHit[]> {
    const sparse = await this.keywordQuery(scope, text);
    if (!sparse || !(await this.hasDense())) {
      const hits = sparse ? await this.sparseSearch(scope, sparse) : await this.vectorSearch(scope, vector);
      return hits.map((h, i) => {
        const signal = sparse ? { keywordRank: i + 1, keywordScore: h.score } : { vectorRank: i + 1, vectorScore: h.score };
        return { id: h.id, score: 1 / (rrfK + i + 1), ...signal };
      });
    }
    // Both searches in one batched request, fused here: Qdrant's own RRF over prefetches of the
    // same two lists would give the same ranking, but the per-signal ranks `explain` needs would
    // take both searches a second time.
    const [denseHits, sparseHits] = await this.call('hybrid recall', (c) =>
      c.queryBatch(this.collection, { searches: [{ ...this.denseQuery(scope, vector), with_payload: false }, { ...this.sparseQuery(scope, sparse), with_payload: false }] }),
    );
    const scored = (list: Schemas['QueryResponse'] | undefined): ScoredId[] => (list?.points ?? []).map((p) => ({ id: String(p.id), score: p.score }));
    return reciprocalRankFusion(scored(denseHits), scored(sparseHits), rrfK).slice(0, scope.k);
  }

  /** An exact count of the scope's points. */
  async count(scope: FilterScope): Promise<number> {
    const res = await this.call('count memories', (c) => c.count(this.collection, { filter: scopeFilter(scope), exact: true }));
    return res.count;
  }

  /** Qdrant's facet counts on the agent_id keyword index (exact), merged memories left out. */
  async countByAgent(limit: number, now: number): Promise<AgentMemoryCount[]> {
    const res = await this.call('count memories by agent', (c) =>
      c.facet(this.collection, { key: 'agent_id', limit, exact: true, filter: { must: [{ is_empty: { key: 'superseded_by' } }, liveAt(now)] } }),
    );
    const hits = res.hits.map((h) => ({ agentId: String(h.value), count: h.count }));
    return hits.sort((a, b) => b.count - a.count || (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0));
  }

  /**
   * A keyset page in (created_at, id) order, ties by id ascending. Qdrant orders a scroll by one
   * payload key (order_by, range index on created_at) but not ties within it, and by point id
   * otherwise (UUIDs order as their lower-case text does). So: the rest of the cursor's tie group by
   * id, then the next created_at values by order_by; the last value read may have more points than
   * the page showed, so its group is read again by id.
   */
  async list(scope: ListScope): Promise<MemoryRecord[]> {
    const base = scopeFilter(scope);
    const limit = Math.max(1, Math.trunc(scope.limit));
    const out: MemoryRecord[] = [];
    const asc = scope.order === 'asc';
    if (scope.after !== undefined) out.push(...(await this.tieGroup(base, scope.after.createdAt, scope.after.id, limit)));
    if (out.length >= limit) return out.slice(0, limit);
    const beyond: Schemas['Condition'][] =
      scope.after === undefined ? [] : [{ key: 'created_at', range: asc ? { gt: scope.after.createdAt } : { lt: scope.after.createdAt } }];
    const page = await this.call('list memories', (c) =>
      c.scroll(this.collection, {
        filter: { must: [base, ...beyond] },
        order_by: { key: 'created_at', direction: asc ? 'asc' : 'desc' },
        limit: limit - out.length,
        with_payload: RECORD_PAYLOAD,
        with_vector: false,
      }),
    );
    const records = page.points.map((p) => recordFromPoint(p, this.dense));
    const last = records[records.length - 1];
    if (last === undefined) return out;
    const before = records.filter((r) => r.createdAt !== last.createdAt);
    before.sort((a, b) => (asc ? a.createdAt - b.createdAt : b.createdAt - a.createdAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    out.push(...before);
    out.push(...(await this.tieGroup(base, last.createdAt, undefined, limit - out.length)));
    return out.slice(0, limit);
  }

  /** Up to `limit` points of the filter created at `createdAt`, by id ascending, after `afterId` when given. */
  private async tieGroup(base: Schemas['Filter'], createdAt: number, afterId: string | undefined, limit: number): Promise<MemoryRecord[]> {
    if (limit <= 0) return [];
    const offset = afterId !== undefined && isPointId(afterId) ? { offset: afterId } : {};
    const page = await this.call('list memories', (c) =>
      c.scroll(this.collection, {
        filter: { must: [base, { key: 'created_at', range: { gte: createdAt, lte: createdAt } }] },
        limit: limit + 1,
        with_payload: RECORD_PAYLOAD,
        with_vector: false,
        ...offset,
      }),
    );
    return page.points
      .map((p) => recordFromPoint(p, this.dense))
      .filter((r) => afterId === undefined || r.id > afterId)
      .slice(0, limit);
  }

  private async retrieve(ids: readonly string[], withVector: boolean): Promise<Schemas['Record'][]> {
    const valid = ids.filter(isPointId);
    const out: Schemas['Record'][] = [];
    for (let start = 0; start < valid.length; start += CHUNK) {
      const chunk = valid.slice(start, start + CHUNK);
      out.push(
        ...(await this.call('fetch memories', (c) =>
          c.retrieve(this.collection, { ids: chunk, with_payload: RECORD_PAYLOAD, with_vector: withVector ? [this.dense] : false }),
        )),
      );
    }
    return out;
  }

  async fetch(ids: readonly string[]): Promise<MemoryRecord[]> {
    return (await this.retrieve([...new Set(ids)], false)).map((p) => recordFromPoint(p, this.dense));
  }

  async get(id: string): Promise<MemoryRecord | undefined> {
    const [point] = await this.retrieve([id], true);
    return point ? recordFromPoint(point, this.dense) : undefined;
  }

  private async owner(id: string): Promise<(Owner & { superseded: boolean }) | undefined> {
    if (!isPointId(id)) return undefined;
    const [point] = await this.call('read memory', (c) =>
      c.retrieve(this.collection, { ids: [id], with_payload: { include: ['agent_id', 'superseded_by'] }, with_vector: false }),
    );
    if (!point) return undefined;
    const payload = (point.payload ?? {}) as Partial<MemoryPayload>;
    return { agentId: String(payload.agent_id), superseded: typeof payload.superseded_by === 'string' };
  }

  /** Deletes the point and the points merged into it (waited for). */
  async deleteWhere(scope: FilterScope): Promise<DeletedMemory[]> {
    return deleteMatching(this.call, this.collection, scopeFilter(scope));
  }

  async delete(id: string): Promise<Owner | undefined> {
    const owner = await this.owner(id);
    if (!owner) return undefined;
    await this.call('forget', (c) =>
      c.delete(this.collection, { filter: { should: [{ has_id: [id] }, { key: 'superseded_by', match: { value: id } }] }, wait: true }),
    );
    return { agentId: owner.agentId };
  }

  /** Replaces only the dense vector (payload and keyword vector kept). A merged memory keeps none. */
  async setEmbedding(id: string, vector: Float32Array): Promise<Owner | undefined> {
    if (!(await this.hasDense())) throw new ValidationError('no vector space is fixed for this store', { backend: QDRANT_BACKEND });
    const owner = await this.owner(id);
    if (!owner) return undefined;
    if (owner.superseded) return { agentId: owner.agentId };
    try {
      await this.call('update embedding', (c) => c.updateVectors(this.collection, { points: [{ id, vector: { [this.dense]: Array.from(vector) } }], wait: true }));
    } catch (error) {
      if (MemoryError.is(error) && error.code === 'NOT_FOUND') return undefined; // forgotten meanwhile
      throw error;
    }
    return { agentId: owner.agentId };
  }

  /**
   * accessCount += occurrences, accessedAt = at: the counts are read, then written back in one
   * waited batch. Qdrant has no atomic increment: two processes touching the same memory at the
   * same instant may count one access once.
   */
  async touch(ids: readonly string[], at: number): Promise<void> {
    const counts = new Map<string, number>();
    for (const id of ids) if (isPointId(id)) counts.set(id, (counts.get(id) ?? 0) + 1);
    if (counts.size === 0) return;
    const points = await this.call('record access', (c) =>
      c.retrieve(this.collection, { ids: [...counts.keys()], with_payload: { include: ['access_count'] }, with_vector: false }),
    );
    if (points.length === 0) return;
    const operations: Schemas['UpdateOperation'][] = points.map((p) => {
      const id = String(p.id);
      const before = Number((p.payload as Partial<MemoryPayload> | null | undefined)?.access_count ?? 0);
      return { set_payload: { payload: { access_count: before + (counts.get(id) ?? 0), accessed_at: at }, points: [id] } };
    });
    await this.call('record access', (c) => c.batchUpdate(this.collection, { operations, wait: true }));
  }

  async decay(policy: DecayPolicy): Promise<number> {
    return decayPoints(this.call, this.collection, policy);
  }

  async mergeExactDuplicates(options: { dryRun: boolean; now: number }): Promise<number> {
    // Fresh layout: a pending vector another process began (or aborted) is known before twins lose their vectors.
    const state = await this.refresh();
    const all = [state.vectorName, ...(state.pending ? [state.pending.name] : [])].filter((n) => state.denseNames.has(n));
    return mergeDuplicatePoints(this.call, this.collection, options, { active: state.vectorName, all });
  }

  /** Times a version request; `detail` names the redacted URL, the collection and Qdrant's version. */
  /** A page of every point (merged and expired memories too) in Qdrant's id order, with vectors; the cursor is the next page's first id. */
  async exportRows(page: ArchivePage): Promise<{ rows: MemoryRecord[]; cursor: string | undefined }> {
    if (page.agentIds !== undefined && page.agentIds.length === 0) return { rows: [], cursor: undefined };
    const limit = Math.max(1, Math.trunc(page.limit));
    const filter: Schemas['Filter'] | undefined = page.agentIds === undefined ? undefined : { must: [{ key: 'agent_id', match: { any: [...page.agentIds] } }] };
    const dense = await this.hasDense();
    const result = await this.call('export memories', (c) =>
      c.scroll(this.collection, {
        limit,
        with_payload: RECORD_PAYLOAD,
        with_vector: dense ? [this.dense] : false,
        ...(filter ? { filter } : {}),
        ...(page.cursor !== undefined ? { offset: page.cursor } : {}),
      }),
    );
    const next = result.next_page_offset;
    return { rows: result.points.map((p) => recordFromPoint(p, this.dense)), cursor: next === undefined || next === null || typeof next === 'object' ? undefined : String(next) };
  }

  /** How many points exportRows returns for these agents (exact count). */
  async countRows(agentIds: readonly string[] | undefined): Promise<number> {
    if (agentIds !== undefined && agentIds.length === 0) return 0;
    const filter: Schemas['Filter'] | undefined = agentIds === undefined ? undefined : { must: [{ key: 'agent_id', match: { any: [...agentIds] } }] };
    const res = await this.call('count memories', (c) => c.count(this.collection, { exact: true, ...(filter ? { filter } : {}) }));
    return res.count;
  }

  /** Upserts the memories as they are, in one request per chunk (a failed batch removes the points it created). */
  async importRows(rows: readonly MemoryRecord[], options: ArchiveWriteOptions): Promise<ArchiveRowOutcome[]> {
    if (rows.length === 0) return [];
    if (rows.some((r) => r.embedding !== undefined) && !(await this.hasDense())) {
      throw new ValidationError('no vector space is fixed for this store', { backend: QDRANT_BACKEND });
    }
    const bad = rows.find((r) => !isPointId(r.id));
    if (bad) throw new ValidationError(`memory id ${JSON.stringify(bad.id)} is not a UUID, which Qdrant point ids must be`, { backend: QDRANT_BACKEND });
    const existing = new Set((await this.retrieve(rows.map((r) => r.id), false)).map((p) => String(p.id)));
    const outcomes: ArchiveRowOutcome[] = [];
    const points: Schemas['PointStruct'][] = [];
    const created: string[] = [];
    const drop: string[] = [];
    for (const r of rows) {
      const byKey =
        r.key === undefined
          ? []
          : (await this.scrollPayloads('find memory by key', { must: [{ key: 'agent_id', match: { value: r.agentId } }, { key: 'key', match: { value: r.key } }] }))
              .map((p) => p.id)
              .filter((id) => id !== r.id);
      const found = existing.has(r.id) || byKey.length > 0;
      if (found && !options.overwrite) {
        outcomes.push('existing');
        continue;
      }
      drop.push(...byKey);
      const point = pointFor(
        {
          id: r.id, agentId: r.agentId, content: r.content, source: r.source, scope: r.scope, metadata: r.metadata, confidence: r.confidence, createdAt: r.createdAt,
          embedding: r.embedding === undefined ? undefined : Float32Array.from(r.embedding), key: r.key, expiresAt: r.expiresAt, dedupe: false,
        },
        this.dense,
        { id: r.id, created_at: r.createdAt, accessed_at: r.accessedAt, access_count: r.accessCount },
      );
      if (r.supersededBy !== undefined) (point.payload as Record<string, unknown>).superseded_by = r.supersededBy;
      points.push(point);
      if (!existing.has(r.id)) created.push(r.id);
      outcomes.push(found ? 'replaced' : 'created');
    }
    if (drop.length > 0) await this.call('replace memory by key', (c) => c.delete(this.collection, { points: drop, wait: true }));
    await this.upsertAll('import memories', points, created);
    return outcomes;
  }

  async health(): Promise<BackendHealth> {
    const started = performance.now();
    try {
      const info = await this.call('health check', (c) => c.versionInfo());
      return {
        name: QDRANT_BACKEND,
        ok: true,
        latencyMs: performance.now() - started,
        detail: `${this.s.where.url} collection ${this.collection}, Qdrant ${info.version}`,
      };
    } catch (error) {
      const message = MemoryError.is(error) ? error.message : String(error);
      this.s.logger.warn({ err: error, backend: QDRANT_BACKEND }, 'semantic health check failed');
      return { name: QDRANT_BACKEND, ok: false, latencyMs: performance.now() - started, detail: message };
    }
  }

  /** Nothing to release: the client's connections close when idle. */
  async close(): Promise<void> {}
}
