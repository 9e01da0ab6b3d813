import type BetterSqlite3 from 'better-sqlite3';
import type { ArchivePage, ArchiveRowOutcome, ArchiveWriteOptions } from '../../contracts/archive.js';
import type { BackendHealth } from '../../contracts/health.js';
import type { Owner } from '../../contracts/main-backend.js';
import type { DecayPolicy, DeletedMemory, FilterScope, InsertOutcome, ListScope, MemoryReplacement, NewMemoryRow, ScoredId, SearchScope, SemanticBackend, VectorIndexes, VectorSpace } from '../../contracts/semantic-backend.js';
import type { AgentMemoryCount, MemoryRecord } from '../../contracts/semantic-store.js';
import type { Clock, Logger } from '../../contracts/types.js';
import { assertSameSpace, checkDimensions, META_DIMENSIONS, META_EMBEDDER, spaceFromMeta } from '../../core/vector-space.js';
import { queryTerms } from '../../core/keyword-score.js';
import { vectorToBuffer } from '../../core/vector.js';
import { ValidationError } from '../../errors.js';
import { num, raw } from '../sql/context.js';
import { agentCounts, KEYWORD_SHORTLIST, memoryCount } from '../sql/sql-keyword-stats.js';
import { InsertedPerAgent } from './sqlite-agent-counts.js';
import { AGENT_POSTINGS_FROM, contentDocs, KeywordRunWriter, purgeDeleted } from './sqlite-keyword-runs.js';
import { SqliteVectorSlots, vecTableDdl } from './sqlite-vector-slots.js';
import { DEFAULT_ANN_SETTINGS, SqliteAnnIndex, type AnnSettings } from './sqlite-ann-index.js';
import { VectorRows } from './sqlite-vector-rows.js';
import type { SqliteEngine } from './sqlite-engine.js';
import { decayMemories, mergeDuplicates, type MaintenanceContext } from './sqlite-semantic-maintenance.js';
import {
  MEMORY_COLUMNS,
  memoryFilterClause,
  similarityFromL2,
  toRecord,
  VEC0_MAX_K,
  vecFilterClause,
  type MemoryRow,
} from './sqlite-semantic-sql.js';

type Statement = BetterSqlite3.Statement<unknown[], unknown>;

/** The columns an in-place replacement writes (metadata as JSON text). */
interface ReplacedFields {
  content: string;
  source: string;
  scope: string;
  metadata: string;
  confidence: number;
  expiresAt: number | null;
}

/** The largest vector column sqlite-vec's vec0 accepts (measured: 8193 is refused); declared as maxDimensions, enforced by core. */
export const VEC0_MAX_DIMENSIONS = 8192;

/** Whether some memory has expired at `now` and is not purged yet (through the expiry partial index). */
const EXPIRED_PROBE = 'select 1 as one from memories where expires_at is not null and expires_at <= ? limit 1';

/** A write of at least this many memories commits with the WAL checkpoint deferred (SqliteEngine.deferCheckpoints). */
const BULK_ROWS = 100;

const INSERT_MEMORY =
  'insert into memories (id, agent_id, content, source, scope, metadata, confidence, created_at, accessed_at, access_count, key, expires_at) ' +
  'values (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)';
const FIND_KEY = 'select rowid, id, expires_at from memories where agent_id = ? and key = ?';
const REPLACE_MEMORY = 'update memories set content = ?, source = ?, scope = ?, metadata = ?, confidence = ?, expires_at = ?, superseded_by = null where rowid = ?';
/** The memories (`m`) of the keyword docs of a JSON array (`c`, its first parameter): dedupe's candidates, keyword recall's scored docs. */
const DOC_MEMORIES = 'json_each(?) c cross join keyword_docs d on d.doc = c.value cross join memories m on m.rowid = d.memory_rowid';
/** The live twin of a dedupe row among the docs holding its content's key (sqlite-keyword-runs.ts contentDocs). */
const FIND_TWIN =
  `select m.id as id from ${DOC_MEMORIES} ` +
  'where m.agent_id = ? and m.scope = ? and m.content = ? and m.superseded_by is null and (m.expires_at is null or m.expires_at > ?) ' +
  'order by m.created_at, m.id limit 1';
/**
 * A keyword query's postings and statistics for one agent, in one statement (the `keyword` read
 * task's rows): each run's postings of each term (kind 0; one key seek per term in each run that
 * holds the agent's postings), the
 * terms' dead postings (kind 1; df = Σ n − dead, sqlite-keyword-runs.ts) and N (kind 2, appended
 * by keywordRowsStatements).
 */
