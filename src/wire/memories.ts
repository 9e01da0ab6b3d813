/** Schemas of the semantic store (memories), recall and consolidation over the wire. */
import { z } from 'zod';
import type * as CC from '../contracts/consolidation-store.js';
import type * as F from '../contracts/memory-filter.js';
import * as C from '../contracts/semantic-store.js';
import { LIMITS } from '../core/limits.js';
import { EpochMs, Id, intQuery, JsonObject, named, Vector } from './common.js';
import { isEpochMs, isInt, isJsonValue, isNumber, isNumberArray, isPlainObject, onlyKnownKeys, withFastPath } from './fast-path.js';
import { decodeF32, F32_MAX_CHARS } from './vector-f32.js';

export const MemorySource = z.enum(C.MEMORY_SOURCES);
export const RecallMode = z.enum(['hybrid', 'vector', 'keyword']) satisfies z.ZodType<C.RecallMode>;

export const RememberInput = named(
  'RememberInput',
  z.strictObject({
    agentId: Id,
    content: z.string().describe(`The memory text (at most ${LIMITS.contentBytes} bytes UTF-8).`),
    source: MemorySource.optional().describe('Default `observation`.'),
    scope: z.string().optional().describe('Free-form collection name. Default `episodic`.'),
    metadata: JsonObject.optional(),
    embedding: Vector.optional().describe('Caller-supplied vector; absent + an embedder configured = the content is embedded.'),
    confidence: z.number().min(0).max(1).optional().describe('In [0, 1]. Default 1.'),
    key: z.string().optional().describe('Natural key (1..256 characters), unique per agent: an existing memory of (agentId, key) is replaced in place (same id).'),
    dedupe: z.literal('content').optional().describe('`content`: a live memory of the agent with this scope and exactly this content answers instead (nothing written). Not with key.'),
    expiresAt: EpochMs.optional().describe('Expiry instant (epoch ms, in the future); not with ttlMs. Expired memories are invisible to every read.'),
    ttlMs: z.int().optional().describe('Expiry relative to now (1 ms .. 100 years); not with expiresAt.'),
  }) satisfies z.ZodType<C.RememberInput>,
);

export const MemoryPatch = named(
  'MemoryPatch',
  z.strictObject({
    content: z.string().optional().describe(`New text (at most ${LIMITS.contentBytes} bytes UTF-8): re-embedded with the configured embedder (no embedder and no embedding: the vector is dropped) and re-indexed for keyword recall.`),
    source: MemorySource.optional(),
    scope: z.string().optional(),
    metadata: JsonObject.optional().describe('Replaces the whole metadata object (never merged).'),
    confidence: z.number().min(0).max(1).optional().describe('In [0, 1].'),
    embedding: Vector.optional().describe('New vector (wins over embedding a new content).'),
    expiresAt: EpochMs.nullable().optional().describe('New expiry instant (epoch ms, in the future), or null for none; not with ttlMs.'),
    ttlMs: z.int().optional().describe('New expiry relative to now (1 ms .. 100 years); not with expiresAt.'),
  }) satisfies z.ZodType<C.MemoryPatch>,
  'At least one field; each given replaces the stored one. The id, agentId, key, createdAt and access counts stay.',
);

export const RememberResponse = named(
  'RememberResponse',
  z.object({
    id: z.string(),
    created: z.boolean().describe('True when a new memory was made (HTTP 201); false when a keyed memory was replaced or dedupe found it (HTTP 200).'),
    updated: z.boolean().describe('True when a keyed memory was replaced in place.'),
  }),
  'The id of the memory made, replaced or found.',
);

export const PurgedResponse = named('PurgedResponse', z.object({ purged: z.int().min(0) }), 'How many expired memories were deleted.');

export const RememberBatchResponse = named(
  'RememberBatchResponse',
  z.object({
    ids: z.array(z.string()),
    results: z.array(RememberResponse).describe('One per input, in order.'),
  }),
  'Ids in input order, with what each input did.',
);

export const RememberBatch = named(
  'RememberBatch',
  z.strictObject({ memories: z.array(RememberInput).max(LIMITS.maxBatch) }),
  'All or nothing: every memory is validated (and embedded) before anything is written.',
);

/**
 * A filter expression: `{ $and: [...] }`, `{ $or: [...] }`, `{ $not: {...} }` or a clause
 * `{ "<path>": <scalar> | { "$eq" | "$ne" | "$gt" | "$gte" | "$lt" | "$lte" | "$in" | "$nin" | "$exists": … } }`.
 * Carried as it is: the gateway's store checks it (core's parser), so every mistake is a VALIDATION
 * error naming the exact place, the same words as in process.
 */
