import type { ConsolidationReport, ConsolidationStore } from '../../contracts/consolidation-store.js';
import type { Owner } from '../../contracts/main-backend.js';
import type { DeletedMemory } from '../../contracts/semantic-backend.js';
import type { BackendSemanticStore, MemoryUpdated } from '../../contracts/semantic-provider.js';
import type { AgentMemoryCount, CountQuery, ListQuery, MemoryPage, MemoryPatch, MemoryRecord, RecallQuery, RecalledMemory, RememberInput, RememberResult, VectorInput } from '../../contracts/semantic-store.js';
import { LIMITS } from '../../core/limits.js';
import { Validator } from '../../core/validate.js';
import type { CallOptions, GatewayClient } from './gateway-client.js';
import { HTTP_BACKEND } from './http-settings.js';
import { WireDecoder } from './wire-decode.js';
import { encodeBody } from './wire-encode.js';
import { encodeF32, isF32Exact } from '../../wire/vector-f32.js';

/** The keys of the contract's RecallQuery (what the semantic service accepts in process). */
const RECALL_KEYS = ['agentId', 'allAgents', 'text', 'embedding', 'limit', 'mode', 'filter', 'explain', 'minScore'] as const satisfies readonly (keyof RecallQuery)[];

/**
 * The SemanticStore of a remote memstrate gateway: each method is one request to the gateway's
 * `/v1/memories` routes, and ids are the gateway's own (what `remember` returns is what recall,
 * get, forget and updateEmbedding take). Validation, embedding, the vector space, ranking and
 * access bumps all happen on the gateway, on its configuration; this side only checks what JSON
 * cannot carry (non-finite numbers, non-JSON values) and the ids it puts in URLs, then checks every
 * answer (see WireDecoder). Float32Array vectors travel as number arrays.
 *
 * Errors: the gateway's own (VALIDATION, NOT_FOUND, …) rebuilt with the same code; otherwise
 * BackendUnavailableError (unreachable, timeout, aborted, closed). Never a local fallback.
 * Every method takes an optional last `{ signal }` (not part of the SemanticStore contract).
 */
export class HttpSemanticStore implements BackendSemanticStore, ConsolidationStore {
  private readonly v = new Validator(HTTP_BACKEND);
  private readonly decode: WireDecoder;

  /**
   * @param dimensions the gateway's fixed vector dimension as GET /v1/info reported it at open
   *   (undefined while its vector space is not fixed yet); updated from the vectors the gateway
   *   accepts or returns.
   */
  constructor(
    private readonly client: GatewayClient,
    private dimensions: number | undefined,
    /** What the gateway accepts beyond the base wire (GET /v1/info `wireFeatures`). */
    private readonly features: { embeddingF32?: boolean } = {},
  ) {
    this.decode = new WireDecoder(client.where);
  }

  /** The gateway's vector dimension, once known (see the constructor). */
  get vectorDimensions(): number | undefined {
    return this.dimensions;
  }

  private observe(vector: unknown): void {
    if (this.dimensions !== undefined) return;
    const length = (vector as { length?: unknown } | null | undefined)?.length;
    if (typeof length === 'number' && length > 0) this.dimensions = length;
  }

  /** POST /v1/memories (never retried: a retry could store the memory twice). Returns the gateway's id. */
  async remember(input: RememberInput, options: CallOptions = {}): Promise<string> {
    return (await this.rememberWithResult(input, options)).id;
  }

