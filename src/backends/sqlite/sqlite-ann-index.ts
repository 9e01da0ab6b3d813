import type BetterSqlite3 from 'better-sqlite3';
import type { SearchScope, ScoredId, VectorIndexBuild, VectorIndexStatus, VectorSearchTrace } from '../../contracts/semantic-backend.js';
import { assignCell, dotRow, loadIvf, probeCells, sampleSizeFor, SignCoder, storeIvf, trainIvf, type IvfModel, type StoredIvfModel } from '../../core/ivf.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import { num, raw } from '../sql/context.js';
import { agentMemoryCount } from '../sql/sql-keyword-stats.js';
import { bufferToFloat32 } from '../../core/vector.js';
import type { Logger } from '../../contracts/types.js';
import type { SqliteEngine } from './sqlite-engine.js';
import { memoryFilterClause, VEC0_MAX_K, vecFilterClause } from './sqlite-semantic-sql.js';

/**
 * Approximate vector search on SQLite, with sqlite-vec as the engine (issue 13; measured in
 * bench/ann-probe.bench.ts and bench/scale.bench.ts). Per agent, once its memories are many:
 *
 * - an inverted file: k-means cells (core/ivf.ts, ≈ ROWS_PER_CELL memories each) as the second
 *   partition key of a vec0 table `memories_ann`, beside the agent's;
 * - in it, a sign code per memory (core/ivf.ts SignCoder: 2 × 512 bits at 384 dimensions), scanned
 *   by Hamming distance — 12 times fewer bytes than the float vectors;
 * - a query probes the cells nearest to it (`cell in (…)`: vec0 runs a KNN per cell, every filter
 *   vec0 can evaluate and `rowid in (filtered memories)` for the rest applied INSIDE each), keeps the
 *   best `RERANK` candidates by Hamming distance, and reranks them exactly by cosine from a copy of
 *   their float vectors in `memory_ann_vectors` (a plain rowid table: one B-tree lookup each);
 * - when fewer than k live memories come back (a filter rarer than the probed cells hold), the
 *   exact scan answers instead: k results whenever k match.
 *
 * The index follows every write (SqliteAnnIndex.put / drop / setConfidence, called wherever
 * `memories_vec` is written, in the same transaction), whichever process writes: models are
 * versioned in `memory_ann_models` and reloaded when another process rebuilt one.
 */

export const VECTOR_SEARCH_SETTINGS = ['auto', 'exact', 'approximate'] as const;
export type VectorSearchSetting = (typeof VECTOR_SEARCH_SETTINGS)[number];

export interface AnnSettings {
  /** `exact`: always scan; `approximate`: use an agent's index whenever it has one; `auto`: build and use it from `minRows` memories. */
  mode: VectorSearchSetting;
  /** `auto`: an agent with at least this many memories with vectors gets an index (and uses it). */
  minRows: number;
  /** A query probes ⌈probeFactor × √cells⌉ cells (all when that is more). */
  probeFactor: number;
}

/** Measured defaults (bench/scale.bench.ts). */
export const DEFAULT_ANN_SETTINGS: AnnSettings = { mode: 'auto', minRows: 100_000, probeFactor: 3 };

/** Memories per cell (measured: fewer, larger cells cost less per probed cell; more, smaller ones probe finer). */
export const ROWS_PER_CELL = 2000;
/** Candidates per probed cell, by Hamming distance. */
const PER_CELL = 24;
/** Candidates reranked exactly, best by Hamming distance over all probed cells. */
const RERANK = 300;
/**
 * Bits of a sign code. Measured at 384 dimensions (bench/ann-probe.bench.ts): 512 bits cap recall@10
 * near 0.92 whatever the candidates; 1024 bits reach the cells' own recall with 300 candidates, and
 * 2048 bits scan 1.7× slower for +0.005.
 */
