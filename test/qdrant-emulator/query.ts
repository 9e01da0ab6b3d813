/**
 * The Query API. Planning checked against qdrant/qdrant:
 * - lib/shard/src/query/planned_query.rs: the request filter is merged into every prefetch
 *   (and from there into nested ones); a leaf search uses its own limit and score_threshold;
 *   the root asks for limit + offset and the offset is cut afterwards.
 * - lib/collection/src/collection/query.rs: fusion at the root, then score_threshold (score ≥ t).
 * - lib/collection/src/operations/universal_query/collection_query.rs: request checks; a point id
 *   used as a query is looked up and excluded from the results.
 * - lib/segment/src/common/reciprocal_rank_fusion.rs: RRF.
 */
import type { Schemas } from '@qdrant/js-client-rest';
import type { Collection, StoredPoint } from './collection.js';
import { badInput, badRequest, formatError, notFound, unsupported, vectorNameNotExists } from './errors.js';
import { andFilters, type Filter } from './filter.js';
import { compareIds, parsePointId, type PointId } from './ids.js';
import { isObject } from './json-path.js';
import { pointsMatching, showPayload, showVector } from './read.js';
import { applyIdf, sparseScore } from './sparse.js';
import { denseScore, isSparse, parseSparse, prepareDense, smallerIsBetter, type SparseVector } from './vectors.js';

type Stage = Schemas['QueryRequest'] | Schemas['Prefetch'];
interface Scored {
  point: StoredPoint;
  score: number;
}
type Resolved =
  | { kind: 'none' }
  | { kind: 'rrf'; k: number; weights: number[] | undefined }
  | { kind: 'dense'; using: string; vector: number[]; ascending: boolean; distance: Schemas['Distance'] }
  | { kind: 'sparse'; using: string; vector: SparseVector };
interface Plan {
  query: Resolved;
  filter: Filter | undefined;
  prefetch: Plan[];
  limit: number;
  threshold: number | undefined;
}

/** Default RRF k, as DEFAULT_RRF_K in reciprocal_rank_fusion.rs. */
const DEFAULT_RRF_K = 2;

const asList = <T>(value: T | T[] | null | undefined | Record<string, unknown>): T[] =>
  value === undefined || value === null ? [] : Array.isArray(value) ? value : [value as T];

export function runQuery(collection: Collection, request: Schemas['QueryRequest']): Schemas['QueryResponse'] {
  const limit = request.limit ?? 10;
  const offset = request.offset ?? 0;
  const excluded = new Set<PointId>();
  const plan = resolve(collection, request, limit + offset, excluded);
  const results = execute(collection, plan, undefined, excluded).slice(offset);
  return {
    points: results.map(({ point, score }) => {
      const out: Schemas['ScoredPoint'] = { id: point.id, version: point.version, score };
      const payload = showPayload(point.payload, request.with_payload, false);
      if (payload !== undefined) out.payload = payload;
      const vector = showVector(point, request.with_vector, false);
      if (vector !== undefined) out.vector = vector;
      return out;
    }),
  };
}

function resolve(collection: Collection, stage: Stage, limit: number, excluded: Set<PointId>): Plan {
  const prefetches = asList<Schemas['Prefetch']>(stage.prefetch);
  const using = stage.using ?? '';
  const query = resolveQuery(collection, stage.query, using, excluded);
  if (prefetches.length > 0 && query.kind === 'none') {
    throw badRequest('A query is needed to merge the prefetches. Can\'t have prefetches without defining a query.');
  }
  const threshold = stage.score_threshold ?? undefined;
  if (threshold !== undefined && query.kind === 'none') {
    throw badRequest('A query is needed to use the score_threshold. Can\'t have score_threshold without defining a query.');
  }
  if (query.kind === 'rrf' && stage.using !== undefined && stage.using !== null && stage.using !== '') {
    throw badRequest("Fusion queries cannot be combined with the 'using' field.");
  }
  if (query.kind === 'rrf' && prefetches.length === 0) throw badInput('Validation failed: cannot apply Fusion without prefetches');
  if (query.kind === 'rrf' && query.weights !== undefined && query.weights.length !== prefetches.length) {
    throw badInput(
      `Validation failed: Number of weights in RRF should match number of pre-fetches: got ${query.weights.length}, expected ${prefetches.length}`,
    );
  }
  return {
    query,
    filter: (stage.filter ?? undefined) as Filter | undefined,
    prefetch: prefetches.map((p) => resolve(collection, p, p.limit ?? 10, excluded)),
    limit,
    threshold,
  };
}

function resolveQuery(collection: Collection, input: unknown, using: string, excluded: Set<PointId>): Resolved {
  if (input === undefined || input === null) return { kind: 'none' };
  if (isObject(input) && 'nearest' in input) {
    if (input.mmr !== undefined && input.mmr !== null) throw unsupported('MMR');
    return resolveQuery(collection, input.nearest, using, excluded);
  }
  if (isObject(input) && 'fusion' in input) {
    if (input.fusion === 'rrf') return { kind: 'rrf', k: DEFAULT_RRF_K, weights: undefined };
    if (input.fusion === 'dbsf') throw unsupported('DBSF fusion');
    throw formatError(`unknown variant \`${String(input.fusion)}\`, expected \`rrf\` or \`dbsf\``);
  }
  if (isObject(input) && 'rrf' in input) {
    const rrf = isObject(input.rrf) ? input.rrf : {};
    const k = typeof rrf.k === 'number' ? rrf.k : DEFAULT_RRF_K;
    const weights = Array.isArray(rrf.weights) ? rrf.weights.map(Number) : undefined;
    return { kind: 'rrf', k, weights };
  }
  if (Array.isArray(input) && input.every((x) => typeof x === 'number')) return denseQuery(collection, input, using);
  if (Array.isArray(input)) throw unsupported('Multivector queries');
  if (isObject(input) && 'indices' in input) return sparseQuery(collection, parseSparse(input, 'query'), using);
  if (typeof input === 'string' || typeof input === 'number') return pointQuery(collection, parsePointId(input), using, excluded);
  if (isObject(input)) throw unsupported(`Query ${Object.keys(input).join(', ')}`);
  throw formatError('query: unrecognised query');
}

