import pgvector from 'pgvector';
import type { ListScope } from '../../contracts/semantic-backend.js';
import { KEYWORD_SHORTLIST } from '../sql/sql-keyword-stats.js';
import { memoryRecordFromRow, type MemoryRowBase } from '../semantic-row.js';
import type { FilterField, FilterNode, FilterRangeOp } from '../../contracts/memory-filter.js';
import type { MemoryRecord } from '../../contracts/semantic-store.js';

/**
 * SQL for the pgvector semantic backend: table names qualified with the schema (never relying on
 * the session's search_path), filter clauses with bound parameters only, the vector-column DDL for a
 * dimension, and the vector / keyword (BM25 over memory_terms) / hybrid search statements.
 * Exported so tests and benchmarks can EXPLAIN or time exactly what the backend runs.
 */

/** pgvector's HNSW limits: `vector` indexes up to 2,000 dimensions, `halfvec` up to 4,000. */
export const VECTOR_MAX_INDEXED_DIMS = 2000;
export const HALFVEC_MAX_INDEXED_DIMS = 4000;
/** HNSW parameters (`[memory.postgres] hnsw_m`, `hnsw_ef_construction`, `hnsw_ef_search`). */
export interface HnswParams {
  m: number;
  efConstruction: number;
  /** `hnsw.ef_search`: at least this, at least k, at most pgvector's maximum. */
  efSearch: number;
}
/** The defaults: pgvector's own build parameters, and ef_search 100 (measured: bench/pgvector.bench.ts). */
export const HNSW_DEFAULTS: HnswParams = { m: 16, efConstruction: 64, efSearch: 100 };
export const MAX_EF_SEARCH = 1000;
/** Name of the HNSW index (index names are per schema). */
export const HNSW_INDEX = 'memories_embedding_hnsw';

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The tables of one schema, qualified. */
export interface SemanticTables {
  schema: string;
  memories: string;
  meta: string;
  terms: string;
}

export function semanticTables(schema: string): SemanticTables {
  const s = quoteIdent(schema);
  return { schema, memories: `${s}.memories`, meta: `${s}.semantic_meta`, terms: `${s}.memory_terms` };
}

/** The column type for vectors of `dims` dimensions: `vector` up to 2,000, `halfvec` above. */
export type VectorType = 'vector' | 'halfvec';

export function vectorTypeFor(dims: number): VectorType {
  return dims > VECTOR_MAX_INDEXED_DIMS ? 'halfvec' : 'vector';
}

/**
 * DDL adding the dimensioned vector column and (when pgvector can index that many dimensions) its
 * HNSW index: `embedding` for the current space, another column for a re-embedding's pending one.
 */
export function vectorColumnDdl(t: SemanticTables, dims: number, hnsw: HnswParams = HNSW_DEFAULTS, column = 'embedding', index = HNSW_INDEX): string[] {
  const type = vectorTypeFor(dims);
  const ddl = [`alter table ${t.memories} add column if not exists ${column} ${type}(${dims})`];
  if (dims <= HALFVEC_MAX_INDEXED_DIMS) ddl.push(hnswIndexDdl(t, dims, hnsw, column, index));
  return ddl;
}

/** `create index if not exists … using hnsw (<column> <type>_cosine_ops) with (m = …, ef_construction = …)`. */
export function hnswIndexDdl(t: SemanticTables, dims: number, hnsw: HnswParams = HNSW_DEFAULTS, column = 'embedding', index = HNSW_INDEX): string {
  const type = vectorTypeFor(dims);
  return (
    `create index if not exists ${index} on ${t.memories} using hnsw (${column} ${type}_cosine_ops) ` +
    `with (m = ${Math.trunc(hnsw.m)}, ef_construction = ${Math.trunc(hnsw.efConstruction)})`
  );
}

/** Positional parameters ($1, $2, …) collected while a statement is built. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** pgvector's text form `[x,y,…]` (the `pgvector` package's toSql; float32 values written exactly). */
export function vectorLiteral(vector: Float32Array): string {
  return pgvector.toSql(Array.from(vector)) as string;
}

/** Parses pgvector's text output (vector or halfvec, with the `pgvector` package) into float32 values (as SQLite returns them). */
export function parseVector(text: string): number[] {
  return Array.from(Float32Array.from(pgvector.fromSql(text) as number[]));
}

/**
 * The WHERE conditions (`and …`, alias `m`) for the scope: superseded memories excluded, the agent
 * (unless all agents), and the filter AST (see compileFilter).
 */