const KEYWORD_ROWS_AGENT =
  `select 0 as kind, p.term as term, p.n as n, p.data as data ${AGENT_POSTINGS_FROM} ` +
  'union all select 1, d.term, d.n, null from json_each(?) q cross join keyword_dead d on d.term = q.value and d.agent_id = ?';
/** The same over every agent's memories. */
const KEYWORD_ROWS_ALL =
  'select 0 as kind, p.term as term, p.n as n, p.data as data from keyword_runs r cross join json_each(?) q cross join keyword_postings p on p.run = r.run and p.term = q.value ' +
  'union all select 1, d.term, d.n, null from json_each(?) q cross join keyword_dead d on d.term = q.value';

/** The keyword task's statements, ending with the N arm compiled from the Kysely N both SQL engines share (sql-keyword-stats.ts). */
function keywordRowsStatements(engine: SqliteEngine): { agent: string; all: string } {
  const n = (agentId: string | undefined) => ` union all select 2, null, (${agentCounts(engine, agentId).select(memoryCount.as('n')).compile().sql}), null`;
  return { agent: KEYWORD_ROWS_AGENT + n(''), all: KEYWORD_ROWS_ALL + n(undefined) };
}

/**
 * Semantic memory on SQLite: rows in `memories`, exact nearest-neighbour search through sqlite-vec
 * (`memories_vec`, a vec0 table partitioned by agent whose metadata columns carry every filter field
 * except `metadata`, so filters apply inside the KNN) and keyword search by BM25 over sorted runs of postings (sqlite-keyword-runs.ts)
 * with per-agent statistics (core/keyword-score.ts).
 * Vectors arrive unit length, so vec0's default L2 metric ranks as cosine; similarity = 1 − L2²/2.
 * Writes run synchronously on the shared connection (`engine.exclusive`) in one immediate
 * transaction each, with statements prepared once.
 */
export class SqliteSemanticBackend implements SemanticBackend {
  readonly name = 'sqlite';
  private readonly statements = new Map<string, Statement>();
  /** Whether `memories_vec` exists (created with the vector space, possibly by another process). */
  private hasVec = false;

  /** Refines the declared capabilities: transactions are shared when the main store's connection is. */
  readonly capabilities: { sharedTransactions: boolean };
  /** Re-embedding: a pending vector space beside `memories_vec`, switched to atomically. */
  readonly spaces: SqliteVectorSlots;
  /** Approximate search: per-agent IVF indexes over sign codes (sqlite-ann-index.ts). */
  private readonly ann: SqliteAnnIndex;
  readonly vectorIndexes: VectorIndexes;
  /** The keyword read task's statements (keywordRowsStatements). */
  private readonly keywordRows: { agent: string; all: string };

  private constructor(
    private readonly engine: SqliteEngine,
    private readonly logger: Logger,
    private readonly ownsEngine: boolean,
    sharesMainConnection: boolean,
    settings: AnnSettings,
    readOnly: boolean,
  ) {
    this.capabilities = { sharedTransactions: sharesMainConnection };
    this.keywordRows = keywordRowsStatements(engine);
    this.spaces = new SqliteVectorSlots({
      name: this.name,
      engine,
      guard: (action, fn) => this.guard(action, fn),
      vecChanged: (exists, db) => {
        this.hasVec = exists;
        // Another space (or none): the approximate indexes were built on the old vectors.
        this.ann.dropAll(db);
      },
    });
    this.ann = new SqliteAnnIndex(
      {
        name: this.name,
        engine,
        readOnly,
        logger,
        guard: (action, fn) => this.guard(action, fn),
        vecReady: (db) => this.vecReady(db),
        exact: (scope, vector) => this.exactSearch(scope, vector),
      },
      settings,
    );
    const ann = this.ann;
    this.vectorIndexes = { build: (agentId, options) => ann.build(agentId, options), status: () => ann.status(), drop: (agentId) => ann.dropIndex(agentId) };
  }

  /**
   * Opens the backend on a migrated engine. With `ownsEngine` the backend closes it; otherwise the
   * engine is shared with the main backend, which closes it.
   */
  static async open(
    engine: SqliteEngine,
    options: { clock: Clock; logger: Logger; ownsEngine?: boolean; sharesMainConnection?: boolean; vectorSearch?: AnnSettings; readOnly?: boolean },
  ): Promise<SqliteSemanticBackend> {
    const backend = new SqliteSemanticBackend(
      engine,
      options.logger,
      options.ownsEngine === true,
      options.sharesMainConnection === true,
      options.vectorSearch ?? DEFAULT_ANN_SETTINGS,
      options.readOnly === true,
    );
    await backend.guard('open semantic store', () => backend.engine.exclusive((db) => backend.vecReady(db)));
    return backend;
  }

