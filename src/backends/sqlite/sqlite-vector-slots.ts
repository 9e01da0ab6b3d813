import type BetterSqlite3 from 'better-sqlite3';
import type { PendingVectorTask, VectorSpace, VectorSpaces, VectorSpaceSlots } from '../../contracts/semantic-backend.js';
import { metaRows, pendingIsSame, PENDING_PREFIX, PREVIOUS_PREFIX, requirePending, SPACE_META_KEYS, spacesFromMeta } from '../../core/vector-space.js';
import { vectorToBuffer } from '../../core/vector.js';
import type { SqliteEngine } from './sqlite-engine.js';

/** The vec0 table of `dimensions` (what recall searches): partitioned by agent, with the filter fields as metadata columns. */
export function vecTableDdl(dimensions: number): string {
  return (
    `create virtual table if not exists memories_vec using vec0(agent_id text partition key, embedding float[${dimensions}], ` +
    'scope text, source text, confidence float, created_at integer)'
  );
}

/** A pending space's vectors: plain blobs by memory rowid, moved into a new vec0 table at the switch. */
const PENDING = 'memory_vectors_pending';
/** The previous space's vectors after a switch (vec0 tables cannot be renamed: sqlite-vec leaves their shadow tables behind). */
const PREVIOUS = 'memory_vectors_previous';
/** Unmerged memories without a pending vector. */
const LACKING = `from memories m where m.superseded_by is null and not exists (select 1 from ${PENDING} p where p.rowid = m.rowid)`;

/** What the slots need from the backend. */
export interface SqliteSlotsHost {
  readonly name: string;
  readonly engine: SqliteEngine;
  /** Maps engine errors to MemoryErrors naming the action. */
  guard<T>(action: string, fn: () => Promise<T>): Promise<T>;
  /** `memories_vec` was replaced (exists) or dropped, inside the transaction on `db` (the backend caches it, and drops what was built on it). */
  vecChanged(exists: boolean, db: BetterSqlite3.Database): void;
}

/**
 * Re-embedding on SQLite (SemanticBackend.spaces): the pending space's vectors live in a plain table
 * whose rows triggers drop when their memory is deleted or its content changes — whichever process
 * writes. The switch, in one immediate transaction, copies the current vec0 vectors aside (the
 * previous space), drops the vec0 table, creates it at the new dimension and fills it from the
 * pending table with the memories' filter columns; readers in other processes see either space whole.
 */
export class SqliteVectorSlots implements VectorSpaceSlots {
  constructor(private readonly host: SqliteSlotsHost) {}

  async spaces(): Promise<VectorSpaces> {
    return this.host.guard('read vector spaces', () => this.host.engine.exclusive((db) => readSpaces(db)));
  }

  async begin(space: VectorSpace): Promise<void> {
    await this.tx('begin re-embedding', (db) => {
      if (pendingIsSame(readSpaces(db).pending, space, this.host.name)) return;
      putMeta(db, metaRows(space, PENDING_PREFIX));
      db.exec(`create table if not exists ${PENDING} (rowid integer primary key, embedding blob not null)`);
      db.exec(`create trigger if not exists ${PENDING}_gone after delete on memories begin delete from ${PENDING} where rowid = old.rowid; end`);
      db.exec(
        `create trigger if not exists ${PENDING}_stale after update of content on memories when old.content is not new.content ` +
          `begin delete from ${PENDING} where rowid = old.rowid; end`,
      );
    });
  }

  async missing(after: string | undefined, limit: number): Promise<PendingVectorTask[]> {
    return this.read('find memories to re-embed', (db) => {
      requirePending(readSpaces(db).pending, this.host.name);
      return db.prepare(`select m.id, m.content ${LACKING} and m.id > ? order by m.id limit ?`).all(after ?? '', limit) as PendingVectorTask[];
    });
  }

  async countMissing(): Promise<number> {
    return this.read('count memories to re-embed', (db) => lacking(db, readSpaces(db).pending, this.host.name));
  }

  async write(vectors: readonly { id: string; content: string; vector: Float32Array }[]): Promise<void> {
    if (vectors.length === 0) return;
    await this.tx('write re-embedded vectors', (db) => {
      requirePending(readSpaces(db).pending, this.host.name);
      const put = db.prepare(`insert or replace into ${PENDING} (rowid, embedding) select rowid, ? from memories where id = ? and content = ?`);
      for (const v of vectors) put.run(vectorToBuffer(v.vector), v.id, v.content);
    });
  }