export function filterSql(p: Params, agentId: string | undefined, filter: FilterNode, now: number): string {
  const parts = ['m.superseded_by is null', `(m.expires_at is null or m.expires_at > ${p.add(now)}::int8)`];
  if (agentId !== undefined) parts.push(`m.agent_id = ${p.add(agentId)}`);
  if (!(filter.kind === 'const' && filter.value)) parts.push(compileFilter(p, filter));
  return parts.map((c) => ` and ${c}`).join('');
}

const RANGE_SQL: Record<FilterRangeOp, string> = { gt: '>', gte: '>=', lt: '<', lte: '<=' };

/**
 * A SQL boolean (never NULL, so NOT is exact) for the filter AST (alias `m`). Every path and value is
 * a bound parameter: a metadata path is a text[] of segments (`m.metadata #> $n::text[]`). The value
 * there offers its scalars to eq / in / range: itself, or its elements when it is an array (an
 * object offers none); eq / in compare jsonb values (so 1 = 1.0, 1 ≠ "1", true ≠ 1), ranges only
 * numbers.
 */
export function compileFilter(p: Params, node: FilterNode): string {
  switch (node.kind) {
    case 'const':
      return node.value ? 'true' : 'false';
    case 'and':
    case 'or':
      return `(${node.of.map((n) => compileFilter(p, n)).join(node.kind === 'and' ? ' and ' : ' or ')})`;
    case 'not':
      return `(not ${compileFilter(p, node.of)})`;
    default:
      return 'field' in node.path ? fieldLeaf(p, node, node.path.field) : metadataLeaf(p, node, node.path.metadata);
  }
}

type Leaf = Extract<FilterNode, { path: unknown }>;

/** Built-in columns (never null); core folded values of another type away. Numbers compare as float8. */
function fieldLeaf(p: Params, node: Leaf, field: FilterField): string {
  const text = field === 'source' || field === 'scope';
  const column = text ? `m.${field}` : field === 'confidence' ? 'm.confidence::float8' : 'm.created_at::float8';
  switch (node.kind) {
    case 'eq':
      return `${column} = ${p.add(node.value)}${text ? '::text' : '::float8'}`;
    case 'in':
      return `${column} = any(${p.add([...node.values])}${text ? '::text[]' : '::float8[]'})`;
    case 'range':
      return `${column} ${RANGE_SQL[node.op]} ${p.add(node.value)}::float8`;
    case 'exists':
      return 'true';
  }
}

function metadataLeaf(p: Params, node: Leaf, segments: readonly string[]): string {
  const x = `(m.metadata #> ${p.add([...segments])}::text[])`;
  if (node.kind === 'exists') return `coalesce(jsonb_typeof(${x}) <> 'null' and ${x} <> '[]'::jsonb, false)`;
  const elements = `jsonb_array_elements(case when jsonb_typeof(${x}) = 'array' then ${x} else jsonb_build_array(${x}) end)`;
  let test: string;
  switch (node.kind) {
    case 'eq':
      test = `e = ${p.add(JSON.stringify(node.value))}::jsonb`;
      break;
    case 'in':
      test = `e in (select jsonb_array_elements(${p.add(JSON.stringify(node.values))}::jsonb))`;
      break;
    case 'range':
      test = `case when jsonb_typeof(e) = 'number' then e::float8 ${RANGE_SQL[node.op]} ${p.add(node.value)}::float8 else false end`;
      break;
  }
  return `exists (select 1 from ${elements} e where ${test})`;
}

/** `hnsw.ef_search` for k results: max(ef_search, k), capped at pgvector's 1,000 (the iterative scan goes beyond it). */
export function efSearchFor(k: number, efSearch: number = HNSW_DEFAULTS.efSearch): number {
  return Math.min(MAX_EF_SEARCH, Math.max(Math.trunc(efSearch), k));
}

/**
 * The SET LOCAL statements run before a search (in its transaction): `hnsw.ef_search` for k and
 * `hnsw.iterative_scan = relaxed_order`, so a filtered ANN query keeps walking the graph until k
 * matching rows are found instead of returning fewer. Every search filters (superseded rows at
 * least), so it is always on. Without iterative scans (pgvector < 0.8) the index is bypassed for the
 * query instead (exact scan): never fewer rows than match.
 */
export function searchSettings(k: number, iterativeScan: boolean, efSearch: number = HNSW_DEFAULTS.efSearch): string {
  return iterativeScan
    ? `set local hnsw.ef_search = ${efSearchFor(k, efSearch)}; set local hnsw.iterative_scan = relaxed_order`
    : 'set local enable_indexscan = off';
}

