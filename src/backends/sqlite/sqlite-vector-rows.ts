import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteAnnIndex } from './sqlite-ann-index.js';

type Statement = BetterSqlite3.Statement<unknown[], unknown>;

const INSERT_VECTOR = 'insert into memories_vec (rowid, agent_id, embedding, scope, source, confidence, created_at) values (?, ?, ?, ?, ?, ?, ?)';
const DELETE_VECTOR = 'delete from memories_vec where rowid = ?';
const SET_CONFIDENCE = 'update memories_vec set confidence = ? where rowid = ?';

/**
 * Every write to `memories_vec`, in one place, mirrored into the agent's approximate index
 * (sqlite-ann-index.ts) in the same transaction. Made per write transaction: it re-reads which
 * agents have an index, which another process may have built meanwhile.
 */
export class VectorRows {
  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly prep: (sql: string) => Statement,
    private readonly ann: SqliteAnnIndex,
  ) {
    ann.refresh(db);
  }

  put(rowid: bigint, agentId: string, embedding: Buffer, scope: string, source: string, confidence: number, createdAt: bigint): void {
    this.prep(INSERT_VECTOR).run(rowid, agentId, embedding, scope, source, confidence, createdAt);
    this.ann.put(this.db, rowid, agentId, embedding, scope, source, confidence, createdAt);
  }

  drop(rowid: bigint): void {
    this.prep(DELETE_VECTOR).run(rowid);
    this.ann.drop(this.db, rowid);
  }

  /** After deletes: indexes of agents left without memories go too. */
  agentsEmptied(agentIds: Iterable<string>): void {
    this.ann.forgetEmptied(this.db, agentIds);
  }

  setConfidence(rowid: bigint, confidence: number): void {
    this.prep(SET_CONFIDENCE).run(confidence, rowid);
    this.ann.setConfidence(this.db, rowid, confidence);
  }
}