  async switch(): Promise<number> {
    return this.tx('switch vector space', (db) => {
      const { current, pending } = readSpaces(db);
      const left = lacking(db, pending, this.host.name);
      if (left > 0) return left;
      db.exec(`drop table if exists ${PREVIOUS}`);
      if (vecExists(db)) {
        db.exec(`create table ${PREVIOUS} (rowid integer primary key, embedding blob not null)`);
        db.exec(`insert into ${PREVIOUS} (rowid, embedding) select rowid, embedding from memories_vec`);
        db.exec('drop table memories_vec');
      }
      db.exec(vecTableDdl((pending as VectorSpace).dimensions));
      db.exec(
        'insert into memories_vec (rowid, agent_id, embedding, scope, source, confidence, created_at) ' +
          `select m.rowid, m.agent_id, p.embedding, m.scope, m.source, m.confidence, m.created_at from memories m join ${PENDING} p on p.rowid = m.rowid where m.superseded_by is null`,
      );
      deleteMeta(db);
      putMeta(db, [...metaRows(pending as VectorSpace), ...(current ? metaRows(current, PREVIOUS_PREFIX) : [])]);
      dropPending(db);
      this.host.vecChanged(true, db);
      return 0;
    });
  }

  async dropPrevious(): Promise<boolean> {
    return this.tx('drop previous vector space', (db) => {
      if (!readSpaces(db).previous) return false;
      db.exec(`drop table if exists ${PREVIOUS}`);
      db.prepare(`delete from semantic_meta where key like '${PREVIOUS_PREFIX}%'`).run();
      return true;
    });
  }

  async abort(): Promise<boolean> {
    return this.tx('abort re-embedding', (db) => {
      if (!readSpaces(db).pending) return false;
      dropPending(db);
      db.prepare(`delete from semantic_meta where key like '${PENDING_PREFIX}%'`).run();
      return true;
    });
  }

  async reset(): Promise<boolean> {
    return this.tx('reset vector space', (db) => {
      if (db.prepare('select 1 from memories limit 1').get() !== undefined) return false;
      dropPending(db);
      db.exec(`drop table if exists ${PREVIOUS}`);
      db.exec('drop table if exists memories_vec');
      deleteMeta(db);
      this.host.vecChanged(false, db);
      return true;
    });
  }

  /** Reads: on the connection, without taking the write lock other processes' writers need. */
  private read<T>(action: string, fn: (db: BetterSqlite3.Database) => T): Promise<T> {
    return this.host.guard(action, () => this.host.engine.exclusive(fn));
  }

  private tx<T>(action: string, fn: (db: BetterSqlite3.Database) => T): Promise<T> {
    return this.host.guard(action, () => this.host.engine.exclusiveTransaction(fn));
  }
}

function readSpaces(db: BetterSqlite3.Database): VectorSpaces {
  const rows = db.prepare(`select key, value from semantic_meta where key in (${SPACE_META_KEYS.map(() => '?').join(', ')})`).all(...SPACE_META_KEYS) as { key: string; value: string }[];
  return spacesFromMeta(rows);
}

function lacking(db: BetterSqlite3.Database, pending: VectorSpace | undefined, backend: string): number {
  requirePending(pending, backend);
  return Number((db.prepare(`select count(*) as n ${LACKING}`).get() as { n: number | bigint }).n);
}

function vecExists(db: BetterSqlite3.Database): boolean {
  return db.prepare("select 1 from sqlite_master where type = 'table' and name = 'memories_vec'").get() !== undefined;
}

function putMeta(db: BetterSqlite3.Database, rows: { key: string; value: string }[]): void {
  const put = db.prepare('insert into semantic_meta (key, value) values (?, ?) on conflict (key) do update set value = excluded.value');
  for (const r of rows) put.run(r.key, r.value);
}

/** Removes every space key (the caller writes back what stays). */
function deleteMeta(db: BetterSqlite3.Database): void {
  db.prepare(`delete from semantic_meta where key in (${SPACE_META_KEYS.map(() => '?').join(', ')})`).run(...SPACE_META_KEYS);
}

function dropPending(db: BetterSqlite3.Database): void {
  db.exec(`drop trigger if exists ${PENDING}_gone`);
  db.exec(`drop trigger if exists ${PENDING}_stale`);
  db.exec(`drop table if exists ${PENDING}`);
}