/** Bounded k for SQL LIMIT. */
export function limitOf(k: number): number {
  return Math.max(1, Math.trunc(k));
}

/**
 * The approximate-nearest-neighbour CTE body: the k nearest memories matching the scope, by cosine
 * distance, through the HNSW index (ORDER BY the distance alone, so the index can drive it).
 */
function knnSql(t: SemanticTables, type: VectorType, p: Params, vector: Float32Array, where: string, k: number): string {
  const q = `${p.add(vectorLiteral(vector))}::${type}`;
  return (
    `select m.id as id, m.embedding <=> ${q} as distance from ${t.memories} m ` +
    `where m.embedding is not null${where} order by m.embedding <=> ${q} limit ${p.add(limitOf(k))}`
  );
}

/**
 * BM25 over memory_terms: every posting of the query's terms for the scope's agent (found through
 * the (term, agent, memory) key: `term = any(…)`), weighted by the term's IDF (computed by the
 * caller: backends/sql/sql-keyword-stats.ts), summed per memory from the postings alone; then the
 * memories rows of the best k × 2 + KEYWORD_SHORTLIST are read and filtered — when k of those pass they are the
 * filtered top k (any other scores lower), otherwise (a selective filter) every scored memory is
 * filtered instead, in the same statement. Ties: id in "C" order. Rows: id, score (raw BM25).
 */
function keywordSql(t: SemanticTables, p: Params, agentId: string | undefined, idf: Record<string, number>, where: string, k: number): string {
  const terms = p.add(Object.keys(idf));
  const agent = agentId === undefined ? '' : ` and mt.agent_id = ${p.add(agentId)}`;
  const limit = p.add(limitOf(k));
  const scored =
    `select mt.memory_id as id, sum(mt.weight * q.idf) as score from ${t.terms} mt ` +
    `join unnest(${terms}::text[], ${p.add(Object.values(idf))}::float8[]) as q(term, idf) on q.term = mt.term ` +
    `where mt.term = any(${terms}::text[])${agent} group by mt.memory_id`;
  const short =
    `select s.id, s.score from (select id, score from scored order by score desc, id collate "C" limit ${p.add(limitOf(k) * 2 + KEYWORD_SHORTLIST)}) s ` +
    `join ${t.memories} m on m.id = s.id where true${where}`;
  return (
    `with scored as materialized (${scored}), short as materialized (${short}) select r.id, r.score from (` +
    `select id, score from short where (select count(*) from short) >= ${limit} ` +
    `union all select s.id, s.score from scored s join ${t.memories} m on m.id = s.id where (select count(*) from short) < ${limit}${where}` +
    `) r order by r.score desc, r.id collate "C" limit ${limit}`
  );
}

export interface Statement {
  text: string;
  values: unknown[];
}

export interface SearchArgs {
  agentId: string | undefined;
  filter: FilterNode;
  k: number;
  /** Memories expired at this instant are left out. */
  now: number;
}

/** How many memories of the scope match. Rows: n. */
export function countSql(t: SemanticTables, scope: Omit<SearchArgs, 'k'>): Statement {
  const p = new Params();
  const where = filterSql(p, scope.agentId, scope.filter, scope.now);
  return { text: `select count(*)::int8 as n from ${t.memories} m where true${where}`, values: p.values };
}

/**
 * Deletes what countSql counts and the memories merged into those, in one statement (a
 * data-modifying CTE runs whether or not the outer query reads it). Rows: id, agent_id of the
 * memories the scope matched.
 */
export function deleteWhereSql(t: SemanticTables, scope: Omit<SearchArgs, 'k'>): Statement {
  const p = new Params();
  const where = filterSql(p, scope.agentId, scope.filter, scope.now);
  return {
    text:
      `with matched as (select m.id, m.agent_id from ${t.memories} m where true${where}), ` +
      `gone as (delete from ${t.memories} d where d.id in (select id from matched) or d.superseded_by in (select id from matched) returning d.id) ` +
      'select id, agent_id from matched',
    values: p.values,
  };
}