export const FilterExpr = named(
  'FilterExpr',
  z.custom<F.FilterExpr>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), { message: 'filter.where must be an object' }),
  'A typed filter expression (see README, "Filtering memories"): $and, $or, $not, or a clause of paths ' +
    '(source, scope, confidence, createdAt, metadata.<key>…) to a scalar or a condition of $eq $ne $gt $gte $lt $lte $in $nin $exists.',
);

/** Unknown fields are rejected, in a filter and everywhere else (as the stores do). */
export const MemoryFilter = named(
  'MemoryFilter',
  z.strictObject({
    source: MemorySource.optional(),
    scope: z.string().optional(),
    minConfidence: z.number().min(0).max(1).optional(),
    after: EpochMs.optional().describe('createdAt strictly after this instant.'),
    before: EpochMs.optional().describe('createdAt strictly before this instant.'),
    metadata: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional()
      .describe('Each key must hold exactly this scalar value (an array holding it matches too); null: the key has no value (missing, null or []).'),
    where: FilterExpr.optional(),
  }) satisfies z.ZodType<C.MemoryFilter>,
);

/**
 * The recall body as sent: one flat object. The contract's RecallQuery says "an agentId, or
 * allAgents: true" as a union; the check that exactly one is given runs after the object parsed
 * (the same rule, in the same words, as the semantic service's), and turns the body into that union.
 */
export const RecallQuery = named(
  'RecallQuery',
  z.strictObject({
    agentId: Id.optional().describe('The agent whose memories are searched; exactly one of agentId or allAgents: true.'),
    allAgents: z.boolean().optional(),
    text: z.string().optional(),
    embedding: Vector.optional(),
    embeddingF32: z
      .string()
      .max(F32_MAX_CHARS)
      .optional()
      .describe(
        'The query vector as standard base64 (padded) of its float32 values, little-endian, instead of `embedding` (not both): ' +
          '~4× smaller and parsed without a per-number check. Gateways that accept it list `embeddingF32` in GET /v1/info `wireFeatures`.',
      ),
    limit: z.int().min(1).max(LIMITS.maxRecallLimit).optional().describe(`1..${LIMITS.maxRecallLimit}, default 10.`),
    mode: RecallMode.optional().describe('Default: hybrid when both a vector and text are available, else whichever is.'),
    filter: MemoryFilter.optional(),
    explain: z.boolean().optional(),
    minScore: z.number().optional().describe('Leave out results scoring below: cosine similarity (-1..1) for vector, the RRF score for hybrid, the normalised BM25 keyword score (0..1, per-agent statistics) for keyword; the same scale on every backend.'),
  }).transform((body, ctx): C.RecallQuery => {
    const query = toRecallQuery(body, (message, path) => ctx.issues.push({ code: 'custom', input: body, message, ...(path ? { path } : {}) }));
    return query ?? z.NEVER;
  }),
);

type RecallBody = z.input<typeof RecallQuery>;

/**
 * The flat recall body as the contract's RecallQuery: embeddingF32 decoded into `embedding`, and
 * exactly one of agentId / allAgents: true. `fail` gets each problem (the query is then undefined).
 */
function toRecallQuery(body: RecallBody, issue: (message: string, path?: string[]) => void): C.RecallQuery | undefined {
  const fail = (message: string, path?: string[]): undefined => {
    issue(message, path);
    return undefined;
  };
  const { agentId, allAgents, embeddingF32, ...fields } = body;
  let rest: Omit<typeof fields, 'embedding'> & { embedding?: C.VectorInput } = fields;
  if (embeddingF32 !== undefined) {
    if (fields.embedding !== undefined) return fail('give either embedding or embeddingF32, not both', ['embeddingF32']);
    const vector = decodeF32(embeddingF32);
    if (typeof vector === 'string') return fail(vector, ['embeddingF32']);
    rest = { ...fields, embedding: vector };
  }
  if (allAgents === true) {
    if (agentId === undefined) return { ...rest, allAgents };
    return fail('give either agentId or allAgents: true, not both');
  }
  if (agentId === undefined) return fail('recall must name an agentId (or say allAgents: true)');
  return { ...rest, agentId, ...(allAgents === undefined ? {} : { allAgents }) };
}

const RECALL_FAST_KEYS = new Set(['agentId', 'allAgents', 'text', 'embedding', 'embeddingF32', 'limit', 'mode', 'explain', 'minScore']);
const RECALL_MODES: ReadonlySet<unknown> = new Set(RecallMode.options);

