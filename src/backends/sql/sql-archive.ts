import { sql, type Expression, type SqlBool } from 'kysely';
import { ARCHIVE_TABLES, type ArchivePage, type ArchiveRow, type ArchiveRowOutcome, type ArchiveTable, type ArchiveWriteOptions, type MainArchive } from '../../contracts/archive.js';
import { ValidationError } from '../../errors.js';
import type { SqlEngine } from './engine.js';
import type { Database } from './schema.js';

/** The column(s) naming a row's agent, per table (tasks: any of three; devices: none). */
const AGENT_COLUMNS: Record<ArchiveTable, readonly string[]> = {
  agents: ['id'],
  kv: ['agent_id'],
  entities: ['agent_id'],
  relations: ['agent_id'],
  sessions: ['agent_id'],
  canonical_sessions: ['agent_id'],
  usage_events: ['agent_id'],
  paired_devices: [],
  tasks: ['created_by', 'assigned_to', 'claimed_by'],
};

/**
 * Export / import of the main stores' rows as stored, on any SqlEngine: keyset pages in primary-key
 * order (the cursor is the last key, JSON-encoded), and batches written in one transaction each.
 */
export class SqlArchive implements MainArchive {
  constructor(private readonly engine: SqlEngine) {}

  async exportRows(table: ArchiveTable, page: ArchivePage): Promise<{ rows: ArchiveRow[]; cursor: string | undefined }> {
    const spec = ARCHIVE_TABLES[table];
    const agents = AGENT_COLUMNS[table];
    if (page.agentIds !== undefined && (agents.length === 0 || page.agentIds.length === 0)) return { rows: [], cursor: undefined };
    const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor, spec.key.length, this.engine.backendName);
    const limit = Math.max(1, Math.trunc(page.limit));
    // The table name is one of ARCHIVE_TABLES' (never caller text); columns likewise.
    const db = this.engine.db;
    let query = db.selectFrom(table as keyof Database).select(Object.keys(spec.columns).map((c) => sql.ref(c).as(c)));
    if (page.agentIds !== undefined) {
      const ids = [...page.agentIds];
      query = query.where((eb) => eb.or(agents.map((c) => eb(sql.ref(c), 'in', ids))));
    }
    // Keys compare and sort byte-wise on both engines (PostgreSQL: collate "C"), so pages never skip or repeat a row.
    const collated = (k: string) => (this.engine.dialect === 'postgres' ? sql`${sql.ref(k)} collate "C"` : sql`${sql.ref(k)}`);
    if (after !== undefined) {
      query = query.where((eb) => {
        // (k1, k2, …) > (a1, a2, …) spelled out, for both engines.
        const ors: Expression<SqlBool>[] = [];
        for (let i = 0; i < spec.key.length; i++) {
          const ands: Expression<SqlBool>[] = [];
          for (let j = 0; j < i; j++) ands.push(eb(sql.ref(spec.key[j] as string), '=', after[j]));
          ands.push(eb(collated(spec.key[i] as string), '>', after[i]));
          ors.push(eb.and(ands));
        }
        return eb.or(ors);
      });
    }
    for (const k of spec.key) query = query.orderBy(collated(k));
    query = query.limit(limit);
    try {
      const raw = await this.engine.reader.rows(query.compile() as never);
      const rows = (raw as Record<string, unknown>[]).map((r) => normalise(table, r));
      const last = rows.at(-1);
      return { rows, cursor: rows.length < limit || last === undefined ? undefined : JSON.stringify(spec.key.map((k) => last[k])) };
    } catch (error) {
      throw this.engine.mapError(error, `export ${table}`);
    }
  }

  async countRows(table: ArchiveTable, agentIds: readonly string[] | undefined): Promise<number> {
    const agents = AGENT_COLUMNS[table];
    if (agentIds !== undefined && (agents.length === 0 || agentIds.length === 0)) return 0;
    let query = this.engine.db.selectFrom(table as keyof Database).select(sql<number>`count(*)`.as('n'));
    if (agentIds !== undefined) {
      const ids = [...agentIds];
      query = query.where((eb) => eb.or(agents.map((c) => eb(sql.ref(c), 'in', ids))));
    }
    try {
      const row = await this.engine.reader.first<{ n: number | string }>(query.compile() as never);
      return Number(row?.n ?? 0);
    } catch (error) {
      throw this.engine.mapError(error, `count ${table}`);
    }
  }

  async importRows(table: ArchiveTable, rows: readonly ArchiveRow[], options: ArchiveWriteOptions): Promise<ArchiveRowOutcome[]> {
    if (rows.length === 0) return [];
    const spec = ARCHIVE_TABLES[table];
    const db = this.engine.db;
    const name = table as keyof Database;
    try {
      return await this.engine.transaction(async (tx) => {
        const outcomes: ArchiveRowOutcome[] = [];
        for (const row of rows) {
          const match = sql<SqlBool>`${sql.join(
            spec.key.map((k) => sql`${sql.ref(k)} = ${row[k]}`),
            sql` and `,
          )}`;
          const found = await tx.first(db.selectFrom(name).select(sql<number>`1`.as('one')).where(match).compile());
          if (found !== undefined) {
            if (!options.overwrite) {
              outcomes.push('existing');
              continue;
            }
            await tx.run(db.deleteFrom(name).where(match).compile());
          }
          await tx.run(db.insertInto(name).values(row as never).compile());
          outcomes.push(found === undefined ? 'created' : 'replaced');
        }
        return outcomes;
      });
    } catch (error) {
      throw this.engine.mapError(error, `import ${table}`);
    }
  }
}

/** A row as read back: numbers as numbers (drivers may return bigints or strings), nothing else. */
function normalise(table: ArchiveTable, raw: Record<string, unknown>): ArchiveRow {
  const row: ArchiveRow = {};
  for (const [column, type] of Object.entries(ARCHIVE_TABLES[table].columns)) {
    const value = raw[column];
    if (value === null || value === undefined) row[column] = null;
    else if (type.startsWith('n')) row[column] = typeof value === 'number' ? value : Number(value);
    else row[column] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return row;
}

function decodeCursor(cursor: string, length: number, backend: string): (string | number)[] {
  try {
    const parts = JSON.parse(cursor) as unknown;
    if (Array.isArray(parts) && parts.length === length && parts.every((p) => typeof p === 'string' || typeof p === 'number')) return parts as (string | number)[];
  } catch {
    // fall through
  }
  throw new ValidationError('invalid export cursor', { backend });
}