  /** POST /v1/memories: the id, and whether the gateway created, replaced (key) or found (dedupe) it. */
  async rememberWithResult(input: RememberInput, options: CallOptions = {}): Promise<RememberResult> {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) this.v.fail('input must be an object');
    const label = 'POST /v1/memories';
    const res = await this.client.request({ method: 'POST', path: '/v1/memories', body: this.json('input', input), idempotent: false, signal: options.signal });
    const result = this.decode.rememberResult(res.body, label);
    this.observe(input.embedding);
    return result;
  }

  /** POST /v1/memories/batch: all or nothing on the gateway; ids in input order. `[]` sends nothing. */
  async rememberMany(inputs: readonly RememberInput[], options: CallOptions = {}): Promise<string[]> {
    return (await this.rememberManyWithResult(inputs, options)).map((r) => r.id);
  }

  /** POST /v1/memories/batch, with what each input did. */
  async rememberManyWithResult(inputs: readonly RememberInput[], options: CallOptions = {}): Promise<RememberResult[]> {
    if (!Array.isArray(inputs)) this.v.fail('inputs must be an array');
    if (inputs.length === 0) return [];
    if (inputs.length > LIMITS.maxBatch) this.v.fail(`at most ${LIMITS.maxBatch} memories per call`);
    const label = 'POST /v1/memories/batch';
    const res = await this.client.request({
      method: 'POST',
      path: '/v1/memories/batch',
      body: this.json('inputs', { memories: inputs }),
      idempotent: false,
      signal: options.signal,
    });
    const results = this.decode.rememberResults(res.body, inputs.length, label);
    this.observe(inputs.find((i) => i.embedding !== undefined)?.embedding);
    return results;
  }

  /** POST /v1/memories/purge-expired (an admin route): how many expired memories the gateway deleted. */
  async purgeExpired(options: CallOptions = {}): Promise<number> {
    const label = 'POST /v1/memories/purge-expired';
    const res = await this.client.request({ method: 'POST', path: '/v1/memories/purge-expired', body: '{}', idempotent: true, signal: options.signal });
    return this.decode.purged(res.body, label);
  }

  /**
   * POST /v1/memories/recall (retried: it only reads, apart from access bumps). Every result of an
   * agent-scoped query must belong to that agent, else InternalError and nothing is returned.
   */
  async recall(query: RecallQuery, options: CallOptions = {}): Promise<RecalledMemory[]> {
    if (typeof query !== 'object' || query === null || Array.isArray(query)) this.v.fail('query must be an object');
    const label = 'POST /v1/memories/recall';
    const res = await this.client.request({
      method: 'POST',
      path: '/v1/memories/recall',
      body: this.recallBody(query),
      idempotent: true,
      signal: options.signal,
    });
    const agentId = query.allAgents === true ? undefined : query.agentId;
    const limit = typeof query.limit === 'number' ? query.limit : 10;
    return this.decode.recall(res.body, agentId, limit, label);
  }

  /** POST /v1/memories/count (a read: retried). The filter is checked on the gateway. */
  async count(query: CountQuery, options: CallOptions = {}): Promise<number> {
    if (typeof query !== 'object' || query === null || Array.isArray(query)) this.v.fail('query must be an object');
    const label = 'POST /v1/memories/count';
    const res = await this.client.request({ method: 'POST', path: '/v1/memories/count', body: this.json('query', query), idempotent: true, signal: options.signal });
    return this.decode.count(res.body, label);
  }

  async deleteWhere(query: CountQuery, options: CallOptions = {}): Promise<number> {
    return (await this.deleteWhereFor(query, options)).length;
  }

  /** POST /v1/memories/delete-where (not retried: a retry after a lost answer would report 0). The gateway names what it removed. */
  async deleteWhereFor(query: CountQuery, options: CallOptions = {}): Promise<DeletedMemory[]> {
    if (typeof query !== 'object' || query === null || Array.isArray(query)) this.v.fail('query must be an object');
    const label = 'POST /v1/memories/delete-where';
    const res = await this.client.request({ method: 'POST', path: '/v1/memories/delete-where', body: this.json('query', query), idempotent: false, signal: options.signal });
    return this.decode.deleted(res.body, query.allAgents === true ? undefined : query.agentId, label);
  }

  /** POST /v1/memories/erase (not retried): the gateway erases and names what it removed. */
  async eraseWhere(query: CountQuery, options: CallOptions = {}): Promise<DeletedMemory[]> {
    if (typeof query !== 'object' || query === null || Array.isArray(query)) this.v.fail('query must be an object');
    const label = 'POST /v1/memories/erase';
    const res = await this.client.request({ method: 'POST', path: '/v1/memories/erase', body: this.json('query', query), idempotent: false, signal: options.signal });
    return this.decode.deleted(res.body, query.allAgents === true ? undefined : query.agentId, label);
  }

  /** GET /v1/memories/agents (a read: retried): memories per agent, most first. */
  async countByAgent(options: { limit?: number } = {}, call: CallOptions = {}): Promise<AgentMemoryCount[]> {
    if (typeof options !== 'object' || options === null || Array.isArray(options)) this.v.fail('options must be an object');
    this.v.knownKeys('options.', options, ['limit']);
    const limit = options.limit === undefined ? undefined : this.v.int('limit', options.limit, 1, 10_000);
    const label = 'GET /v1/memories/agents';
    const res = await this.client.request({ method: 'GET', path: `/v1/memories/agents${limit === undefined ? '' : `?limit=${limit}`}`, idempotent: true, signal: call.signal });
    return this.decode.agentCounts(res.body, limit ?? 1000, label);
  }

  /** POST /v1/memories/list (a read: retried). Every item of an agent-scoped listing must be that agent's. */
  async list(query: ListQuery, options: CallOptions = {}): Promise<MemoryPage> {
    if (typeof query !== 'object' || query === null || Array.isArray(query)) this.v.fail('query must be an object');
    const label = 'POST /v1/memories/list';
    const res = await this.client.request({ method: 'POST', path: '/v1/memories/list', body: this.json('query', query), idempotent: true, signal: options.signal });
    const agentId = query.allAgents === true ? undefined : query.agentId;
    const limit = typeof query.limit === 'number' ? query.limit : 50;
    return this.decode.page(res.body, agentId, limit, label);
  }

  /** DELETE /v1/memories/:id. True when something was removed. */
  async forget(id: string, options: CallOptions = {}): Promise<boolean> {
    return (await this.forgetFor(id, options)) !== undefined;
  }

  /** DELETE /v1/memories/:id; the gateway names the owner of what it removed (one round trip). */
  async forgetFor(id: string, options: CallOptions = {}): Promise<Owner | undefined> {
    const path = this.memoryPath(id);
    const res = await this.client.request({ method: 'DELETE', path, idempotent: true, signal: options.signal });
    return this.decode.forgotten(res.body, 'DELETE /v1/memories/:id');
  }

  /** PATCH /v1/memories/:id: the updated record. NotFoundError when the gateway has no such (live, unmerged) memory. */
  async update(id: string, patch: MemoryPatch, options: CallOptions = {}): Promise<MemoryRecord> {
    return (await this.updateFor(id, patch, options)).record;
  }

  /**
   * PATCH /v1/memories/:id; the record answered names the owner. Retried like the other by-id
   * changes (replacing the same fields twice is the same change), but not with a relative ttlMs.
   */
  async updateFor(id: string, patch: MemoryPatch, options: CallOptions = {}): Promise<MemoryUpdated> {
    const path = this.memoryPath(id);
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) this.v.fail('patch must be an object');
    const label = 'PATCH /v1/memories/:id';
    const res = await this.client.request({ method: 'PATCH', path, body: this.json('patch', patch), idempotent: patch.ttlMs === undefined, signal: options.signal });
    const record = this.decode.record(res.body, id, label);
    this.observe(record.embedding);
    return { agentId: record.agentId, record };
  }

  /** PUT /v1/memories/:id/embedding. NotFoundError when the gateway has no such memory. */
  async updateEmbedding(id: string, vector: VectorInput, options: CallOptions = {}): Promise<void> {
    await this.updateEmbeddingFor(id, vector, options);
  }

  /** PUT /v1/memories/:id/embedding; the gateway answers whose memory it is. */
  async updateEmbeddingFor(id: string, vector: VectorInput, options: CallOptions = {}): Promise<Owner> {
    const path = `${this.memoryPath(id)}/embedding`;
    const res = await this.client.request({ method: 'PUT', path, body: this.json('vector', { embedding: vector }), idempotent: true, signal: options.signal });
    const owner = this.decode.owner(res.body, 'PUT /v1/memories/:id/embedding');
    this.observe(vector);
    return owner;
  }

  /** GET /v1/memories/:id; undefined when the gateway answers NOT_FOUND. */
  async get(id: string, options: CallOptions = {}): Promise<MemoryRecord | undefined> {
    const path = this.memoryPath(id);
    const res = await this.client.request({ method: 'GET', path, idempotent: true, absentOn404: true, signal: options.signal });
    if (res.status === 404) return undefined;
    const record = this.decode.record(res.body, id, 'GET /v1/memories/:id');
    this.observe(record.embedding);
    return record;
  }

  /** POST /v1/memories/get-many (a read: retried): the records that exist, in the order asked. */
  async getMany(ids: readonly string[], options: CallOptions = {}): Promise<MemoryRecord[]> {
    if (!Array.isArray(ids)) this.v.fail('ids must be an array');
    if (ids.length > LIMITS.maxRecallLimit) this.v.fail(`at most ${LIMITS.maxRecallLimit} ids per call`);
    const wanted = [...new Set(ids)];
    if (wanted.length === 0) return [];
    const label = 'POST /v1/memories/get-many';
    const res = await this.client.request({ method: 'POST', path: '/v1/memories/get-many', body: this.json('ids', { ids: wanted }), idempotent: true, signal: options.signal });
    const records = this.decode.records(res.body, wanted, label);
    for (const r of records) this.observe(r.embedding);
    return records;
  }

  /** POST /v1/consolidation (not retried): decay and merge run on the gateway's store. */
  async consolidate(options: { dryRun?: boolean } & CallOptions = {}): Promise<ConsolidationReport> {
    if (typeof options !== 'object' || options === null) this.v.fail('options must be an object');
    const dryRun = options.dryRun;
    if (dryRun !== undefined && typeof dryRun !== 'boolean') this.v.fail('dryRun must be a boolean');
    const label = 'POST /v1/consolidation';
    const res = await this.client.request({
      method: 'POST',
      path: '/v1/consolidation',
      body: JSON.stringify(dryRun === undefined ? {} : { dryRun }),
      idempotent: false,
      signal: options.signal,
    });
    return this.decode.report(res.body, dryRun === true, label);
  }

  private memoryPath(id: string): string {
    return `/v1/memories/${encodeURIComponent(this.v.id('id', id))}`;
  }

  /**
   * The recall body. A vector of float32 values (a Float32Array, or numbers that are all float32
   * values) goes as `embeddingF32` when the gateway accepts it: the same numbers, ~4× fewer bytes,
   * no per-number formatting here or parsing there. Anything else goes as a JSON array, checked as before.
   */
  private recallBody(query: RecallQuery): string {
    // The contract has no embeddingF32: a caller's own is an unknown key (as in process), never passed through.
    if ((query as { embeddingF32?: unknown }).embeddingF32 !== undefined) this.v.knownKeys('', query, RECALL_KEYS);
    const { embedding } = query;
    if (!this.features.embeddingF32 || !isF32Exact(embedding)) return this.json('query', query);
    for (let i = 0; i < embedding.length; i++) if (!Number.isFinite(embedding[i])) this.v.fail(`query.embedding[${i}] is not a finite number`);
    const { embedding: _vector, ...rest } = query;
    return this.json('query', { ...rest, embeddingF32: encodeF32(embedding) });
  }

  private json(field: string, value: unknown): string {
    return encodeBody(field, value, this.v);
  }
}