  /** The fixed vector space from `semantic_meta`, or undefined when none was fixed yet. */
  async vectorSpace(): Promise<VectorSpace | undefined> {
    const rows = await this.guard('read vector space', () =>
      this.engine.rows(raw<{ key: string; value: string }>('select key, value from semantic_meta where key in (?, ?)', [META_DIMENSIONS, META_EMBEDDER])),
    );
    return spaceFromMeta(rows);
  }

  /**
   * Records the vector space and creates the vec0 table for its dimension, in one transaction.
   * Idempotent for the same space (a `caller` space is compatible with any embedder of the same
   * dimension). ValidationError when another space is already fixed.
   */
  async fixVectorSpace(space: VectorSpace): Promise<void> {
    const { dimensions, embedderId } = space;
    checkDimensions(dimensions, this.name);
    await this.guard('fix vector space', () =>
      this.engine.exclusive((db) =>
        db
          .transaction(() => {
            const rows = db.prepare('select key, value from semantic_meta where key in (?, ?)').all(META_DIMENSIONS, META_EMBEDDER) as { key: string; value: string }[];
            const stored = spaceFromMeta(rows);
            if (stored) assertSameSpace(stored, space, this.name);
            else {
              const put = db.prepare('insert into semantic_meta (key, value) values (?, ?)');
              put.run(META_DIMENSIONS, String(dimensions));
              put.run(META_EMBEDDER, embedderId);
            }
            db.exec(vecTableDdl(dimensions));
          })
          .immediate(),
      ),
    );
    this.hasVec = true;
  }

  /**
   * Writes the memories (and their vectors) in one transaction: keyed rows replace the live memory
   * of their (agent, key) in place, an expired one being deleted first; dedupe rows that find their
   * (agent, scope, content) write nothing.
   */
  async insert(rows: readonly NewMemoryRow[], now: number): Promise<InsertOutcome[]> {
    if (rows.length === 0) return [];
    return this.guard('remember', () =>
      this.engine.exclusiveTransaction((db) => {
        if (rows.length >= BULK_ROWS) this.engine.deferCheckpoints();
        const withVectors = rows.some((r) => r.embedding !== undefined);
        const hasVec = this.vecReady(db);
        if (withVectors && !hasVec) throw new ValidationError('no vector space is fixed for this store', { backend: this.name });
        const insertMemory = this.prep(db, INSERT_MEMORY);
        const vectors = hasVec ? this.vectorRows(db) : undefined;
        const terms = this.keywordWriter(db);
        const inserted = new InsertedPerAgent();
        const outcomes: InsertOutcome[] = [];
        for (const r of rows) {
          const metadata = JSON.stringify(r.metadata);
          if (r.key !== undefined) {
            let found = this.prep(db, FIND_KEY).get(r.agentId, r.key) as { rowid: number | bigint; id: string; expires_at: number | bigint | null } | undefined;
            if (found && found.expires_at !== null && num(found.expires_at) <= now) {
              this.prep(db, 'delete from memories where rowid = ?').run(found.rowid);
              vectors?.drop(BigInt(found.rowid));
              found = undefined;
            }
            if (found) {
              this.replaceRow(db, found.rowid, { ...r, metadata, expiresAt: r.expiresAt ?? null }, r.embedding, vectors, terms);
              outcomes.push({ id: found.id, outcome: 'updated' });
              continue;
            }
          } else if (r.dedupe) {
            const docs = contentDocs((sql) => this.prep(db, sql), r.agentId, r.content, terms);
            const twin = docs.length === 0 ? undefined : (this.prep(db, FIND_TWIN).get(JSON.stringify(docs), r.agentId, r.scope, r.content, now) as { id: string } | undefined);
            if (twin) {
              outcomes.push({ id: twin.id, outcome: 'existing' });
              continue;
            }
          }
          const { lastInsertRowid } = insertMemory.run(r.id, r.agentId, r.content, r.source, r.scope, metadata, r.confidence, r.createdAt, r.createdAt, r.key ?? null, r.expiresAt ?? null);
          inserted.inserted(r.agentId);
          terms.add(lastInsertRowid, r.agentId, r.content);
          if (r.embedding !== undefined && vectors) {
            vectors.put(BigInt(lastInsertRowid), r.agentId, vectorToBuffer(r.embedding), r.scope, r.source, r.confidence, BigInt(r.createdAt));
          }
          outcomes.push({ id: r.id, outcome: 'created' });
        }
        inserted.flush((sql) => this.prep(db, sql));
        terms.flush();
        return outcomes;
      }),
    );
  }

