import { CompiledQuery } from 'kysely';
import { postgresMigrations } from '../../../migrations/postgres/index.js';
import type { ArchivePage, ArchiveRowOutcome, ArchiveWriteOptions } from '../../contracts/archive.js';
import type { BackendHealth } from '../../contracts/health.js';
import type { Owner } from '../../contracts/main-backend.js';
import type { DecayPolicy, DeletedMemory, FilterScope, FusedHit, InsertOutcome, ListScope, MemoryReplacement, NewMemoryRow, ScoredId, SearchScope, SemanticBackend, VectorSpace } from '../../contracts/semantic-backend.js';
import type { AgentMemoryCount, MemoryRecord } from '../../contracts/semantic-store.js';
import type { Logger } from '../../contracts/types.js';
import { redactUrl } from '../../core/redact.js';
import { assertSameSpace, checkDimensions, META_DIMENSIONS, META_EMBEDDER, spaceFromMeta } from '../../core/vector-space.js';
import { queryTerms, termWeights } from '../../core/keyword-score.js';
import { keywordIdfs } from './postgres-keyword-stats.js';
import { ConfigError, ValidationError } from '../../errors.js';
import type { BackendContext } from '../../contracts/backend-plugin.js';
import type { PostgresOptions } from './postgres-options.js';
import { num, optNum, raw } from '../sql/context.js';
import type { SqlExecutor } from '../sql/engine.js';
import { PostgresEngine } from './postgres-engine.js';
import { PostgresVectorSlots } from './postgres-vector-slots.js';
import { ensureVectorExtension, type VectorExtension } from './postgres-semantic-extension.js';
import { decayMemories, mergeDuplicates, ROW_LOCK_ORDER } from './postgres-semantic-maintenance.js';
import {
  countSql,
  deleteWhereSql,
  HALFVEC_MAX_INDEXED_DIMS,
  listSql,
  hybridSearchSql,
  keywordSearchSql,
  MEMORY_COLUMNS,
  searchSettings,
  HNSW_DEFAULTS,
  type HnswParams,
  semanticTables,
  toRecord,
  vectorColumnDdl,
  vectorLiteral,
  vectorSearchSql,
  vectorTypeFor,
  type MemoryRow,
  type SemanticTables,
  type Statement,
  type VectorType,
} from './postgres-semantic-sql.js';

/** The columns an in-place replacement writes (a keyed insert's and `replace`'s), the vector last. */
const REPLACED_COLUMNS = ['content', 'source', 'scope', 'metadata', 'confidence', 'expires_at', 'embedding'] as const;
type ReplacedColumn = (typeof REPLACED_COLUMNS)[number];

/** The SET list of an in-place replacement: each column to `valueOf(column)`; no vector column when the store has none. */
function replaceSet(valueOf: (column: ReplacedColumn) => string, withVector: boolean): string {
  const columns = REPLACED_COLUMNS.filter((c) => withVector || c !== 'embedding');
  return [...columns.map((c) => `${c} = ${valueOf(c)}`), 'superseded_by = null'].join(', ');
}

/** Advisory-lock names (scoped to the schema by the engine). */
const SPACE_LOCK = 'semantic:vector-space';
const MAINTENANCE_LOCK = 'semantic:maintenance';
const DEDUPE_LOCK = 'semantic:dedupe';
/** Rows per multi-row INSERT (10 parameters each; PostgreSQL allows 65,535 per statement). */
const INSERT_CHUNK = 1000;


function stmt<R>(s: Statement): CompiledQuery<R> {
  return raw<R>(s.text, s.values);
}

/**
 * Opens semantic memory on pgvector: its own pool on `semantic_postgres_url` (default
 * `postgres_url`) with `postgres_pool_size` connections on `postgres_schema`, independent of the
 * main backend (which may be SQLite). Probes the server, makes sure the `vector` extension is there
 * (creating it when available), then applies the same PostgreSQL migration set as the main backend.
 * @throws ConfigError without a URL; BackendUnavailableError when the server cannot be reached,
 *   lacks the `vector` extension (the message names it), or a migration fails. Messages carry the
 *   redacted URL only.
 */