/** A keyset page on (created_at, id collate "C"): ties by id ascending in both orders. Rows: MEMORY_COLUMNS. */
export function listSql(t: SemanticTables, scope: ListScope): Statement {
  const p = new Params();
  const where = filterSql(p, scope.agentId, scope.filter, scope.now);
  const dir = scope.order === 'asc' ? 'asc' : 'desc';
  let keyset = '';
  if (scope.after !== undefined) {
    const at = p.add(scope.after.createdAt);
    keyset = ` and (m.created_at ${dir === 'asc' ? '>' : '<'} ${at}::int8 or (m.created_at = ${at}::int8 and m.id collate "C" > ${p.add(scope.after.id)}))`;
  }
  const text =
    `select ${MEMORY_COLUMNS} from ${t.memories} m where true${where}${keyset} ` +
    `order by m.created_at ${dir}, m.id collate "C" asc limit ${p.add(limitOf(scope.limit))}`;
  return { text, values: p.values };
}

/**
 * Vector search: the k nearest by cosine distance, materialised then re-sorted (an iterative
 * `relaxed_order` scan may return them slightly out of order). Rows: id, distance.
 */
export function vectorSearchSql(t: SemanticTables, type: VectorType, scope: SearchArgs, vector: Float32Array): Statement {
  const p = new Params();
  const where = filterSql(p, scope.agentId, scope.filter, scope.now);
  const text = `with knn as materialized (${knnSql(t, type, p, vector, where, scope.k)}) select id, distance from knn order by distance, id collate "C"`;
  return { text, values: p.values };
}

/** Keyword search: raw BM25 with the IDFs given (backends/sql/sql-keyword-stats.ts). Rows: id, score. */
export function keywordSearchSql(t: SemanticTables, scope: SearchArgs, idf: Record<string, number>): Statement {
  const p = new Params();
  const where = filterSql(p, scope.agentId, scope.filter, scope.now);
  return { text: keywordSql(t, p, scope.agentId, idf, where, scope.k), values: p.values };
}

/**
 * Hybrid search in ONE statement: a vector CTE (HNSW) and a keyword CTE (GIN), the same filters in
 * both, ranked with row_number and fused by Reciprocal Rank Fusion over a full outer join on id:
 * score = Σ 1 / (rrfK + rank), double precision. Ties break like core's fusion: the better single
 * rank, then id. Rows: id, score, vector_rank, vector_score, keyword_rank, keyword_score (nulls
 * where a signal did not find the memory). Without keyword IDFs only the vector side runs.
 */
export function hybridSearchSql(
  t: SemanticTables,
  type: VectorType,
  scope: SearchArgs,
  vector: Float32Array,
  idf: Record<string, number> | undefined,
  rrfK: number,
): Statement {
  const p = new Params();
  const where = filterSql(p, scope.agentId, scope.filter, scope.now);
  const knn = knnSql(t, type, p, vector, where, scope.k);
  const kw = idf === undefined ? `select null::text as id, null::float8 as score where false` : keywordSql(t, p, scope.agentId, idf, where, scope.k);
  const rrf = `${p.add(rrfK)}::float8`;
  const text =
    `with knn as materialized (${knn}), ` +
    `vr as (select id, 1 - distance as score, row_number() over (order by distance, id collate "C") as rank from knn), ` +
    `kw as materialized (${kw}), ` +
    `kr as (select id, score, row_number() over (order by score desc, id collate "C") as rank from kw) ` +
    `select coalesce(vr.id, kr.id) as id, ` +
    `coalesce(1 / (${rrf} + vr.rank), 0) + coalesce(1 / (${rrf} + kr.rank), 0) as score, ` +
    `vr.rank as vector_rank, vr.score as vector_score, kr.rank as keyword_rank, kr.score as keyword_score ` +
    `from vr full outer join kr on vr.id = kr.id ` +
    `order by score desc, least(coalesce(vr.rank, kr.rank), coalesce(kr.rank, vr.rank)), coalesce(vr.id, kr.id) collate "C" ` +
    `limit ${p.add(limitOf(scope.k))}`;
  return { text, values: p.values };
}

/** The columns every memory read selects (alias `m`). */
export const MEMORY_COLUMNS =
  'm.id as id, m.agent_id as agent_id, m.content as content, m.source as source, m.scope as scope, m.metadata as metadata, ' +
  'm.confidence as confidence, m.created_at as created_at, m.accessed_at as accessed_at, m.access_count as access_count, ' +
  'm.superseded_by as superseded_by, m.key as key, m.expires_at as expires_at';

export interface MemoryRow extends MemoryRowBase {
  /** pgvector text, when selected and present. */
  embedding?: string | null;
}

export function toRecord(row: MemoryRow): MemoryRecord {
  const record = memoryRecordFromRow(row);
  if (typeof row.embedding === 'string') record.embedding = parseVector(row.embedding);
  return record;
}