function missingVectorName(collection: Collection, using: string): Error {
  if (using === '') {
    const names = [...collection.schema.dense.keys(), ...collection.schema.sparse.keys()].join(', ');
    return badInput(`Collection requires specified vector name in the request, available names: ${names}`);
  }
  return vectorNameNotExists(using);
}

function denseQuery(collection: Collection, vector: number[], using: string): Resolved {
  const params = collection.schema.dense.get(using);
  if (params === undefined) {
    if (collection.schema.sparse.has(using)) throw badInput('Conversion between sparse and regular vectors failed');
    throw missingVectorName(collection, using);
  }
  if (vector.length !== params.size) throw badInput(`Vector dimension error: expected dim: ${params.size}, got ${vector.length}`);
  return { kind: 'dense', using, vector: prepareDense(vector, params.distance), ascending: smallerIsBetter(params.distance), distance: params.distance };
}

function sparseQuery(collection: Collection, vector: SparseVector, using: string): Resolved {
  const params = collection.schema.sparse.get(using);
  if (params === undefined) {
    if (collection.schema.dense.has(using)) throw badInput('Conversion between sparse and regular vectors failed');
    throw missingVectorName(collection, using);
  }
  if (params.modifier !== 'idf') return { kind: 'sparse', using, vector };
  const corpus: SparseVector[] = [];
  for (const point of collection.points.values()) {
    const v = point.vectors.get(using);
    if (v !== undefined && isSparse(v)) corpus.push(v);
  }
  return { kind: 'sparse', using, vector: applyIdf(vector, corpus) };
}

function pointQuery(collection: Collection, id: PointId, using: string, excluded: Set<PointId>): Resolved {
  const point = collection.points.get(id);
  if (point === undefined) throw notFound(`No point with id ${id} found`);
  const vector = point.vectors.get(using);
  if (vector === undefined) throw badInput(`Vector \`${using}\` of point ${id} is missing`);
  excluded.add(id);
  return isSparse(vector) ? sparseQuery(collection, vector, using) : denseQuery(collection, vector, using);
}

function score(query: Resolved, point: StoredPoint): number | undefined {
  if (query.kind !== 'dense' && query.kind !== 'sparse') return undefined;
  const v = point.vectors.get(query.using);
  if (v === undefined) return undefined;
  if (query.kind === 'sparse') return isSparse(v) ? sparseScore(query.vector, v) : undefined;
  return isSparse(v) ? undefined : denseScore(query.distance, query.vector, v);
}

const byScore = (ascending: boolean) => (a: Scored, b: Scored) =>
  (ascending ? a.score - b.score : b.score - a.score) || compareIds(a.point.id, b.point.id);

function rank(query: Resolved, candidates: StoredPoint[], plan: Plan): Scored[] {
  const ascending = query.kind === 'dense' && query.ascending;
  const scored: Scored[] = [];
  for (const point of candidates) {
    const s = score(query, point);
    if (s === undefined) continue;
    if (plan.threshold !== undefined && (ascending ? s > plan.threshold : s < plan.threshold)) continue;
    scored.push({ point, score: s });
  }
  return scored.sort(byScore(ascending)).slice(0, plan.limit);
}

function execute(collection: Collection, plan: Plan, inherited: Filter | undefined, excluded: Set<PointId>): Scored[] {
  const filter = andFilters(inherited, plan.filter);
  if (plan.prefetch.length === 0) {
    const candidates = pointsMatching(collection, filter).filter((p) => !excluded.has(p.id));
    if (plan.query.kind === 'none') {
      return candidates.sort((a, b) => compareIds(a.id, b.id)).slice(0, plan.limit).map((point) => ({ point, score: 0 }));
    }
    return rank(plan.query, candidates, plan);
  }
  const sources = plan.prefetch.map((p) => execute(collection, p, filter, excluded));
  if (plan.query.kind === 'rrf') {
    const fused = rrf(sources, plan.query.k, plan.query.weights);
    const threshold = plan.threshold;
    return (threshold === undefined ? fused : fused.filter((s) => s.score >= threshold)).slice(0, plan.limit);
  }
  const unique = new Map<PointId, StoredPoint>();
  for (const source of sources) for (const { point } of source) unique.set(point.id, point);
  return rank(plan.query, [...unique.values()], plan);
}

/** Σ 1 / ((position + 1) / weight + k − 1) over the lists a point is in (position 0-based), in f32. */
function rrf(sources: Scored[][], k: number, weights: number[] | undefined): Scored[] {
  const fused = new Map<PointId, Scored>();
  sources.forEach((source, i) => {
    const weight = weights?.[i] ?? 1;
    source.forEach(({ point }, position) => {
      const contribution = weight <= 0 ? 0 : Math.fround(1 / Math.fround(Math.fround((position + 1) / weight) + k - 1));
      const entry = fused.get(point.id);
      if (entry === undefined) fused.set(point.id, { point, score: contribution });
      else entry.score = Math.fround(entry.score + contribution);
    });
  });
  return [...fused.values()].sort(byScore(false));
}