export async function openPostgresSemanticBackend(options: PostgresOptions, ctx: BackendContext): Promise<SemanticBackend> {
  const url = options.semanticUrl ?? options.url;
  if (!url) {
    throw new ConfigError('postgres.url or postgres.semantic_url: required when semantic_backend is "postgres"', { backend: 'semantic:postgres' });
  }
  const readOnly = ctx.settings.readOnly === true;
  const engine = await PostgresEngine.open({ url, poolSize: options.poolSize, schema: options.schema, backendName: 'semantic:postgres', readOnly });
  try {
    const extension = await ensureVectorExtension(engine, redactUrl(url));
    if (!readOnly) await engine.migrate(postgresMigrations);
    return await PostgresSemanticBackend.open(engine, {
      logger: ctx.logger,
      extension,
      redactedUrl: redactUrl(url),
      hnsw: { m: options.hnswM, efConstruction: options.hnswEfConstruction, efSearch: options.hnswEfSearch },
    });
  } catch (error) {
    await engine.close().catch(() => {});
    throw error;
  }
}

/**
 * Semantic memory on PostgreSQL + pgvector. Rows in `memories` (schema-qualified in every
 * statement), vectors in a dimensioned `embedding vector(N)` column (`halfvec(N)` above 2,000
 * dimensions) added when the vector space is fixed, searched through an HNSW cosine index with
 * `hnsw.ef_search` and an iterative scan set per query (SET LOCAL, in a transaction) so filters run
 * inside the ANN query; keyword search by BM25 over `memory_terms` with per-agent statistics (core/keyword-score.ts);
 * hybrid search fused with RRF in one SQL statement.
 */
export class PostgresSemanticBackend implements SemanticBackend {
  readonly name = 'postgres';
  private readonly t: SemanticTables;
  /** The fixed space, once known (read from `semantic_meta`; another process may fix it). */
  private space: VectorSpace | undefined;
  private warnedUnindexed = false;
  /** Re-embedding: a pending vector column beside `embedding`, switched to atomically. */
  readonly spaces: PostgresVectorSlots;

  private constructor(
    private readonly engine: PostgresEngine,
    private readonly logger: Logger,
    private readonly extension: VectorExtension,
    private readonly redactedUrl: string,
    private readonly hnsw: HnswParams,
  ) {
    this.t = semanticTables(engine.schema);
    this.spaces = new PostgresVectorSlots({
      name: this.name,
      engine,
      t: this.t,
      lock: SPACE_LOCK,
      hnsw,
      guard: (action, fn) => this.guard(action, fn),
      spaceChanged: (space) => {
        this.space = space;
      },
    });
  }

  /** Wraps a migrated engine (the backend owns it and closes it). */
  static async open(
    engine: PostgresEngine,
    options: { logger: Logger; extension: VectorExtension; redactedUrl: string; hnsw?: HnswParams },
  ): Promise<PostgresSemanticBackend> {
    const backend = new PostgresSemanticBackend(engine, options.logger, options.extension, options.redactedUrl, options.hnsw ?? HNSW_DEFAULTS);
    await backend.vectorSpace();
    return backend;
  }

  /** The fixed vector space from `semantic_meta`, or undefined when none was fixed yet. */
  async vectorSpace(): Promise<VectorSpace | undefined> {
    const rows = await this.guard('read vector space', () => this.readSpace(this.engine));
    if (rows) this.space = rows;
    return rows;
  }

  private async readSpace(db: SqlExecutor): Promise<VectorSpace | undefined> {
    const rows = await db.rows<{ key: string; value: string }>(
      raw(`select key, value from ${this.t.meta} where key in ($1, $2)`, [META_DIMENSIONS, META_EMBEDDER]),
    );
    return spaceFromMeta(rows);
  }