const CODE_BITS = 1024;
/** How often `auto` looks again at an agent's size. */
const CHECK_EVERY_MS = 30_000;
/** A build still `building` after this long is taken as abandoned (its process died). */
const STALE_BUILD_MS = 15 * 60_000;
/** Memories moved into the index per write transaction of a build. */
const BUILD_SLICE = 500;

const ANN = 'memories_ann';
const VECTORS = 'memory_ann_vectors';
const MODELS = 'memory_ann_models';

interface LoadedModel {
  version: number;
  state: 'building' | 'ready';
  rows: number;
  builtAt: number;
  ivf: IvfModel;
  coder: SignCoder;
}

interface ModelRow {
  agent_id: string;
  version: number | bigint;
  state: 'building' | 'ready';
  rows: number | bigint;
  model: string;
  built_at: number | bigint;
}

/** What the index needs from the backend. */
export interface AnnHost {
  readonly name: string;
  readonly engine: SqliteEngine;
  /** A read-only open: `auto` builds nothing. */
  readonly readOnly: boolean;
  readonly logger: Logger;
  guard<T>(action: string, fn: () => Promise<T>): Promise<T>;
  vecReady(db: BetterSqlite3.Database): boolean;
  /** The exact search (the fallback). */
  exact(scope: SearchScope, vector: Float32Array): Promise<ScoredId[]>;
}

export class SqliteAnnIndex {
  private readonly models = new Map<string, LoadedModel>();
  private readonly statements = new Map<string, BetterSqlite3.Statement<unknown[], unknown>>();
  private statementsOf: BetterSqlite3.Database | undefined;
  private tablesExist = false;
  /** Agents whose size `auto` checked recently: agent → when. */
  private readonly checked = new Map<string, number>();
  private building: Promise<unknown> | undefined;
  private readonly aborter = new AbortController();

  constructor(
    private readonly host: AnnHost,
    readonly settings: AnnSettings,
  ) {}

  // ── writes (inside the caller's transaction) ────────────────────────────────────────────────

  /** Re-reads which agents have a model (another process may have built or dropped one); once per write transaction. */
  refresh(db: BetterSqlite3.Database): void {
    this.tablesExist = this.prep(db, "select 1 from sqlite_master where type = 'table' and name = ?").get(MODELS) !== undefined;
    if (!this.tablesExist) {
      this.models.clear();
      return;
    }
    const rows = this.prep(db, `select agent_id, version, state, rows, built_at from ${MODELS}`).all() as Omit<ModelRow, 'model'>[];
    const seen = new Set<string>();
    for (const r of rows) {
      seen.add(r.agent_id);
      const have = this.models.get(r.agent_id);
      if (have && have.version === num(r.version)) {
        have.state = r.state;
        have.rows = num(r.rows);
        have.builtAt = num(r.built_at);
        continue;
      }
      const full = db.prepare(`select model from ${MODELS} where agent_id = ?`).get(r.agent_id) as { model: string };
      const ivf = loadIvf(JSON.parse(full.model) as StoredIvfModel);
      this.models.set(r.agent_id, {
        version: num(r.version),
        state: r.state,
        rows: num(r.rows),
        builtAt: num(r.built_at),
        ivf,
        coder: SignCoder.forBits(ivf.dimensions, CODE_BITS),
      });
    }
    for (const agent of [...this.models.keys()]) if (!seen.has(agent)) this.models.delete(agent);
  }

  /** Mirrors a vector written to `memories_vec` (after refresh in the same transaction). */
  put(db: BetterSqlite3.Database, rowid: bigint, agentId: string, embedding: Buffer, scope: string, source: string, confidence: number, createdAt: bigint): void {
    const m = this.models.get(agentId);
    if (!m) return;
    const v = bufferToFloat32(embedding);
    this.prep(db, `insert into ${ANN} (rowid, agent_id, cell, code, scope, source, confidence, created_at) values (?, ?, ?, vec_bit(?), ?, ?, ?, ?)`).run(
      rowid, agentId, BigInt(assignCell(m.ivf, v)), m.coder.encode(v), scope, source, confidence, createdAt,
    );
    this.prep(db, `insert into ${VECTORS} (rowid, embedding) values (?, ?)`).run(rowid, embedding);
  }

