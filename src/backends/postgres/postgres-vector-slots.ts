import { raw } from '../sql/context.js';
import type { PendingVectorTask, VectorSpace, VectorSpaces, VectorSpaceSlots } from '../../contracts/semantic-backend.js';
import { metaRows, pendingIsSame, PENDING_PREFIX, PREVIOUS_PREFIX, requirePending, SPACE_META_KEYS, spacesFromMeta } from '../../core/vector-space.js';
import type { SqlExecutor } from '../sql/engine.js';
import type { PostgresEngine } from './postgres-engine.js';
import { HNSW_INDEX, quoteIdent, type HnswParams, vectorColumnDdl, vectorLiteral, vectorTypeFor, type SemanticTables } from './postgres-semantic-sql.js';

/** The pending space's column (and its HNSW index), and the previous space's column after a switch. */
const PENDING = 'embedding_pending';
const PENDING_INDEX = 'memories_embedding_pending_hnsw';
const PREVIOUS = 'embedding_previous';
/** Clears a memory's pending vector when its content changes, whichever process writes. */
const STALE_FUNCTION = 'memstrate_pending_vector_stale';
const STALE_TRIGGER = 'memories_pending_vector_stale';
/** Unmerged memories without a pending vector. */
const LACKING = `superseded_by is null and ${PENDING} is null`;


/** What the slots need from the backend. */
export interface PostgresSlotsHost {
  readonly name: string;
  readonly engine: PostgresEngine;
  readonly t: SemanticTables;
  /** The advisory lock the vector space is changed under. */
  readonly lock: string;
  /** The HNSW parameters a pending space's index is built with. */
  readonly hnsw: HnswParams;
  guard<T>(action: string, fn: () => Promise<T>): Promise<T>;
  /** The current space changed (the backend caches it). */
  spaceChanged(space: VectorSpace | undefined): void;
}

/**
 * Re-embedding on PostgreSQL (SemanticBackend.spaces): the pending space is a second vector column
 * of `memories` with its own HNSW index, built while recall searches `embedding`; a trigger clears a
 * pending vector when its memory's content changes. The switch is transactional DDL under the
 * space lock and a SHARE ROW EXCLUSIVE table lock (writers wait, readers do not): `embedding`
 * becomes `embedding_previous` (its index dropped), the pending column becomes `embedding` and its
 * index takes the HNSW index's name — concurrent sessions see either space whole.
 */
export class PostgresVectorSlots implements VectorSpaceSlots {
  constructor(private readonly host: PostgresSlotsHost) {}

  async spaces(): Promise<VectorSpaces> {
    return this.host.guard('read vector spaces', () => this.read(this.host.engine));
  }

  async begin(space: VectorSpace): Promise<void> {
    const { t } = this.host;
    await this.tx('begin re-embedding', async (tx) => {
      if (pendingIsSame((await this.read(tx)).pending, space, this.host.name)) return;
      await this.putMeta(tx, metaRows(space, PENDING_PREFIX));
      for (const ddl of vectorColumnDdl(t, space.dimensions, this.host.hnsw, PENDING, PENDING_INDEX)) await tx.run(raw(ddl));
      const fn = `${quoteIdent(t.schema)}.${STALE_FUNCTION}`;
      await tx.run(
        raw(
          `create or replace function ${fn}() returns trigger language plpgsql as $$ ` +
            `begin if new.content is distinct from old.content then new.${PENDING} := null; end if; return new; end $$`,
        ),
      );
      await tx.run(raw(`create or replace trigger ${STALE_TRIGGER} before update of content on ${t.memories} for each row execute function ${fn}()`));
    });
  }

  async missing(after: string | undefined, limit: number): Promise<PendingVectorTask[]> {
    const { t } = this.host;
    return this.host.guard('find memories to re-embed', async () => {
      requirePending((await this.read(this.host.engine)).pending, this.host.name);
      return this.host.engine.rows<PendingVectorTask>(raw(`select id, content from ${t.memories} where ${LACKING} and id > $1 order by id limit $2`, [after ?? '', limit]));
    });
  }

  async countMissing(): Promise<number> {
    return this.host.guard('count memories to re-embed', async () => {
      requirePending((await this.read(this.host.engine)).pending, this.host.name);
      return this.lacking(this.host.engine);
    });
  }

  async write(vectors: readonly { id: string; content: string; vector: Float32Array }[]): Promise<void> {
    if (vectors.length === 0) return;
    const { t } = this.host;
    await this.tx('write re-embedded vectors', async (tx) => {
      const pending = requirePending((await this.read(tx)).pending, this.host.name);
      const type = vectorTypeFor(pending.dimensions);
      await tx.run(
        raw(
          `update ${t.memories} m set ${PENDING} = v.e::${type} ` +
            'from (select unnest($1::text[]) as id, unnest($2::text[]) as content, unnest($3::text[]) as e) v where m.id = v.id and m.content = v.content',
          [vectors.map((v) => v.id), vectors.map((v) => v.content), vectors.map((v) => vectorLiteral(v.vector))],
        ),
      );
    });
  }