  /**
   * Records the vector space and adds the `embedding vector(N)` column (`halfvec(N)` above 2,000
   * dimensions) with its HNSW index (m = 16, ef_construction = 64, cosine), in one transaction under
   * an advisory lock. Idempotent for the same space (a `caller` space is compatible with any
   * embedder of the same dimension). ValidationError when another space is already fixed.
   */
  async fixVectorSpace(space: VectorSpace): Promise<void> {
    const { dimensions, embedderId } = space;
    checkDimensions(dimensions, this.name);
    const fixed = await this.guard('fix vector space', () =>
      this.engine.transaction(
        async (tx) => {
          const stored = await this.readSpace(tx);
          if (stored) assertSameSpace(stored, space, this.name);
          else {
            await tx.run(
              raw(`insert into ${this.t.meta} (key, value) values ($1, $2), ($3, $4) on conflict (key) do nothing`, [
                META_DIMENSIONS,
                String(dimensions),
                META_EMBEDDER,
                embedderId,
              ]),
            );
          }
          for (const ddl of vectorColumnDdl(this.t, dimensions, this.hnsw)) await tx.run(raw(ddl));
          return stored ?? space;
        },
        { lock: SPACE_LOCK },
      ),
    );
    this.space = fixed;
    this.warnIfUnindexed(dimensions);
  }

  /** The vector column type, re-reading the space when this process has not seen it yet; undefined = no vectors yet. */
  private async vectorType(): Promise<VectorType | undefined> {
    if (!this.space) await this.vectorSpace();
    return this.space ? vectorTypeFor(this.space.dimensions) : undefined;
  }

  private warnIfUnindexed(dims: number): void {
    if (dims > HALFVEC_MAX_INDEXED_DIMS && !this.warnedUnindexed) {
      this.warnedUnindexed = true;
      this.logger.warn({ backend: this.name, dimensions: dims }, `pgvector cannot index more than ${HALFVEC_MAX_INDEXED_DIMS} dimensions: vector recall scans exactly`);
    }
  }

  /**
   * Writes the memories (vectors as pgvector text) in one transaction: plain rows with multi-row
   * INSERTs; a keyed row deletes its expired namesake, then inserts or replaces in place through
   * `on conflict (agent_id, key)`; a dedupe row (the transaction then holds an advisory lock, so
   * concurrent dedupes of one content make one memory) looks for its live twin first.
   */
  async insert(rows: readonly NewMemoryRow[], now: number): Promise<InsertOutcome[]> {
    if (rows.length === 0) return [];
    const withVectors = rows.some((r) => r.embedding !== undefined);
    const type = withVectors || rows.some((r) => r.key !== undefined) ? await this.vectorType() : undefined;
    if (withVectors && type === undefined) throw new ValidationError('no vector space is fixed for this store', { backend: this.name });
    const columns = 'id, agent_id, content, source, scope, metadata, confidence, created_at, accessed_at, access_count, key, expires_at' + (type ? ', embedding' : '');
    const tupleFor = (r: NewMemoryRow, values: unknown[]): string => {
      const n = values.length;
      values.push(r.id, r.agentId, r.content, r.source, r.scope, JSON.stringify(r.metadata), r.confidence, r.createdAt, r.key ?? null, r.expiresAt ?? null);
      let tuple = `($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5}, $${n + 6}::jsonb, $${n + 7}::float8, $${n + 8}::int8, $${n + 8}::int8, 0, $${n + 9}::text, $${n + 10}::int8`;
      if (type) {
        values.push(r.embedding === undefined ? null : vectorLiteral(r.embedding));
        tuple += `, $${n + 11}::${type}`;
      }
      return `${tuple})`;
    };
    const dedupes = rows.some((r) => r.dedupe);
    return this.guard('remember', () =>
      this.engine.transaction(
        async (tx) => {
          const outcomes: InsertOutcome[] = rows.map((r) => ({ id: r.id, outcome: 'created' }));
          const plain = rows.filter((r) => r.key === undefined && !r.dedupe);
          for (let start = 0; start < plain.length; start += INSERT_CHUNK) {
            const values: unknown[] = [];
            const tuples = plain.slice(start, start + INSERT_CHUNK).map((r) => tupleFor(r, values));
            await tx.run(raw(`insert into ${this.t.memories} (${columns}) values ${tuples.join(', ')}`, values));
          }
          for (const [i, r] of rows.entries()) {
            if (r.key !== undefined) {
              await tx.run(raw(`delete from ${this.t.memories} where agent_id = $1 and key = $2 and expires_at <= $3::int8`, [r.agentId, r.key, now]));
              const values: unknown[] = [];
              const tuple = tupleFor(r, values);
              const set = replaceSet((column) => `excluded.${column}`, type !== undefined);
              const row = await tx.first<{ id: string; created: boolean }>(
                raw(`insert into ${this.t.memories} (${columns}) values ${tuple} on conflict (agent_id, key) where key is not null do update set ${set} returning id, (xmax = 0) as created`, values),
              );
              if (!row) throw new ValidationError('the keyed write returned no row', { backend: this.name });
              outcomes[i] = { id: row.id, outcome: row.created ? 'created' : 'updated' };
            } else if (r.dedupe) {
              const twin = await tx.first<{ id: string }>(
                raw(
                  `select id from ${this.t.memories} where agent_id = $1 and scope = $2 and md5(content) = md5($3) and content = $3 ` +
                    'and superseded_by is null and (expires_at is null or expires_at > $4::int8) order by created_at, id collate "C" limit 1',
                  [r.agentId, r.scope, r.content, now],
                ),
              );
              if (twin) outcomes[i] = { id: twin.id, outcome: 'existing' };
              else {
                const values: unknown[] = [];
                await tx.run(raw(`insert into ${this.t.memories} (${columns}) values ${tupleFor(r, values)}`, values));
              }
            }
          }
          // Keyword terms of every memory written (a replaced one's old terms go first).
          const written = rows.flatMap((r, i) => {
            const o = outcomes[i] as InsertOutcome;
            return o.outcome === 'existing' ? [] : [{ id: o.id, agentId: r.agentId, content: r.content, replaced: o.outcome === 'updated' }];
          });
          const replaced = written.filter((w) => w.replaced).map((w) => w.id);
          if (replaced.length > 0) await tx.run(raw(`delete from ${this.t.terms} where memory_id = any($1::text[])`, [replaced]));
          const terms: string[] = [];
          const agents: string[] = [];
          const ids: string[] = [];
          const weights: number[] = [];
          for (const w of written) {
            for (const [term, weight] of termWeights(w.content)) {
              terms.push(term);
              agents.push(w.agentId);
              ids.push(w.id);
              weights.push(weight);
            }
          }
          if (terms.length > 0) {
            await tx.run(
              raw(
                `insert into ${this.t.terms} (term, agent_id, memory_id, weight) select * from unnest($1::text[], $2::text[], $3::text[], $4::float8[])`,
                [terms, agents, ids, weights],
              ),
            );
          }
          return outcomes;
        },
        dedupes ? { lock: DEDUPE_LOCK } : undefined,
      ),
    );
  }