/** RecallQuery's fast path (src/wire/fast-path.ts): a body without a filter whose every field is plainly valid. */
withFastPath(RecallQuery, (v) => {
  if (!isPlainObject(v) || !onlyKnownKeys(v, RECALL_FAST_KEYS)) return undefined;
  const { agentId, allAgents, text, embedding, embeddingF32, limit, mode, explain, minScore } = v;
  if (agentId !== undefined && !(typeof agentId === 'string' && agentId.length >= 1 && agentId.length <= LIMITS.idLength)) return undefined;
  if (allAgents !== undefined && typeof allAgents !== 'boolean') return undefined;
  if (text !== undefined && typeof text !== 'string') return undefined;
  if (embedding !== undefined && !(isNumberArray(embedding) && embedding.length >= 1 && embedding.length <= LIMITS.maxDimensions)) return undefined;
  if (embeddingF32 !== undefined && !(typeof embeddingF32 === 'string' && embeddingF32.length <= F32_MAX_CHARS)) return undefined;
  if (limit !== undefined && !(isInt(limit) && limit >= 1 && limit <= LIMITS.maxRecallLimit)) return undefined;
  if (mode !== undefined && !RECALL_MODES.has(mode)) return undefined;
  if (explain !== undefined && typeof explain !== 'boolean') return undefined;
  if (minScore !== undefined && !isNumber(minScore)) return undefined;
  let ok = true;
  const query = toRecallQuery(v as RecallBody, () => {
    ok = false;
  });
  return ok ? query : undefined;
});

const AgentFields = {
  agentId: Id.optional().describe('The agent whose memories are read; exactly one of agentId or allAgents: true.'),
  allAgents: z.boolean().optional(),
};

/** Turns the flat `agentId` / `allAgents` body into the contract's union (the rule and words of the semantic service). */
function agentSelector<T extends { agentId?: string | undefined; allAgents?: boolean | undefined }>(what: string) {
  return (body: T, ctx: z.RefinementCtx): Omit<T, 'agentId' | 'allAgents'> & C.AgentSelector => {
    const { agentId, allAgents, ...rest } = body;
    if (allAgents === true) {
      if (agentId === undefined) return { ...rest, allAgents };
      ctx.addIssue({ code: 'custom', message: 'give either agentId or allAgents: true, not both' });
      return z.NEVER;
    }
    if (agentId === undefined) {
      ctx.addIssue({ code: 'custom', message: `${what} must name an agentId (or say allAgents: true)` });
      return z.NEVER;
    }
    return { ...rest, agentId, ...(allAgents === undefined ? {} : { allAgents }) };
  };
}

/** The body of a memory count (the gateway route is POST /v1/memories/count). */
export const CountQuery = named(
  'MemoryCountQuery',
  z.strictObject({ ...AgentFields, filter: MemoryFilter.optional() }).transform(agentSelector('count')) satisfies z.ZodType<C.CountQuery>,
);
export const CountResult = named('MemoryCount', z.object({ count: z.int().min(0) }), 'How many memories match.');

/** The body of a memory listing (the gateway route is POST /v1/memories/list). */
export const ListQuery = named(
  'MemoryListQuery',
  z
    .strictObject({
      ...AgentFields,
      filter: MemoryFilter.optional(),
      orderBy: z.enum(['createdAt', '-createdAt']).optional().describe('Default -createdAt (newest first); ties on createdAt by id.'),
      limit: z.int().min(1).max(LIMITS.maxRecallLimit).optional().describe(`1..${LIMITS.maxRecallLimit}, default 50.`),
      cursor: z.string().optional().describe('nextCursor of the previous page (same query).'),
    })
    .transform(agentSelector('list')) satisfies z.ZodType<C.ListQuery>,
);

export const MemoryRecord = named(
  'MemoryRecord',
  z.object({
    id: z.string(),
    agentId: z.string(),
    content: z.string(),
    source: MemorySource,
    scope: z.string(),
    metadata: JsonObject,
    confidence: z.number(),
    createdAt: EpochMs,
    accessedAt: EpochMs,
    accessCount: z.int(),
    supersededBy: z.string().optional(),
    embedding: z.array(z.number()).optional(),
    key: z.string().optional(),
    expiresAt: EpochMs.optional(),
  }) satisfies z.ZodType<C.MemoryRecord>,
);

