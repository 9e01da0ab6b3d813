import pg from 'pg';
import { anchorJson, parseAnchorRecord, type AnchorRecord, type AuditAnchor } from '../../core/audit-anchor.js';
import { redactUrl, scrub } from '../../core/redact.js';
import { BackendUnavailableError, ChainIntegrityError } from '../../errors.js';

const BACKEND = 'audit-anchor';
const TABLE = 'memstrate_audit_anchors';

/**
 * The audit anchor in a PostgreSQL table (`audit_anchor_url`) instead of a file: one row per store
 * (`audit_anchor_name`), shared by every host and working directory that opens the store. Give it a
 * database or role that the store's own credentials cannot write: then whoever can rewrite the store
 * cannot rewrite its anchor too. A write never moves the row backwards for the same chain (the
 * statement itself compares), so hosts racing each other cannot roll it back.
 */
export class PostgresAnchor implements AuditAnchor {
  readonly description: string;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly name: string,
    private readonly redacted: string,
    private readonly secrets: string[],
  ) {
    this.description = `shared anchor "${name}" in PostgreSQL at ${redacted}`;
  }

  /** Connects (3 s), creates the table when missing. BackendUnavailableError naming the redacted URL. */
  static async open(url: string, name: string): Promise<PostgresAnchor> {
    const redacted = redactUrl(url);
    const secrets: string[] = [];
    try {
      const u = new URL(url);
      for (const part of [u.password, u.username]) if (part) secrets.push(part, decodeURIComponent(part));
    } catch {
      // never echoed
    }
    const pool = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 3000 });
    pool.on('error', () => {});
    const anchor = new PostgresAnchor(pool, name, redacted, secrets);
    try {
      await pool.query(`create table if not exists ${TABLE} (name text primary key, record jsonb not null, updated_at timestamptz not null default now())`);
    } catch (error) {
      await pool.end().catch(() => {});
      throw anchor.unavailable('open', error);
    }
    return anchor;
  }

  private unavailable(action: string, error: unknown): BackendUnavailableError {
    const message = scrub(error instanceof Error ? error.message : String(error), this.secrets);
    return new BackendUnavailableError(`${action} the shared audit anchor at ${this.redacted}: ${message}`, { backend: BACKEND });
  }

  async read(): Promise<AnchorRecord | undefined> {
    let rows: { record: unknown }[];
    try {
      rows = (await this.pool.query<{ record: unknown }>(`select record from ${TABLE} where name = $1`, [this.name])).rows;
    } catch (error) {
      throw this.unavailable('read', error);
    }
    if (rows.length === 0) return undefined;
    const record = parseAnchorRecord(rows[0]?.record);
    if (!record) throw new ChainIntegrityError(0, `the ${this.description} is malformed`, { backend: BACKEND });
    return record;
  }

  async write(record: AnchorRecord): Promise<void> {
    try {
      await this.pool.query(
        `insert into ${TABLE} (name, record) values ($1, $2::jsonb) on conflict (name) do update set record = excluded.record, updated_at = now() ` +
          `where ${TABLE}.record->>'chain' <> excluded.record->>'chain' ` +
          `or (excluded.record->>'seq')::bigint > (${TABLE}.record->>'seq')::bigint ` +
          `or ((excluded.record->>'seq')::bigint = (${TABLE}.record->>'seq')::bigint and coalesce((excluded.record->'checkpoint'->>'seq')::bigint, 0) >= coalesce((${TABLE}.record->'checkpoint'->>'seq')::bigint, 0))`,
        [this.name, JSON.stringify(anchorJson(record))],
      );
    } catch (error) {
      throw this.unavailable('write', error);
    }
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => {});
  }
}