  /**
   * Changes the given fields of a live, unmerged memory in one statement (the same assignments as a
   * keyed insert; the generated tsvector follows the content). The updated record, with its vector.
   */
  async replace(id: string, fields: MemoryReplacement, now: number): Promise<MemoryRecord | undefined> {
    const type = await this.vectorType();
    if (fields.embedding && type === undefined) throw new ValidationError('no vector space is fixed for this store', { backend: this.name });
    const values: unknown[] = [id, now];
    const param = (value: unknown, cast: string): string => {
      values.push(value);
      return `$${values.length}::${cast}`;
    };
    const given: Record<ReplacedColumn, () => string | undefined> = {
      content: () => (fields.content === undefined ? undefined : param(fields.content, 'text')),
      source: () => (fields.source === undefined ? undefined : param(fields.source, 'text')),
      scope: () => (fields.scope === undefined ? undefined : param(fields.scope, 'text')),
      metadata: () => (fields.metadata === undefined ? undefined : param(JSON.stringify(fields.metadata), 'jsonb')),
      confidence: () => (fields.confidence === undefined ? undefined : param(fields.confidence, 'float8')),
      expires_at: () => (fields.expiresAt === undefined ? undefined : param(fields.expiresAt, 'int8')),
      embedding: () => (fields.embedding === undefined ? undefined : param(fields.embedding === null ? null : vectorLiteral(fields.embedding), type as string)),
    };
    const set = replaceSet((column) => given[column]() ?? `m.${column}`, type !== undefined);
    const columns = type ? `${MEMORY_COLUMNS}, m.embedding::text as embedding` : MEMORY_COLUMNS;
    const row = await this.guard('update memory', () =>
      this.engine.transaction(async (tx) => {
        const updated = await tx.first<MemoryRow>(
          raw(
            `update ${this.t.memories} m set ${set} where m.id = $1 and m.superseded_by is null and (m.expires_at is null or m.expires_at > $2::int8) returning ${columns}`,
            values,
          ),
        );
        if (updated && fields.content !== undefined) {
          // New content, new keyword terms.
          await tx.run(raw(`delete from ${this.t.terms} where memory_id = $1`, [id]));
          const weights = [...termWeights(fields.content)];
          if (weights.length > 0) {
            await tx.run(
              raw(
                `insert into ${this.t.terms} (term, agent_id, memory_id, weight) select t.term, $1, $2, t.weight from unnest($3::text[], $4::float8[]) as t(term, weight)`,
                [updated.agent_id, id, weights.map((w) => w[0]), weights.map((w) => w[1])],
              ),
            );
          }
        }
        return updated;
      }),
    );
    return row ? toRecord(row) : undefined;
  }