export const RecalledMemory = named(
  'RecalledMemory',
  z.object({
    memory: MemoryRecord,
    score: z.number(),
    matchedBy: RecallMode,
    explanation: z
      .object({
        vectorRank: z.int().optional(),
        vectorSimilarity: z.number().optional(),
        keywordRank: z.int().optional(),
        keywordScore: z.number().optional(),
        rrfK: z.number().optional(),
        vectorSearch: z.enum(['exact', 'approximate']).optional(),
      })
      .optional(),
  }) satisfies z.ZodType<C.RecalledMemory>,
);

/** GET /v1/agents/:agentId/memories query string: one agent's memories, newest first by default (filters: POST /v1/memories/list). */
export const AgentMemoriesQuery = z.strictObject({
  orderBy: z.enum(['createdAt', '-createdAt']).optional().describe('Default -createdAt (newest first); ties on createdAt by id.'),
  limit: intQuery(1, LIMITS.maxRecallLimit, `1..${LIMITS.maxRecallLimit} (default 50).`).optional(),
  cursor: z.string().min(1).max(4096).optional().describe('nextCursor of the previous page, unchanged.'),
});

export const DeletedMemories = named(
  'DeletedMemories',
  z.object({ deleted: z.int().min(0), memories: z.array(z.object({ id: z.string(), agentId: z.string() })) }),
  'How many memories were removed, and which (memories merged into them went with them, unlisted).',
);

export const EraseBody = named(
  'EraseRequest',
  z.strictObject({
    agentId: Id,
    filter: MemoryFilter.optional().describe('Only the memories matching it (nothing else).'),
    keepUsage: z.boolean().optional().describe("Keep the agent's usage events (whole-agent erasure only)."),
  }),
);
export const ErasureReceipt = named(
  'ErasureReceipt',
  z.object({
    agentId: z.string(),
    scope: z.enum(['agent', 'memories']),
    at: EpochMs,
    counts: z.record(z.string(), z.int().min(0)),
    auditSeq: z.int().min(1),
  }),
  'What was erased, when, and the seq of the one agent.erase audit entry that records it.',
);

export const AgentCountsQuery = z.strictObject({
  limit: intQuery(1, 10_000, '1..10000 (default 1000).').optional(),
});
export const AgentCounts = named(
  'AgentMemoryCounts',
  z.object({ agents: z.array(z.object({ agentId: z.string(), count: z.int().min(0) }) satisfies z.ZodType<C.AgentMemoryCount>) }),
  'The agents that have memories, most first (then by agentId).',
);

export const MemoryPage = named(
  'MemoryPage',
  z.object({ items: z.array(MemoryRecord), nextCursor: z.string().optional() }) satisfies z.ZodType<C.MemoryPage>,
  'One page of memories; nextCursor when more may follow.',
);

export const RecallResponse = named('RecallResponse', z.object({ results: z.array(RecalledMemory) }));

const RESULTS_KEY = new Set(['results']);
const MEMORY_RECORD_KEYS = new Set(Object.keys(MemoryRecord.shape));
const RECALLED_KEYS = new Set(Object.keys(RecalledMemory.shape));
const EXPLANATION_KEYS = new Set(['vectorRank', 'vectorSimilarity', 'keywordRank', 'keywordScore', 'rrfK', 'vectorSearch']);
const SOURCES: ReadonlySet<unknown> = new Set(C.MEMORY_SOURCES);
const isString = (v: unknown): v is string => typeof v === 'string';

/** MemoryRecord, plainly valid (only its own keys, each of its type). */
function isMemoryRecord(m: unknown): boolean {
  if (!isPlainObject(m) || !onlyKnownKeys(m, MEMORY_RECORD_KEYS)) return false;
  return (
    isString(m['id']) &&
    isString(m['agentId']) &&
    isString(m['content']) &&
    SOURCES.has(m['source']) &&
    isString(m['scope']) &&
    isPlainObject(m['metadata']) &&
    isJsonValue(m['metadata']) &&
    isNumber(m['confidence']) &&
    isEpochMs(m['createdAt']) &&
    isEpochMs(m['accessedAt']) &&
    isInt(m['accessCount']) &&
    (m['supersededBy'] === undefined || isString(m['supersededBy'])) &&
    (m['embedding'] === undefined || isNumberArray(m['embedding'])) &&
    (m['key'] === undefined || isString(m['key'])) &&
    (m['expiresAt'] === undefined || isEpochMs(m['expiresAt']))
  );
}