  /** Mirrors a vector removed from `memories_vec` (every put follows the drop of what it replaces). */
  drop(db: BetterSqlite3.Database, rowid: bigint): void {
    if (!this.tablesExist) return;
    this.prep(db, `delete from ${ANN} where rowid = ?`).run(rowid);
    this.prep(db, `delete from ${VECTORS} where rowid = ?`).run(rowid);
  }

  /** Mirrors a confidence change (decay, merge) of a vector's memory. */
  setConfidence(db: BetterSqlite3.Database, rowid: bigint, confidence: number): void {
    if (!this.tablesExist) return;
    this.prep(db, `update ${ANN} set confidence = ? where rowid = ?`).run(confidence, rowid);
  }

  /** A statement prepared once per connection (SQLite re-prepares it by itself when the schema changed). */
  private prep(db: BetterSqlite3.Database, sql: string): BetterSqlite3.Statement<unknown[], unknown> {
    if (this.statementsOf !== db) {
      this.statements.clear();
      this.statementsOf = db;
    }
    let stmt = this.statements.get(sql);
    if (stmt === undefined) {
      stmt = db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  /**
   * Drops the models of these agents when they have no memory left (an erasure): the cells are
   * averages of their vectors, so they go with them.
   */
  forgetEmptied(db: BetterSqlite3.Database, agentIds: Iterable<string>): void {
    if (!this.tablesExist) return;
    const any = this.prep(db, 'select 1 from memories where agent_id = ? limit 1');
    for (const agentId of new Set(agentIds)) {
      if (this.models.has(agentId) && any.get(agentId) === undefined) {
        this.prep(db, `delete from ${MODELS} where agent_id = ?`).run(agentId);
        this.models.delete(agentId);
      }
    }
  }

  /** Drops every index (the vector space changed, or the store was reset). */
  dropAll(db: BetterSqlite3.Database): void {
    db.exec(`drop table if exists ${ANN}`);
    db.exec(`drop table if exists ${VECTORS}`);
    db.exec(`drop table if exists ${MODELS}`);
    this.models.clear();
    this.tablesExist = false;
  }

  // ── search ──────────────────────────────────────────────────────────────────────────────────

  /**
   * Vector search through the agent's index when the setting and the index allow it, else exact.
   * Records the path taken in `trace`.
   */
  async search(scope: SearchScope, vector: Float32Array, trace: VectorSearchTrace | undefined): Promise<ScoredId[]> {
    const model = await this.usable(scope.agentId);
    if (!model) {
      if (trace) trace.vectorSearch = 'exact';
      return this.host.exact(scope, vector);
    }
    const hits = await this.approximate(scope, vector, model);
    if (hits.length >= scope.k) {
      if (trace) trace.vectorSearch = 'approximate';
      return hits;
    }
    // Fewer than k came back from the probed cells: the exact scan finds every match.
    if (trace) trace.vectorSearch = 'exact';
    return this.host.exact(scope, vector);
  }

  /** The agent's ready model when this query should use it. */
  private async usable(agentId: string | undefined): Promise<LoadedModel | undefined> {
    if (this.settings.mode === 'exact' || agentId === undefined) return undefined;
    await this.host.engine.exclusive((db) => this.refresh(db));
    const m = this.models.get(agentId);
    if (this.settings.mode === 'auto') this.maybeBuild(agentId, m);
    return m?.state === 'ready' ? m : undefined;
  }

  private async approximate(scope: SearchScope, vector: Float32Array, m: LoadedModel): Promise<ScoredId[]> {
    const cells = m.ivf.leaves.length / m.ivf.dimensions;
    const probe = probeCells(m.ivf, vector, Math.max(1, Math.ceil(this.settings.probeFactor * Math.sqrt(cells))));
    const k = scope.k;
    const inVec = vecFilterClause(scope.agentId, scope.filter);
    let knn = `select rowid, distance from ${ANN} where code match vec_bit(?) and k = ? and cell in (${probe.map(() => '?').join(', ')})${inVec.sql}`;
    // Each probed cell's best: enough that RERANK candidates are gathered however few cells are probed.
    const perCell = Math.max(PER_CELL, k, Math.ceil(RERANK / probe.length));
    const params: unknown[] = [m.coder.encode(vector), Math.min(perCell, VEC0_MAX_K), ...probe.map((c) => BigInt(c)), ...inVec.params];
    // What vec0 cannot evaluate (metadata, OR, NOT, expiry…) runs inside each cell's KNN as `rowid in (…)`, as on the exact path.
    const where = memoryFilterClause(scope.agentId, inVec.rest, scope.now);
    if (!(inVec.rest.kind === 'const' && inVec.rest.value)) {
      knn += ` and rowid in (select m.rowid from memories m where 1 = 1${where.sql})`;
      params.push(...where.params);
    }
    const rows = await this.host.engine.reader.rows<{ id: string; embedding: Uint8Array }>(
      // vec0 answers `cell in (…)` one cell at a time: each cell's best, then the best RERANK overall.
      raw(
        `with knn as materialized (${knn}), best as materialized (select rowid from knn order by distance, rowid limit ?) ` +
          `select m.id as id, v.embedding as embedding from best join ${VECTORS} v on v.rowid = best.rowid join memories m on m.rowid = best.rowid ` +
          'where m.superseded_by is null and (m.expires_at is null or m.expires_at > ?)',
        [...params, Math.max(RERANK, k), scope.now],
      ),
    );
    const scored = rows.map((r) => ({ id: r.id, score: dotRow(bufferToFloat32(r.embedding), 0, vector) }));
    scored.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return scored.slice(0, k);
  }

  // ── building ────────────────────────────────────────────────────────────────────────────────

  /**
   * `auto`: starts a background build for an agent grown past minRows (or four times its model's
   * size), checking each agent at most every CHECK_EVERY_MS; never while a build (any process's,
   * unless older than STALE_BUILD_MS: its process died) is under way.
   */
  private maybeBuild(agentId: string, m: LoadedModel | undefined): void {
    if (this.building || this.host.readOnly) return;
    const now = Date.now();
    if ((this.checked.get(agentId) ?? 0) > now - CHECK_EVERY_MS) return;
    this.checked.set(agentId, now);
    if (m?.state === 'building' && m.builtAt > now - STALE_BUILD_MS) return;
    this.building = (async () => {
      // The agent's memories (merged duplicates included), from the counts triggers keep (migration 0010).
      const rows = await agentMemoryCount(this.host.engine, agentId);
      if (rows < this.settings.minRows) return;
      if (m && m.state === 'ready' && rows < m.rows * 4) return;
      const built = await this.build(agentId, { signal: this.aborter.signal });
      this.host.logger.info({ backend: this.host.name, ...built }, 'approximate vector index built');
    })()
      .catch((error: unknown) => {
        if (!this.aborter.signal.aborted) this.host.logger.warn({ err: error, backend: this.host.name, agentId }, 'approximate vector index build failed; recall scans exactly');
      })
      .finally(() => {
        this.building = undefined;
      });
  }


  /**
   * Builds (or rebuilds) the agent's index: trains the cells on a sample of its vectors, then moves
   * every vector in, BUILD_SLICE per write transaction so other writers (and a server's event loop) interleave; writes from
   * any process meanwhile go to the new index as well. The index is used once it is whole.
   */
  async build(agentId: string, options: { onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {}): Promise<VectorIndexBuild> {
    const started = performance.now();
    return this.host.guard('build vector index', async () => {
      const before = await this.host.engine.exclusive((db) => {
        if (!this.host.vecReady(db)) throw new ValidationError('no vector space is fixed for this store', { backend: this.host.name });
        return agentRowids(db, agentId);
      });
      if (before.length === 0) throw new NotFoundError(`agent ${agentId} has no memories to index`, { backend: this.host.name });
      const cells = Math.max(1, Math.round(before.length / ROWS_PER_CELL));
      const sampleIds = evenly(before, Math.min(before.length, sampleSizeFor(cells)));
      const sample = await this.host.engine.exclusive((db) => readVectors(db, sampleIds));
      if (sample.dimensions === 0) throw new NotFoundError(`agent ${agentId} has no vectors to index`, { backend: this.host.name });
      const ivf = await trainIvf(sample.data, sample.dimensions, cells, { pause: () => new Promise((resolve) => setImmediate(resolve)) });
      const coder = SignCoder.forBits(ivf.dimensions, CODE_BITS);
      // The switch to the new model: from here on every write puts its vector with the new cells.
      // What existed then is listed in the same transaction: the old entries to drop, the memories to fill in.
      const { version, old, rowids } = await this.host.engine.exclusiveTransaction((db) => {
        createTables(db, coder.bits);
        const prior = db.prepare(`select version from ${MODELS} where agent_id = ?`).get(agentId) as { version: number | bigint } | undefined;
        const next = prior ? num(prior.version) + 1 : 1;
        const now = agentRowids(db, agentId);
        db.prepare(
          `insert into ${MODELS} (agent_id, version, state, rows, model, built_at) values (?, ?, 'building', ?, ?, ?) ` +
            'on conflict (agent_id) do update set version = excluded.version, state = excluded.state, rows = excluded.rows, model = excluded.model, built_at = excluded.built_at',
        ).run(agentId, next, now.length, JSON.stringify(storeIvf(ivf)), Date.now());
        const entries = (db.prepare(`select rowid from ${ANN} where agent_id = ?`).pluck().all(agentId) as (number | bigint)[]).map(BigInt);
        this.refresh(db);
        return { version: next, old: entries, rowids: now };
      });
      // Each step a short write transaction (the connection and a server's event loop stay free between), checking no other build took over.
      const step = async (work: (db: BetterSqlite3.Database) => void): Promise<void> => {
        if (options.signal?.aborted) throw new ValidationError('vector index build aborted', { backend: this.host.name });
        await this.host.engine.exclusiveTransaction((db) => {
          this.refresh(db);
          const m = this.models.get(agentId);
          if (!m || m.version !== version) throw new ValidationError(`another build of agent ${agentId}'s vector index took over`, { backend: this.host.name });
          work(db);
        });
        await new Promise((resolve) => setImmediate(resolve));
      };
      // The previous model's entries go (a write since the switch that lands among them is refilled below).
      for (let i = 0; i < old.length; i += BUILD_SLICE) await step((db) => old.slice(i, i + BUILD_SLICE).forEach((r) => this.drop(db, r)));
      let done = 0;
      for (let i = 0; i < rowids.length; i += BUILD_SLICE) {
        const slice = rowids.slice(i, i + BUILD_SLICE);
        await step((db) => {
          const present = this.prep(db, `select 1 from ${VECTORS} where rowid = ?`);
          const source = this.prep(
            db,
            'select v.embedding as embedding, m.scope as scope, m.source as source, m.confidence as confidence, m.created_at as created_at ' +
              'from memories m join memories_vec v on v.rowid = m.rowid where m.rowid = ? and m.superseded_by is null',
          );
          for (const rowid of slice) {
            // Written since the switch by the write path (current already), or gone.
            if (present.get(rowid) !== undefined) continue;
            const r = source.get(rowid) as { embedding: Buffer; scope: string; source: string; confidence: number; created_at: number | bigint } | undefined;
            if (r) this.put(db, rowid, agentId, r.embedding, r.scope, r.source, r.confidence, BigInt(r.created_at));
          }
        });
        done += slice.length;
        options.onProgress?.(done, rowids.length);
      }
      await this.host.engine.exclusiveTransaction((db) => {
        db.prepare(`update ${MODELS} set state = 'ready' where agent_id = ? and version = ?`).run(agentId, version);
        this.refresh(db);
      });
      return { agentId, rows: rowids.length, cells: ivf.leaves.length / ivf.dimensions, codeBits: coder.bits, ms: performance.now() - started };
    });
  }

  /** Every agent's index. */
  async status(): Promise<VectorIndexStatus[]> {
    return this.host.guard('read vector indexes', () =>
      this.host.engine.exclusive((db) => {
        this.refresh(db);
        if (!this.tablesExist) return [];
        const rows = db.prepare(`select agent_id, version, state, rows, built_at from ${MODELS} order by agent_id`).all() as Omit<ModelRow, 'model'>[];
        return rows.map((r) => {
          const m = this.models.get(r.agent_id) as LoadedModel;
          return { agentId: r.agent_id, state: r.state, rowsAtBuild: num(r.rows), cells: m.ivf.leaves.length / m.ivf.dimensions, builtAt: num(r.built_at) };
        });
      }),
    );
  }

  /** Drops one agent's index (its queries scan exactly again); false when it had none. */
  async dropIndex(agentId: string): Promise<boolean> {
    return this.host.guard('drop vector index', () =>
      this.host.engine.exclusiveTransaction((db) => {
        this.refresh(db);
        if (!this.tablesExist || !this.models.has(agentId)) return false;
        const old = db.prepare(`select rowid from ${ANN} where agent_id = ?`).pluck().all(agentId) as (number | bigint)[];
        for (const r of old) this.drop(db, BigInt(r));
        db.prepare(`delete from ${MODELS} where agent_id = ?`).run(agentId);
        this.refresh(db);
        return true;
      }),
    );
  }

  /** Stops a background build and waits for it. */
  async close(): Promise<void> {
    this.aborter.abort();
    await this.building;
  }
}

function createTables(db: BetterSqlite3.Database, bits: number): void {
  db.exec(`create table if not exists ${MODELS} (agent_id text primary key, version integer not null, state text not null, rows integer not null, model text not null, built_at integer not null)`);
  db.exec(`create table if not exists ${VECTORS} (rowid integer primary key, embedding blob not null)`);
  db.exec(
    `create virtual table if not exists ${ANN} using vec0(agent_id text partition key, cell integer partition key, code bit[${bits}], ` +
      'scope text, source text, confidence float, created_at integer)',
  );
}

/** The agent's unmerged memories, by rowid. */
function agentRowids(db: BetterSqlite3.Database, agentId: string): bigint[] {
  return (db.prepare('select rowid from memories where agent_id = ? and superseded_by is null order by rowid').pluck().all(agentId) as (number | bigint)[]).map(BigInt);
}

/** `count` of `items`, evenly spaced. */
function evenly<T>(items: readonly T[], count: number): T[] {
  const out: T[] = [];
  const step = items.length / count;
  for (let i = 0; i < count; i++) out.push(items[Math.floor(i * step)] as T);
  return out;
}

/** The float vectors of `rowids` from `memories_vec`, row-major. */
function readVectors(db: BetterSqlite3.Database, rowids: readonly bigint[]): { data: Float32Array; dimensions: number } {
  const get = db.prepare('select embedding from memories_vec where rowid = ?').pluck();
  const blobs: Buffer[] = [];
  for (const r of rowids) {
    const b = get.get(r) as Buffer | undefined;
    if (b) blobs.push(b);
  }
  const dimensions = blobs.length === 0 ? 0 : (blobs[0] as Buffer).byteLength / 4;
  const data = new Float32Array(blobs.length * dimensions);
  blobs.forEach((b, i) => data.set(bufferToFloat32(b), i * dimensions));
  return { data, dimensions };
}