  async switch(): Promise<number> {
    const { t } = this.host;
    let switched: VectorSpace | undefined;
    const left = await this.tx('switch vector space', async (tx) => {
      await tx.run(raw(`lock table ${t.memories} in share row exclusive mode`));
      const { current, pending } = await this.read(tx);
      requirePending(pending, this.host.name);
      const n = await this.lacking(tx);
      if (n > 0) return n;
      await tx.run(raw(`alter table ${t.memories} drop column if exists ${PREVIOUS}`));
      if (current) {
        await tx.run(raw(`drop index if exists ${quoteIdent(t.schema)}.${HNSW_INDEX}`));
        await tx.run(raw(`alter table ${t.memories} rename column embedding to ${PREVIOUS}`));
      } else {
        await tx.run(raw(`alter table ${t.memories} drop column if exists embedding`));
      }
      await this.dropTrigger(tx);
      await tx.run(raw(`alter table ${t.memories} rename column ${PENDING} to embedding`));
      await tx.run(raw(`alter index if exists ${quoteIdent(t.schema)}.${PENDING_INDEX} rename to ${HNSW_INDEX}`));
      await tx.run(raw(`delete from ${t.meta} where key = any($1::text[])`, [SPACE_META_KEYS]));
      await this.putMeta(tx, [...metaRows(pending as VectorSpace), ...(current ? metaRows(current, PREVIOUS_PREFIX) : [])]);
      switched = pending;
      return 0;
    });
    if (left === 0) this.host.spaceChanged(switched);
    return left;
  }

  async dropPrevious(): Promise<boolean> {
    const { t } = this.host;
    return this.tx('drop previous vector space', async (tx) => {
      if (!(await this.read(tx)).previous) return false;
      await tx.run(raw(`alter table ${t.memories} drop column if exists ${PREVIOUS}`));
      await tx.run(raw(`delete from ${t.meta} where key like $1`, [`${PREVIOUS_PREFIX}%`]));
      return true;
    });
  }

  async abort(): Promise<boolean> {
    const { t } = this.host;
    return this.tx('abort re-embedding', async (tx) => {
      if (!(await this.read(tx)).pending) return false;
      await this.dropTrigger(tx);
      await tx.run(raw(`alter table ${t.memories} drop column if exists ${PENDING}`));
      await tx.run(raw(`delete from ${t.meta} where key like $1`, [`${PENDING_PREFIX}%`]));
      return true;
    });
  }

  async reset(): Promise<boolean> {
    const { t } = this.host;
    const done = await this.tx('reset vector space', async (tx) => {
      await tx.run(raw(`lock table ${t.memories} in share row exclusive mode`));
      if (await tx.first(raw(`select 1 from ${t.memories} limit 1`))) return false;
      await this.dropTrigger(tx);
      for (const column of ['embedding', PENDING, PREVIOUS]) await tx.run(raw(`alter table ${t.memories} drop column if exists ${column}`));
      await tx.run(raw(`delete from ${t.meta} where key = any($1::text[])`, [SPACE_META_KEYS]));
      return true;
    });
    if (done) this.host.spaceChanged(undefined);
    return done;
  }

  private tx<T>(action: string, fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.host.guard(action, () => this.host.engine.transaction(fn, { lock: this.host.lock }));
  }

  private async read(db: SqlExecutor): Promise<VectorSpaces> {
    const rows = await db.rows<{ key: string; value: string }>(raw(`select key, value from ${this.host.t.meta} where key = any($1::text[])`, [SPACE_META_KEYS]));
    return spacesFromMeta(rows);
  }

  private async lacking(db: SqlExecutor): Promise<number> {
    const row = await db.first<{ n: string | number }>(raw(`select count(*) as n from ${this.host.t.memories} where ${LACKING}`));
    return Number(row?.n ?? 0);
  }

  private async putMeta(db: SqlExecutor, rows: { key: string; value: string }[]): Promise<void> {
    for (const r of rows) {
      await db.run(raw(`insert into ${this.host.t.meta} (key, value) values ($1, $2) on conflict (key) do update set value = excluded.value`, [r.key, r.value]));
    }
  }

  private async dropTrigger(db: SqlExecutor): Promise<void> {
    const { t } = this.host;
    await db.run(raw(`drop trigger if exists ${STALE_TRIGGER} on ${t.memories}`));
    await db.run(raw(`drop function if exists ${quoteIdent(t.schema)}.${STALE_FUNCTION}()`));
  }
}