  /**
   * Replaces a memory's fields in place (id, agent, key, createdAt and access counts kept; its
   * keyword doc is dropped by trigger and a new one added to `terms`, which the caller flushes) and its vec0 row: `vector` is the new one, undefined for none, or
   * `keep` to keep the stored one (re-written with the new scope, source and confidence).
   */
  private replaceRow(
    db: BetterSqlite3.Database,
    rowid: number | bigint,
    f: ReplacedFields,
    vector: Float32Array | undefined | 'keep',
    vectors: VectorRows | undefined,
    terms: KeywordRunWriter,
  ): void {
    const hasVec = vectors !== undefined;
    if (vector instanceof Float32Array && !hasVec) throw new ValidationError('no vector space is fixed for this store', { backend: this.name });
    const kept = vector === 'keep' && hasVec ? (this.prep(db, 'select embedding from memories_vec where rowid = ?').get(BigInt(rowid)) as { embedding: Buffer } | undefined) : undefined;
    // The update trigger drops the old keyword doc; the new one follows.
    this.prep(db, REPLACE_MEMORY).run(f.content, f.source, f.scope, f.metadata, f.confidence, f.expiresAt, rowid);
    const owner = this.prep(db, 'select agent_id from memories where rowid = ?').get(rowid) as { agent_id: string };
    terms.add(rowid, owner.agent_id, f.content);
    if (!vectors) return;
    vectors.drop(BigInt(rowid));
    const blob = vector === 'keep' ? kept?.embedding : vector === undefined ? undefined : vectorToBuffer(vector);
    if (blob === undefined) return;
    const row = this.prep(db, 'select agent_id, created_at from memories where rowid = ?').get(rowid) as { agent_id: string; created_at: number | bigint };
    vectors.put(BigInt(rowid), row.agent_id, blob, f.scope, f.source, f.confidence, BigInt(row.created_at));
  }

  /** Changes the given fields of a live, unmerged memory in one transaction (see replaceRow); the updated record with its vector. */
  async replace(id: string, fields: MemoryReplacement, now: number): Promise<MemoryRecord | undefined> {
    return this.guard('update memory', () =>
      this.engine.exclusiveTransaction((db) => {
        const select = this.prep(db, `select ${MEMORY_COLUMNS} from memories m where m.id = ?`);
        const row = select.get(id) as MemoryRow | undefined;
        if (!row || row.superseded_by !== null || (row.expires_at !== null && num(row.expires_at) <= now)) return undefined;
        const merged: ReplacedFields = {
          content: fields.content ?? row.content,
          source: fields.source ?? row.source,
          scope: fields.scope ?? row.scope,
          metadata: fields.metadata === undefined ? (row.metadata as string) : JSON.stringify(fields.metadata),
          confidence: fields.confidence ?? num(row.confidence),
          expiresAt: fields.expiresAt === undefined ? (row.expires_at === null ? null : num(row.expires_at)) : fields.expiresAt,
        };
        const terms = this.keywordWriter(db);
        this.replaceRow(db, row.rowid, merged, fields.embedding === undefined ? 'keep' : (fields.embedding ?? undefined), this.vecReady(db) ? this.vectorRows(db) : undefined, terms);
        terms.flush();
        const updated = select.get(id) as MemoryRow;
        const vec = this.vecReady(db) ? (this.prep(db, 'select embedding from memories_vec where rowid = ?').get(BigInt(row.rowid)) as { embedding: Buffer } | undefined) : undefined;
        return toRecord(updated, vec?.embedding);
      }),
    );
  }

  /** Deletes every memory expired at `now`, with its vector and keyword entry (and what merged into it). */
  async purgeExpired(now: number): Promise<number> {
    return this.guard('purge expired memories', () =>
      this.engine.exclusiveTransaction((db) => {
        const rows = this.prep(
          db,
          'select rowid from memories where (expires_at is not null and expires_at <= ?) or superseded_by in (select id from memories where expires_at is not null and expires_at <= ?)',
        ).all(now, now) as { rowid: number | bigint }[];
        const dropMemory = this.prep(db, 'delete from memories where rowid = ?');
        const vectors = this.vecReady(db) ? this.vectorRows(db) : undefined;
        for (const { rowid } of rows) {
          dropMemory.run(rowid);
          vectors?.drop(BigInt(rowid));
        }
        return rows.length;
      }),
    );
  }

  /**
   * The k nearest memories to `vector` among those matching the scope, exactly (vec0 KNN is a full
   * scan of the candidates). Every filter runs inside the KNN: the vec0 columns directly, and a
   * metadata filter as `rowid in (SQL-filtered memories)` — never an over-fetch and post-filter.
   */
  async vectorSearch(scope: SearchScope, vector: Float32Array): Promise<ScoredId[]> {
    return this.guard('vector recall', () => this.ann.search(scope, vector, scope.trace));
  }