  /** Deletes every memory expired at `now` (and what merged into one), in one statement. */
  async purgeExpired(now: number): Promise<number> {
    return this.guard('purge expired memories', () =>
      this.engine.run(
        raw(
          `delete from ${this.t.memories} where (expires_at is not null and expires_at <= $1::int8) ` +
            `or superseded_by in (select id from ${this.t.memories} where expires_at is not null and expires_at <= $1::int8)`,
          [now],
        ),
      ),
    );
  }

  /**
   * Runs a search statement in a transaction that first sets, for it alone (SET LOCAL),
   * `hnsw.ef_search` = max(100, k) (≤ 1,000) and `hnsw.iterative_scan = relaxed_order` (see
   * searchSettings), so filtered ANN returns k rows whenever k match (up to `hnsw.max_scan_tuples`).
   */
  private searchTx<R>(action: string, k: number, statement: Statement): Promise<R[]> {
    const settings = searchSettings(k, this.extension.iterativeScan, this.hnsw.efSearch);
    return this.guard(action, () =>
      this.engine.transaction(async (tx) => {
        await tx.run(raw(settings));
        return tx.rows<R>(stmt<R>(statement));
      }),
    );
  }

  /**
   * The k nearest memories to `vector` among those matching the scope (approximate: HNSW with an
   * iterative scan; every filter inside the query). score = 1 − cosine distance.
   */
  async vectorSearch(scope: SearchScope, vector: Float32Array): Promise<ScoredId[]> {
    const type = await this.vectorType();
    if (type === undefined) return [];
    const rows = await this.searchTx<{ id: string; distance: number }>('vector recall', scope.k, vectorSearchSql(this.t, type, scope, vector));
    return rows.map((r) => ({ id: r.id, score: 1 - num(r.distance) }));
  }

  /**
   * Memories holding any of the text's terms, scored by raw BM25 (core/keyword-score.ts) with the
   * statistics of the searched agent's memories only. [] when the text has no terms.
   */
  async keywordSearch(scope: SearchScope, text: string): Promise<ScoredId[]> {
    const idf = await this.keywordIdf(scope, text);
    if (idf === undefined) return [];
    const rows = await this.guard('keyword recall', () => this.engine.rows<{ id: string; score: number }>(stmt(keywordSearchSql(this.t, scope, idf))));
    return rows.map((r) => ({ id: r.id, score: num(r.score) }));
  }

  /** IDF per query term held by any memory of the scope's agent (postgres-keyword-stats.ts); undefined when none. */
  private async keywordIdf(scope: SearchScope, text: string): Promise<Record<string, number> | undefined> {
    return this.guard('keyword statistics', () => keywordIdfs(this.engine, scope.agentId, queryTerms(text)));
  }