function isExplanation(e: unknown): boolean {
  if (!isPlainObject(e) || !onlyKnownKeys(e, EXPLANATION_KEYS)) return false;
  return (
    (e['vectorRank'] === undefined || isInt(e['vectorRank'])) &&
    (e['vectorSimilarity'] === undefined || isNumber(e['vectorSimilarity'])) &&
    (e['keywordRank'] === undefined || isInt(e['keywordRank'])) &&
    (e['keywordScore'] === undefined || isNumber(e['keywordScore'])) &&
    (e['rrfK'] === undefined || isNumber(e['rrfK'])) &&
    (e['vectorSearch'] === undefined || e['vectorSearch'] === 'exact' || e['vectorSearch'] === 'approximate')
  );
}

/** RecallResponse's fast path (src/wire/fast-path.ts): the answer as it is when every part is plainly valid. */
withFastPath(RecallResponse, (v) => {
  if (!isPlainObject(v) || !onlyKnownKeys(v, RESULTS_KEY)) return undefined;
  const results = v['results'];
  if (!Array.isArray(results)) return undefined;
  for (const r of results as unknown[]) {
    if (!isPlainObject(r) || !onlyKnownKeys(r, RECALLED_KEYS)) return undefined;
    if (!isMemoryRecord(r['memory']) || !isNumber(r['score']) || !RECALL_MODES.has(r['matchedBy'])) return undefined;
    if (r['explanation'] !== undefined && !isExplanation(r['explanation'])) return undefined;
  }
  return v as z.output<typeof RecallResponse>;
});
export const GetManyBody = named('GetMany', z.strictObject({ ids: z.array(Id).max(LIMITS.maxRecallLimit) }), `At most ${LIMITS.maxRecallLimit} ids.`);
export const MemoryList = named('MemoryList', z.object({ memories: z.array(MemoryRecord) }), 'The memories asked for that exist, in the order asked.');
export const IdsResponse = named('IdsResponse', z.object({ ids: z.array(z.string()) }));
export const EmbeddingBody = named('EmbeddingBody', z.strictObject({ embedding: Vector }));

/** What a change to one memory reports: whose memory it was (the caller's audit entry names it). */
export const MemoryOwner = named('MemoryOwner', z.object({ agentId: z.string() }), 'The agent the changed memory belongs to.');

export const ForgetResponse = named(
  'ForgetResponse',
  z.object({ deleted: z.boolean(), agentId: z.string().optional().describe('The owner of the removed memory (when one was removed).') }),
  'Whether a memory was removed, and whose it was.',
);

export const ConsolidationBody = named('ConsolidationOptions', z.strictObject({ dryRun: z.boolean().optional() }));
export const ConsolidationReport = named(
  'ConsolidationReport',
  z.object({ decayed: z.int(), merged: z.int(), expired: z.int().min(0), durationMs: z.number(), dryRun: z.boolean() }) satisfies z.ZodType<CC.ConsolidationReport>,
);

export const VectorSpaceSchema = named(
  'VectorSpace',
  z.object({ dimensions: z.int().min(1).max(LIMITS.maxDimensions), embedderId: z.string().min(1) }),
  'A store\'s fixed vector space: the dimension and the embedder (or `caller`).',
);
export const MemoryExportQuery = named(
  'MemoryExportQuery',
  z.strictObject({
    cursor: z.string().max(4096).optional().describe('The cursor the previous page returned; absent for the first page.'),
    limit: z.int().min(1).max(1000),
    agentIds: z.array(Id).max(10_000).optional().describe('Only these agents\' memories (default: every agent).'),
    count: z.boolean().optional().describe('Also answer `total`: how many memories every page together holds.'),
  }),
  'A page of the export of memories as stored: merged and expired ones too, with vectors.',
);
export const MemoryExportPage = named(
  'MemoryExportPage',
  z.object({ rows: z.array(MemoryRecord), cursor: z.string().optional(), vectorSpace: VectorSpaceSchema.nullable(), total: z.int().min(0).optional() }),
  'Memories as stored, the next page\'s cursor (absent after the last), and the store\'s vector space.',
);
export const MemoryImportBody = named(
  'MemoryImport',
  z.strictObject({
    rows: z.array(MemoryRecord).max(1000),
    overwrite: z.boolean(),
    vectorSpace: VectorSpaceSchema.optional().describe('The archive\'s vector space: fixed first when the store has none (VALIDATION when incompatible).'),
  }),
  'Memories written exactly as given (id, key, timestamps, access counts, merges, expiry, vector), in one unit where the engine can.',
);
export const MemoryImportResult = named(
  'MemoryImportResult',
  z.object({ outcomes: z.array(z.enum(['created', 'replaced', 'existing'])) }),
  'One outcome per row, in order: created, replaced (overwrite), or existing (left alone).',
);