  /** The exact search (vectorSearch's doc); also the approximate path's fallback. */
  private async exactSearch(scope: SearchScope, vector: Float32Array): Promise<ScoredId[]> {
    const k = Math.min(Math.max(1, Math.trunc(scope.k)), VEC0_MAX_K);
    return this.guard('vector recall', async () => {
      // Expired memories not yet purged (few, found through the partial index) must not take KNN
      // places. Looked up on the main connection (a probe of microseconds, one worker round trip
      // less before the KNN starts), on a worker while that connection is inside a write.
      const probe = await this.engine.exclusive((db) => ({
        ready: this.vecReady(db),
        expired: db.inTransaction ? undefined : this.prep(db, EXPIRED_PROBE).get(scope.now) !== undefined,
      }));
      if (!probe.ready) return [];
      const expired = probe.expired ?? (await this.engine.reader.rows(raw<{ one: number }>(EXPIRED_PROBE, [scope.now]))).length > 0;
      const query = vectorToBuffer(vector);
      const inVec = vecFilterClause(scope.agentId, scope.filter);
      let sql = `select rowid, distance from memories_vec where embedding match ? and k = ?${inVec.sql}`;
      const params: unknown[] = [query, k, ...inVec.params];
      if (!(inVec.rest.kind === 'const' && inVec.rest.value) || expired) {
        // What vec0 cannot evaluate (metadata, OR, NOT, expiry…): the KNN runs over exactly the rows the SQL filter admits.
        const where = memoryFilterClause(scope.agentId, inVec.rest, scope.now);
        sql += ` and rowid in (select m.rowid from memories m where 1 = 1${where.sql})`;
        params.push(...where.params);
      }
      const rows = await this.engine.reader.rows(
        raw<{ id: string; distance: number }>(
          `with knn as materialized (${sql}) select m.id as id, knn.distance as distance from knn join memories m on m.rowid = knn.rowid ` +
            'where m.superseded_by is null and (m.expires_at is null or m.expires_at > ?) order by knn.distance, m.rowid',
          [...params, scope.now],
        ),
      );
      return rows.map((r) => ({ id: r.id, score: similarityFromL2(num(r.distance)) }));
    });
  }

  /**
   * Memories holding any of the text's terms (core/keyword-score.ts), scored by raw BM25 with the
   * statistics (N, df) of the searched agent's memories only (every agent's for allAgents); [] when
   * the text has no terms. Exact: the `keyword` read task (sqlite-read-tasks.ts) reads, in one
   * statement on a read worker, N from `memory_agent_counts`, df from the runs less their dead
   * postings (sqlite-keyword-runs.ts) and the postings; it scores every posting of the query's
   * terms (at most 64) and filters the best k × 2 +
   * KEYWORD_SHORTLIST first: when k of those pass they are the filtered top k (any other scores
   * lower); otherwise every scored memory is filtered, best first.
   */
  async keywordSearch(scope: SearchScope, text: string): Promise<ScoredId[]> {
    const terms = queryTerms(text);
    if (terms.length === 0) return [];
    const k = Math.max(1, Math.trunc(scope.k));
    const agentId = scope.agentId;
    const where = memoryFilterClause(agentId, scope.filter, scope.now);
    const termsJson = JSON.stringify(terms);
    return this.guard('keyword recall', async () => {
      const rows = await this.engine.readTask('keyword', {
        postings:
          agentId === undefined
            ? { sql: this.keywordRows.all, params: [termsJson, termsJson] }
            : { sql: this.keywordRows.agent, params: [termsJson, agentId, termsJson, agentId, agentId] },
        terms,
        k,
        shortlist: k * 2 + KEYWORD_SHORTLIST,
        filter: {
          sql: `select c.key as i, m.id as id, m.rowid as rowid from ${DOC_MEMORIES} where 1 = 1${where.sql}`,
          params: where.params,
        },
      });
      return rows.map((r) => ({ id: r.id, score: r.score }));
    });
  }

  async count(scope: FilterScope): Promise<number> {
    const where = memoryFilterClause(scope.agentId, scope.filter, scope.now);
    const rows = await this.guard('count memories', () =>
      this.engine.reader.rows(raw<{ n: number | bigint }>(`select count(*) as n from memories m where 1 = 1${where.sql}`, where.params)),
    );
    return num(rows[0]?.n ?? 0);
  }

  async countByAgent(limit: number, now: number): Promise<AgentMemoryCount[]> {
    const rows = await this.guard('count memories by agent', () =>
      this.engine.reader.rows(
        raw<{ agent_id: string; n: number | bigint }>(
          'select agent_id, count(*) as n from memories where superseded_by is null and (expires_at is null or expires_at > ?) ' +
            'group by agent_id order by n desc, agent_id limit ?',
          [now, limit],
        ),
      ),
    );
    return rows.map((r) => ({ agentId: r.agent_id, count: num(r.n) }));
  }