  /**
   * Vector and keyword search fused with Reciprocal Rank Fusion in ONE SQL statement (vector CTE +
   * keyword CTE, full outer join on id), each signal limited to `scope.k` candidates. Ranks and
   * scores per signal are returned; at most `scope.k` hits, best first.
   */
  async hybridSearch(scope: SearchScope, vector: Float32Array, text: string, rrfK: number): Promise<FusedHit[]> {
    const type = await this.vectorType();
    if (type === undefined) {
      // No vector was ever stored: keyword ranks alone (what core's fusion of [] and keyword gives).
      const hits = await this.keywordSearch(scope, text);
      return hits.map((h, i) => ({ id: h.id, score: 1 / (rrfK + i + 1), keywordRank: i + 1, keywordScore: h.score }));
    }
    const rows = await this.searchTx<{
      id: string;
      score: number;
      vector_rank: number | null;
      vector_score: number | null;
      keyword_rank: number | null;
      keyword_score: number | null;
    }>('hybrid recall', scope.k, hybridSearchSql(this.t, type, scope, vector, await this.keywordIdf(scope, text), rrfK));
    return rows.map((r) => {
      const hit: FusedHit = { id: r.id, score: num(r.score) };
      const vectorRank = optNum(r.vector_rank);
      if (vectorRank !== undefined) {
        hit.vectorRank = vectorRank;
        hit.vectorScore = num(r.vector_score);
      }
      const keywordRank = optNum(r.keyword_rank);
      if (keywordRank !== undefined) {
        hit.keywordRank = keywordRank;
        hit.keywordScore = num(r.keyword_score);
      }
      return hit;
    });
  }

  async count(scope: FilterScope): Promise<number> {
    const row = await this.guard('count memories', () => this.engine.first<{ n: number | string }>(stmt(countSql(this.t, scope))));
    return num(row?.n ?? 0);
  }

  async countByAgent(limit: number, now: number): Promise<AgentMemoryCount[]> {
    const rows = await this.guard('count memories by agent', () =>
      this.engine.rows<{ agent_id: string; n: number | string }>(
        raw(
          `select agent_id, count(*)::int8 as n from ${this.t.memories} where superseded_by is null and (expires_at is null or expires_at > $2::int8) ` +
            'group by agent_id order by n desc, agent_id collate "C" limit $1',
          [limit, now],
        ),
      ),
    );
    return rows.map((r) => ({ agentId: r.agent_id, count: num(r.n) }));
  }

  async list(scope: ListScope): Promise<MemoryRecord[]> {
    const rows = await this.guard('list memories', () => this.engine.rows<MemoryRow>(stmt(listSql(this.t, scope))));
    return rows.map((row) => toRecord(row));
  }