  /** Keyset paging on (created_at, id): ties on created_at by id ascending in both orders. */
  async list(scope: ListScope): Promise<MemoryRecord[]> {
    const where = memoryFilterClause(scope.agentId, scope.filter, scope.now);
    const params = [...where.params];
    let sql = `select ${MEMORY_COLUMNS} from memories m where 1 = 1${where.sql}`;
    const dir = scope.order === 'asc' ? 'asc' : 'desc';
    if (scope.after !== undefined) {
      sql += ` and (m.created_at ${dir === 'asc' ? '>' : '<'} ? or (m.created_at = ? and m.id > ?))`;
      params.push(scope.after.createdAt, scope.after.createdAt, scope.after.id);
    }
    sql += ` order by m.created_at ${dir}, m.id asc limit ?`;
    params.push(Math.max(1, Math.trunc(scope.limit)));
    const rows = await this.guard('list memories', () => this.engine.reader.rows(raw<MemoryRow>(sql, params)));
    return rows.map((row) => toRecord(row));
  }

  /** The records of `ids` that exist (superseded ones included), in no particular order. */
  async fetch(ids: readonly string[]): Promise<MemoryRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.guard('fetch memories', () =>
      this.engine.reader.rows(raw<MemoryRow>(`select ${MEMORY_COLUMNS} from memories m where m.id in (select value from json_each(?))`, [JSON.stringify(ids)])),
    );
    return rows.map((row) => toRecord(row));
  }

  /** One memory with its vector (`embedding`) when it has one, and `supersededBy` when merged. */
  async get(id: string): Promise<MemoryRecord | undefined> {
    return this.guard('get memory', () =>
      this.engine.exclusive((db) => {
        const row = this.prep(db, `select ${MEMORY_COLUMNS} from memories m where m.id = ?`).get(id) as MemoryRow | undefined;
        if (!row) return undefined;
        const vec = this.vecReady(db)
          ? (this.prep(db, 'select embedding from memories_vec where rowid = ?').get(BigInt(row.rowid)) as { embedding: Buffer } | undefined)
          : undefined;
        return toRecord(row, vec?.embedding);
      }),
    );
  }

  /** Removes what count(scope) counts and what merged into it, in one transaction. */
  async deleteWhere(scope: FilterScope, options: { secure?: boolean } = {}): Promise<DeletedMemory[]> {
    if (options.secure) return this.engine.securely(() => this.deleteMatching(scope, true));
    return this.deleteMatching(scope, false);
  }

  /**
   * deleteWhere's work (run inside engine.securely for a secure delete: freed cells overwritten, and
   * the deleted memories' keyword postings taken out of their runs at once, not at the next merge).
   */
  private deleteMatching(scope: FilterScope, secure: boolean): Promise<DeletedMemory[]> {
    const where = memoryFilterClause(scope.agentId, scope.filter, scope.now);
    return this.guard('delete memories', () =>
      this.engine.exclusiveTransaction((db) => {
        // Keyword docs go with their rows (trigger); inside engine.securely their cells are overwritten too.
        const matched = db.prepare(`select m.rowid as rowid, m.id as id, m.agent_id as agent_id from memories m where 1 = 1${where.sql}`).all(...where.params) as {
          rowid: number | bigint;
          id: string;
          agent_id: string;
        }[];
        if (matched.length === 0) return [];
        const twins = db
          .prepare('select rowid from memories where superseded_by in (select value from json_each(?))')
          .all(JSON.stringify(matched.map((m) => m.id))) as { rowid: number | bigint }[];
        const dropMemory = this.prep(db, 'delete from memories where rowid = ?');
        const vectors = this.vecReady(db) ? this.vectorRows(db) : undefined;
        for (const { rowid } of [...matched, ...twins]) {
          dropMemory.run(rowid);
          vectors?.drop(BigInt(rowid));
        }
        vectors?.agentsEmptied(matched.map((m) => m.agent_id));
        if (secure) purgeDeleted((sql) => this.prep(db, sql), matched.map((m) => m.agent_id));
        return matched.map((m) => ({ id: m.id, agentId: m.agent_id }));
      }),
    );
  }



  /**
   * Hard-deletes the memory, its vector and (by trigger) its keyword terms, together with the
   * duplicates consolidation merged into it (they stood for the same content). True when it existed.
   */
  async delete(id: string): Promise<Owner | undefined> {
    return this.guard('forget', () =>
      this.engine.exclusive((db) =>
        db
          .transaction((): Owner | undefined => {
            const rows = this.prep(db, 'select rowid, id, agent_id from memories where id = ? or superseded_by = ?').all(id, id) as {
              rowid: number | bigint;
              id: string;
              agent_id: string;
            }[];
            const target = rows.find((r) => r.id === id);
            if (!target) return undefined;
            const dropMemory = this.prep(db, 'delete from memories where rowid = ?');
            const vectors = this.vecReady(db) ? this.vectorRows(db) : undefined;
            for (const { rowid } of rows) {
              dropMemory.run(rowid);
              vectors?.drop(BigInt(rowid));
            }
            return { agentId: target.agent_id };
          })
          .immediate(),
      ),
    );
  }

  /**
   * Replaces the memory's vector; false when no such memory exists. A memory merged into another
   * (superseded) keeps no vector: it is never recalled on its own.
   */
  async setEmbedding(id: string, vector: Float32Array): Promise<Owner | undefined> {
    return this.guard('update embedding', () =>
      this.engine.exclusive((db) => {
        if (!this.vecReady(db)) throw new ValidationError('no vector space is fixed for this store', { backend: this.name });
        const find = this.prep(db, 'select rowid, agent_id, scope, source, confidence, created_at, superseded_by from memories where id = ?');
        return db
          .transaction((): Owner | undefined => {
            const row = find.get(id) as Omit<MemoryRow, 'id' | 'content' | 'metadata' | 'accessed_at' | 'access_count'> | undefined;
            if (!row) return undefined;
            if (row.superseded_by !== null) return { agentId: row.agent_id };
            const rowid = BigInt(row.rowid);
            const vectors = this.vectorRows(db);
            vectors.drop(rowid);
            vectors.put(rowid, row.agent_id, vectorToBuffer(vector), row.scope, row.source, num(row.confidence), BigInt(row.created_at));
            return { agentId: row.agent_id };
          })
          .immediate();
      }),
    );
  }

  /** accessCount += occurrences and accessedAt = at, for every id, in one transaction. */
  async touch(ids: readonly string[], at: number): Promise<void> {
    if (ids.length === 0) return;
    const counts = new Map<string, number>();
    for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
    await this.guard('record access', () =>
      this.engine.exclusiveTransaction((db) => {
        const bump = this.prep(db, 'update memories set access_count = access_count + ?, accessed_at = ? where id = ?');
        for (const [id, n] of counts) bump.run(n, at, id);
      }),
    );
  }

  /** See decayMemories: OpenFang's decay, keeping the vec0 confidence in sync. */
  async decay(policy: DecayPolicy): Promise<number> {
    return this.guard('decay', () => this.engine.exclusive((db) => decayMemories(this.maintenance(db), policy)));
  }

  /** See mergeDuplicates: exact duplicates linked to their oldest twin. */
  async mergeExactDuplicates(options: { dryRun: boolean; now: number }): Promise<number> {
    return this.guard('merge duplicates', () => this.engine.exclusive((db) => mergeDuplicates(this.maintenance(db), options.dryRun)));
  }

  /** A page of every memory (merged and expired ones too) in id order, with vectors; the cursor is the last id. */
  async exportRows(page: ArchivePage): Promise<{ rows: MemoryRecord[]; cursor: string | undefined }> {
    if (page.agentIds !== undefined && page.agentIds.length === 0) return { rows: [], cursor: undefined };
    const limit = Math.max(1, Math.trunc(page.limit));
    return this.guard('export memories', () =>
      this.engine.exclusive((db) => {
        const params: unknown[] = [];
        let where = '1 = 1';
        if (page.agentIds !== undefined) {
          where += ' and m.agent_id in (select value from json_each(?))';
          params.push(JSON.stringify(page.agentIds));
        }
        if (page.cursor !== undefined) {
          where += ' and m.id > ?';
          params.push(page.cursor);
        }
        const rows = db.prepare(`select ${MEMORY_COLUMNS} from memories m where ${where} order by m.id limit ?`).all(...params, limit) as MemoryRow[];
        const vector = this.vecReady(db) ? this.prep(db, 'select embedding from memories_vec where rowid = ?') : undefined;
        const records = rows.map((row) => toRecord(row, (vector?.get(BigInt(row.rowid)) as { embedding: Buffer } | undefined)?.embedding));
        return { rows: records, cursor: rows.length < limit ? undefined : rows.at(-1)?.id };
      }),
    );
  }

  /** How many memories exportRows returns for these agents (merged and expired ones too). */
  async countRows(agentIds: readonly string[] | undefined): Promise<number> {
    if (agentIds !== undefined && agentIds.length === 0) return 0;
    const row = await this.guard('count memories', () =>
      this.engine.reader.first(
        raw<{ n: number }>(
          agentIds === undefined ? 'select count(*) as n from memories' : 'select count(*) as n from memories where agent_id in (select value from json_each(?))',
          agentIds === undefined ? [] : [JSON.stringify(agentIds)],
        ),
      ),
    );
    return num(row?.n ?? 0);
  }

  /** Writes the memories as they are, in one transaction (with their keyword terms and vec0 vectors). */
  async importRows(rows: readonly MemoryRecord[], options: ArchiveWriteOptions): Promise<ArchiveRowOutcome[]> {
    if (rows.length === 0) return [];
    return this.guard('import memories', () =>
      this.engine.exclusiveTransaction((db) => {
        if (rows.length >= BULK_ROWS) this.engine.deferCheckpoints();
        const hasVec = this.vecReady(db);
        if (rows.some((r) => r.embedding !== undefined) && !hasVec) throw new ValidationError('no vector space is fixed for this store', { backend: this.name });
        const find = this.prep(db, 'select rowid from memories where id = ? or (agent_id = ? and key = ?)');
        const dropMemory = this.prep(db, 'delete from memories where rowid = ?');
        const vectors = hasVec ? this.vectorRows(db) : undefined;
        const insert = this.prep(
          db,
          'insert into memories (id, agent_id, content, source, scope, metadata, confidence, created_at, accessed_at, access_count, superseded_by, key, expires_at) ' +
            'values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        );
        const terms = this.keywordWriter(db);
        const inserted = new InsertedPerAgent();
        const outcomes = rows.map((r): ArchiveRowOutcome => {
          const found = find.all(r.id, r.agentId, r.key ?? null) as { rowid: number | bigint }[];
          if (found.length > 0) {
            if (!options.overwrite) return 'existing';
            for (const { rowid } of found) {
              dropMemory.run(rowid);
              vectors?.drop(BigInt(rowid));
            }
          }
          const { lastInsertRowid } = insert.run(
            r.id, r.agentId, r.content, r.source, r.scope, JSON.stringify(r.metadata), r.confidence, r.createdAt, r.accessedAt, r.accessCount,
            r.supersededBy ?? null, r.key ?? null, r.expiresAt ?? null,
          );
          inserted.inserted(r.agentId);
          if (r.embedding !== undefined && vectors) {
            vectors.put(BigInt(lastInsertRowid), r.agentId, vectorToBuffer(Float32Array.from(r.embedding)), r.scope, r.source, r.confidence, BigInt(r.createdAt));
          }
          // Keyword terms (a replaced row's doc went with it, by trigger).
          terms.add(lastInsertRowid, r.agentId, r.content);
          return found.length > 0 ? 'replaced' : 'created';
        });
        inserted.flush((sql) => this.prep(db, sql));
        terms.flush();
        return outcomes;
      }),
    );
  }

  async health(): Promise<BackendHealth> {
    const started = performance.now();
    try {
      await this.engine.exclusive((db) => this.prep(db, 'select 1').get());
      return { name: 'semantic:sqlite', ok: true, latencyMs: performance.now() - started };
    } catch (error) {
      this.logger.warn({ err: error, backend: this.name }, 'semantic health check failed');
      return { name: 'semantic:sqlite', ok: false, latencyMs: performance.now() - started, detail: (error as Error).message };
    }
  }

  /** Clears its statements; closes the engine only when it owns it (not shared with the main backend). */
  async close(): Promise<void> {
    await this.ann.close();
    this.statements.clear();
    if (this.ownsEngine) await this.engine.close();
  }

  private maintenance(db: BetterSqlite3.Database): MaintenanceContext {
    return { db, prep: (sql) => this.prep(db, sql), vectors: () => (this.vecReady(db) ? this.vectorRows(db) : undefined) };
  }

  /** The keyword postings of one write call (flushed as one run before its transaction ends). */
  private keywordWriter(db: BetterSqlite3.Database): KeywordRunWriter {
    return new KeywordRunWriter((sql) => this.prep(db, sql));
  }

  /** The writer of `memories_vec` and the approximate index, for one write transaction. */
  private vectorRows(db: BetterSqlite3.Database): VectorRows {
    return new VectorRows(db, (sql) => this.prep(db, sql), this.ann);
  }

  private prep(db: BetterSqlite3.Database, sql: string): Statement {
    let stmt = this.statements.get(sql);
    if (stmt === undefined) {
      stmt = db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  private vecReady(db: BetterSqlite3.Database): boolean {
    if (!this.hasVec) {
      this.hasVec = this.prep(db, "select 1 from sqlite_master where type = 'table' and name = 'memories_vec'").get() !== undefined;
    }
    return this.hasVec;
  }

  private async guard<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw this.engine.mapError(error, action);
    }
  }
}