  /** The records of `ids` that exist (superseded ones included), in no particular order. */
  async fetch(ids: readonly string[]): Promise<MemoryRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.guard('fetch memories', () =>
      this.engine.rows<MemoryRow>(raw(`select ${MEMORY_COLUMNS} from ${this.t.memories} m where m.id = any($1::text[])`, [[...ids]])),
    );
    return rows.map((row) => toRecord(row));
  }

  /** One memory with its vector (`embedding`) when it has one, and `supersededBy` when merged. */
  async get(id: string): Promise<MemoryRecord | undefined> {
    const type = await this.vectorType();
    const columns = type ? `${MEMORY_COLUMNS}, m.embedding::text as embedding` : MEMORY_COLUMNS;
    const row = await this.guard('get memory', () => this.engine.first<MemoryRow>(raw(`select ${columns} from ${this.t.memories} m where m.id = $1`, [id])));
    return row ? toRecord(row) : undefined;
  }

  /**
   * Hard-deletes the memory (its vector and tsvector live in the same row), together with the
   * duplicates consolidation merged into it. True when it existed.
   */
  /** With `secure` (an erasure), the tables that lost rows are rewritten afterwards (PostgresEngine.securely). */
  async deleteWhere(scope: FilterScope, options: { secure?: boolean } = {}): Promise<DeletedMemory[]> {
    const remove = async () => {
      const rows = await this.guard('delete memories', () => this.engine.rows<{ id: string; agent_id: string }>(stmt(deleteWhereSql(this.t, scope))));
      if (rows.length > 0) for (const table of ['memories', 'memory_terms', 'memory_agent_counts']) this.engine.erasedFrom(table);
      return rows;
    };
    const rows = options.secure === true ? await this.engine.securely(remove) : await remove();
    return rows.map((r) => ({ id: r.id, agentId: r.agent_id }));
  }

  async delete(id: string): Promise<Owner | undefined> {
    const rows = await this.guard('forget', () =>
      this.engine.rows<{ id: string; agent_id: string }>(
        raw(
          `delete from ${this.t.memories} where (id = $1 or superseded_by = $1) and exists (select 1 from ${this.t.memories} where id = $1) returning id, agent_id`,
          [id],
        ),
      ),
    );
    const target = rows.find((r) => r.id === id);
    return target ? { agentId: target.agent_id } : undefined;
  }

  /**
   * Replaces the memory's vector; false when no such memory exists. A memory merged into another
   * (superseded) keeps no vector: it is never recalled on its own.
   */
  async setEmbedding(id: string, vector: Float32Array): Promise<Owner | undefined> {
    const type = await this.vectorType();
    if (type === undefined) throw new ValidationError('no vector space is fixed for this store', { backend: this.name });
    const row = await this.guard('update embedding', () =>
      this.engine.first<{ agent_id: string }>(
        raw(
          `with target as (select id, agent_id, superseded_by from ${this.t.memories} where id = $1), ` +
            `changed as (update ${this.t.memories} m set embedding = $2::${type} from target where m.id = target.id and target.superseded_by is null returning 1) ` +
            'select target.agent_id from target',
          [id, vectorLiteral(vector)],
        ),
      ),
    );
    return row ? { agentId: row.agent_id } : undefined;
  }

  /**
   * accessCount += occurrences and accessedAt = at, for every id, in one statement that first locks
   * the rows in id order (ROW_LOCK_ORDER): concurrent bumps, merges and decays, each locking in that
   * same order, never deadlock, and the increments are lossless (each row is read under its lock).
   */
  async touch(ids: readonly string[], at: number): Promise<void> {
    if (ids.length === 0) return;
    const counts = new Map<string, number>();
    for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
    await this.guard('record access', () =>
      this.engine.run(
        raw(
          `with c(id, n) as (select * from unnest($1::text[], $2::int8[])), ` +
            `locked as (select l.id from ${this.t.memories} l where l.id = any($1::text[]) order by ${ROW_LOCK_ORDER('l')} for update) ` +
            `update ${this.t.memories} m set access_count = m.access_count + c.n, accessed_at = $3::int8 ` +
            'from c join locked on locked.id = c.id where m.id = c.id',
          [[...counts.keys()], [...counts.values()], at],
        ),
      ),
    );
  }

  /** See decayMemories: OpenFang's decay (confidence lives in one place: the row the filters read). */
  async decay(policy: DecayPolicy): Promise<number> {
    return this.guard('decay', () => this.engine.transaction((tx) => decayMemories(tx, this.t, policy), { lock: MAINTENANCE_LOCK }));
  }

  /** See mergeDuplicates: exact duplicates linked to their oldest twin, in one transaction. */
  async mergeExactDuplicates(options: { dryRun: boolean; now: number }): Promise<number> {
    const hasVectors = (await this.vectorType()) !== undefined;
    return this.guard('merge duplicates', () =>
      this.engine.transaction((tx) => mergeDuplicates(tx, this.t, { dryRun: options.dryRun, hasVectors }), { lock: MAINTENANCE_LOCK }),
    );
  }

  /** Times `select 1` on the pool; `detail` is the redacted URL, schema and pgvector version (or the scrubbed error). */
  /** A page of every memory (merged and expired ones too) in id byte order, with vectors; the cursor is the last id. */
  async exportRows(page: ArchivePage): Promise<{ rows: MemoryRecord[]; cursor: string | undefined }> {
    if (page.agentIds !== undefined && page.agentIds.length === 0) return { rows: [], cursor: undefined };
    const limit = Math.max(1, Math.trunc(page.limit));
    const type = await this.vectorType();
    const columns = type ? `${MEMORY_COLUMNS}, m.embedding::text as embedding` : MEMORY_COLUMNS;
    const params: unknown[] = [];
    let where = 'true';
    if (page.agentIds !== undefined) {
      params.push([...page.agentIds]);
      where += ` and m.agent_id = any($${params.length}::text[])`;
    }
    if (page.cursor !== undefined) {
      params.push(page.cursor);
      where += ` and m.id collate "C" > $${params.length}::text collate "C"`;
    }
    params.push(limit);
    const rows = await this.guard('export memories', () =>
      this.engine.rows<MemoryRow>(raw(`select ${columns} from ${this.t.memories} m where ${where} order by m.id collate "C" limit $${params.length}::int8`, params)),
    );
    return { rows: rows.map((row) => toRecord(row)), cursor: rows.length < limit ? undefined : rows.at(-1)?.id };
  }

  /** How many memories exportRows returns for these agents (merged and expired ones too). */
  async countRows(agentIds: readonly string[] | undefined): Promise<number> {
    if (agentIds !== undefined && agentIds.length === 0) return 0;
    const row = await this.guard('count memories', () =>
      this.engine.first<{ n: number | string }>(
        agentIds === undefined
          ? raw(`select count(*) as n from ${this.t.memories}`, [])
          : raw(`select count(*) as n from ${this.t.memories} where agent_id = any($1::text[])`, [[...agentIds]]),
      ),
    );
    return num(row?.n ?? 0);
  }

  /** Writes the memories as they are, in one transaction. */
  async importRows(rows: readonly MemoryRecord[], options: ArchiveWriteOptions): Promise<ArchiveRowOutcome[]> {
    if (rows.length === 0) return [];
    const type = await this.vectorType();
    if (rows.some((r) => r.embedding !== undefined) && type === undefined) throw new ValidationError('no vector space is fixed for this store', { backend: this.name });
    const columns =
      'id, agent_id, content, source, scope, metadata, confidence, created_at, accessed_at, access_count, superseded_by, key, expires_at' + (type ? ', embedding' : '');
    return this.guard('import memories', () =>
      this.engine.transaction(async (tx) => {
        const outcomes: ArchiveRowOutcome[] = [];
        for (const r of rows) {
          const found = await tx.rows<{ id: string }>(raw(`select id from ${this.t.memories} where id = $1 or (agent_id = $2 and key = $3::text) for update`, [r.id, r.agentId, r.key ?? null]));
          if (found.length > 0) {
            if (!options.overwrite) {
              outcomes.push('existing');
              continue;
            }
            await tx.run(raw(`delete from ${this.t.memories} where id = any($1::text[])`, [found.map((f) => f.id)]));
          }
          const values: unknown[] = [
            r.id, r.agentId, r.content, r.source, r.scope, JSON.stringify(r.metadata), r.confidence, r.createdAt, r.accessedAt, r.accessCount,
            r.supersededBy ?? null, r.key ?? null, r.expiresAt ?? null,
          ];
          let tuple = '$1, $2, $3, $4, $5, $6::jsonb, $7::float8, $8::int8, $9::int8, $10::int8, $11::text, $12::text, $13::int8';
          if (type) {
            values.push(r.embedding === undefined ? null : vectorLiteral(Float32Array.from(r.embedding)));
            tuple += `, $14::${type}`;
          }
          await tx.run(raw(`insert into ${this.t.memories} (${columns}) values (${tuple})`, values));
          // Keyword terms (a replaced row's went with it: on delete cascade).
          const weighted = [...termWeights(r.content)];
          if (weighted.length > 0) {
            await tx.run(
              raw(
                `insert into ${this.t.terms} (term, agent_id, memory_id, weight) select t.term, $1, $2, t.weight from unnest($3::text[], $4::float8[]) as t(term, weight)`,
                [r.agentId, r.id, weighted.map(([term]) => term), weighted.map(([, weight]) => weight)],
              ),
            );
          }
          outcomes.push(found.length > 0 ? 'replaced' : 'created');
        }
        return outcomes;
      }),
    );
  }

  async health(): Promise<BackendHealth> {
    const started = performance.now();
    try {
      await this.engine.run(raw('select 1'));
      return {
        name: 'semantic:postgres',
        ok: true,
        latencyMs: performance.now() - started,
        detail: `${this.redactedUrl} schema ${this.engine.schema}, pgvector ${this.extension.version}`,
      };
    } catch (error) {
      const mapped = this.engine.mapError(error, 'health check');
      this.logger.warn({ err: mapped, backend: this.name }, 'semantic health check failed');
      return { name: 'semantic:postgres', ok: false, latencyMs: performance.now() - started, detail: mapped.message };
    }
  }

  /** Ends the backend's own pool. */
  async close(): Promise<void> {
    await this.engine.close();
  }

  private async guard<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw this.engine.mapError(error, action);
    }
  }
}
