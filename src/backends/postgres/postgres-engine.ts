import {
  CompiledQuery,
  Kysely,
  Migrator,
  PostgresDialect,
  sql,
  type DatabaseIntrospector,
  type DatabaseMetadata,
  type Migration,
  type TableMetadata,
} from 'kysely';
import pg from 'pg';
import { redactUrl, scrub } from '../../core/redact.js';
import { BackendUnavailableError, ConflictError, InternalError, MemoryError, ValidationError } from '../../errors.js';
import { ScopeRunner } from '../sql/scope-runner.js';
import type { SqlEngine, SqlExecutor, SqlReader } from '../sql/engine.js';
import type { Database } from '../sql/schema.js';

export interface PostgresEngineOptions {
  url: string;
  poolSize: number;
  schema: string;
  /** The backend name used in messages (`postgres`, `semantic:postgres`). */
  backendName?: string;
  connectTimeoutMs?: number;
  /** `full`: every session runs with synchronous_commit = on, whatever the server's default. */
  durability?: 'normal' | 'full';
  /** Every session read-only (default_transaction_read_only): a forensic open writes nothing. */
  readOnly?: boolean;
}

// int8 (bigint: epoch-ms timestamps, counts) as JS numbers: every value memstrate stores fits in
// 2^53. numeric (sums of bigints) likewise.
const types = {
  getTypeParser(oid: number, format?: string) {
    if (oid === 20 || oid === 1700) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** How long open() waits for the server to answer its probe before failing (well under 5 s). */
const PROBE_TIMEOUT_MS = 3000;

/**
 * PostgreSQL through `pg`: a pool whose connections use the configured schema, Kysely for building
 * queries and running migrations (under Kysely's advisory lock, each in a transaction), and
 * advisory-locked transactions for appends that must be serialised across processes.
 */
/** An `atomically` scope: its transaction (one pooled client) begins at the first statement run inside it. */
interface Scope {
  client: Promise<pg.PoolClient> | undefined;
  savepoints: number;
  /** Set when the scope ended: work it scheduled and that runs later is outside it. */
  ended: boolean;
}

export class PostgresEngine implements SqlEngine {
  readonly dialect = 'postgres' as const;
  readonly forUpdate = ' for update';
  readonly backendName: string;
  readonly db: Kysely<Database>;
  /** Queries never block the event loop here: long reads run like any other. */
  readonly reader: SqlReader = this;
  readonly pool: pg.Pool;
  readonly schema: string;
  /** The URL with user info and secret parameters masked: the only form of it that is ever printed. */
  readonly redacted: string;
  /** The password and user name, removed from every driver message we pass on. */
  private readonly secrets: string[];
  private closed = false;
  private readonly scopes = new ScopeRunner<Scope>();
  /** Nesting of `securely` calls, and the tables that lost rows inside them. */
  private secureDepth = 0;
  private readonly erased = new Set<string>();
  private readonly readOnly: boolean;

  private constructor(options: PostgresEngineOptions) {
    this.backendName = options.backendName ?? 'postgres';
    this.readOnly = options.readOnly === true;
    this.schema = options.schema;
    this.redacted = redactUrl(options.url);
    this.secrets = [];
    try {
      const url = new URL(options.url);
      for (const part of [url.password, url.username]) {
        if (part) this.secrets.push(part, safeDecode(part));
      }
    } catch {
      // An unparseable URL is never echoed (redactUrl), so there is nothing to scrub.
    }
    // `public` stays on the path for extension types (pgvector's `vector` is installed there).
    const setPath = options.schema === 'public' ? 'set search_path to public' : `set search_path to ${quoteIdent(options.schema)}, public`;
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      types,
      // Awaited before the connection is handed out (a failure fails the checkout), so no
      // statement can ever run — and no table be created — outside the configured schema.
      onConnect: async (client) => {
        await client.query(setPath);
        if (options.durability === 'full') await client.query('set synchronous_commit to on');
        if (options.readOnly) await client.query('set default_transaction_read_only to on');
      },
    });
    // An idle client's error (server restart) must not crash the process; the next query reports it.
    this.pool.on('error', () => {});
    this.db = new Kysely<Database>({ dialect: new SchemaScopedPostgresDialect({ pool: this.pool }, options.schema) });
  }

  /**
   * Connects and probes the server (fail fast, URL redacted in every message): a server that does
   * not answer within PROBE_TIMEOUT_MS fails open, without waiting for the pool's own connect timeout.
   */
  static async open(options: PostgresEngineOptions): Promise<PostgresEngine> {
    const engine = new PostgresEngine(options);
    const probe = engine.pool.query('select 1');
    probe.catch(() => {}); // settled below, or abandoned after the deadline
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
    });
    try {
      await Promise.race([probe, deadline]);
    } catch (cause) {
      // Not awaited: a connection attempt to a stalled server ends at the pool's connect timeout.
      void engine.pool.end().catch(() => {});
      throw new BackendUnavailableError(`cannot connect to PostgreSQL at ${engine.redacted}: ${engine.clean(cause)}`, {
        backend: engine.backendName,
      });
    } finally {
      clearTimeout(timer);
    }
    return engine;
  }

  /** A statement on the pool with its error mapped (schema administration). */
  private async admin<R extends pg.QueryResultRow>(action: string, text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(text, values);
    } catch (error) {
      throw this.mapError(error, action);
    }
  }

  /** Whether the engine's schema exists, and whether a store was ever migrated into it — one round trip. */
  async storeState(): Promise<{ schema: boolean; migrated: boolean }> {
    const res = await this.admin<{ schema: boolean; migrated: boolean }>(
      'read schema',
      "select exists (select 1 from pg_namespace where nspname = $1) as schema, exists (select 1 from pg_tables where schemaname = $1 and tablename = 'kysely_migration') as migrated",
      [this.schema],
    );
    return res.rows[0] ?? { schema: false, migrated: false };
  }

  /** Drops the engine's schema and everything in it (a substrate open that failed after creating it). */
  async dropSchema(): Promise<void> {
    await this.admin('drop schema', `drop schema if exists ${quoteIdent(this.schema)} cascade`);
  }

  /** Creates the schema if needed and applies every pending migration under Kysely's advisory lock. */
  async migrate(migrations: Record<string, Migration>): Promise<string> {
    try {
      await this.pool.query(`create schema if not exists ${quoteIdent(this.schema)}`);
    } catch (error) {
      // Two processes creating the schema at once: the loser sees a duplicate; the schema exists.
      const code = (error as { code?: string }).code;
      if (code !== '23505' && code !== '42P06') throw this.mapError(error, 'create schema');
    }
    const migrator = new Migrator({
      db: this.db,
      provider: { getMigrations: async () => migrations },
      migrationTableSchema: this.schema,
    });
    const { error, results } = await migrator.migrateToLatest();
    if (error) {
      const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
      throw new BackendUnavailableError(`migration ${failed} failed on ${this.redacted}: ${this.clean(error)}`, { backend: this.backendName });
    }
    return Object.keys(migrations).sort().at(-1) ?? '';
  }

  private executor(client: pg.Pool | pg.PoolClient): SqlExecutor {
    const query = async <R>(q: CompiledQuery<R>) => {
      if (this.closed) throw new BackendUnavailableError('the substrate is closed', { backend: this.backendName });
      return client.query({ text: q.sql, values: q.parameters as unknown[] });
    };
    return {
      rows: async <R>(q: CompiledQuery<R>) => (await query(q)).rows as R[],
      first: async <R>(q: CompiledQuery<R>) => (await query(q)).rows[0] as R | undefined,
      run: async (q: CompiledQuery<unknown>) => (await query(q)).rowCount ?? 0,
    };
  }

  /** The live `atomically` scope of the caller, if any. */
  private scope(): Scope | undefined {
    return this.scopes.current();
  }

  /** The scope's client, its transaction begun at the first statement. */
  private enter(scope: Scope): Promise<pg.PoolClient> {
    scope.client ??= (async () => {
      if (this.closed) throw new BackendUnavailableError('the substrate is closed', { backend: this.backendName });
      const client = await this.pool.connect();
      try {
        await client.query('begin');
      } catch (error) {
        client.release(true);
        throw error;
      }
      return client;
    })();
    return scope.client;
  }

  /** Statements run on the caller's scope transaction when there is one, else on the pool. */
  private async current(): Promise<SqlExecutor> {
    const scope = this.scope();
    return scope ? this.executor(await this.enter(scope)) : this.executor(this.pool);
  }

  async rows<R>(q: CompiledQuery<R>): Promise<R[]> {
    return (await this.current()).rows(q);
  }

  async first<R>(q: CompiledQuery<R>): Promise<R | undefined> {
    return (await this.current()).first(q);
  }

  async run(q: CompiledQuery<unknown>): Promise<number> {
    return (await this.current()).run(q);
  }

  private lockStatement(client: pg.PoolClient, lock: string): Promise<unknown> {
    return client.query('select pg_advisory_xact_lock(hashtext($1))', [`${this.schema}:${lock}`]);
  }

  /**
   * Runs `fn` so that every statement it runs on this engine — through rows/first/run and
   * transaction (which become savepoints, taking their advisory locks in the one transaction) — is
   * in ONE transaction on one pooled connection, begun at the first statement, committed when `fn`
   * resolves and rolled back when it throws. Nested calls join.
   */
  async atomically<T>(fn: () => Promise<T>): Promise<T> {
    if (this.scope()) return fn();
    const scope: Scope = { client: undefined, savepoints: 0, ended: false };
    let outcome = await this.scopes.run(scope, fn);
    const client = scope.client ? await scope.client.catch(() => undefined) : undefined;
    if (client) {
      let broken = false;
      try {
        await client.query(outcome.ok ? 'commit' : 'rollback');
      } catch (error) {
        await client.query('rollback').catch(() => {
          broken = true;
        });
        if (outcome.ok) outcome = { ok: false, error: this.mapError(error, 'commit') };
      } finally {
        client.release(broken);
      }
    }
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  /**
   * Erasure: PostgreSQL leaves a deleted tuple's bytes on its page (VACUUM frees the space without
   * overwriting it), so every table that lost rows inside `fn` (`erasedFrom`) is rewritten with
   * `VACUUM FULL` once `fn` is done and outside any transaction: new files hold only live rows,
   * the old ones are unlinked, indexes (HNSW included) rebuilt. The tables are locked ACCESS
   * EXCLUSIVE while each is rewritten — the price of erasure on this engine. The WAL still holds
   * what it logged until its segments are recycled.
   */
  async securely<T>(fn: () => Promise<T>): Promise<T> {
    this.secureDepth++;
    try {
      return await fn();
    } finally {
      if (--this.secureDepth === 0 && this.scope() === undefined) {
        const tables = [...this.erased];
        this.erased.clear();
        for (const table of tables) {
          try {
            await this.pool.query(`vacuum full ${quoteIdent(this.schema)}.${quoteIdent(table)}`);
          } catch (error) {
            // The rows are gone (committed) but their bytes may remain: say so rather than pass for done.
            throw this.mapError(error, `overwrite erased rows of ${table} (vacuum full)`);
          }
        }
      }
    }
  }

  erasedFrom(table: string): void {
    if (this.secureDepth > 0) this.erased.add(table);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, options: { lock?: string } = {}): Promise<T> {
    if (this.closed) throw new BackendUnavailableError('the substrate is closed', { backend: this.backendName });
    const scope = this.scope();
    if (scope) {
      const client = await this.enter(scope);
      const name = `memstrate_sp${++scope.savepoints}`;
      await client.query(`savepoint ${name}`);
      try {
        if (options.lock !== undefined) await this.lockStatement(client, options.lock);
        const result = await fn(this.executor(client));
        await client.query(`release savepoint ${name}`);
        return result;
      } catch (error) {
        await client.query(`rollback to savepoint ${name}`).catch(() => {});
        throw error;
      }
    }
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('begin');
      try {
        if (options.lock !== undefined) await this.lockStatement(client, options.lock);
        const result = await fn(this.executor(client));
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback').catch(() => {
          broken = true;
        });
        throw error;
      }
    } finally {
      client.release(broken);
    }
  }

  /** Runs a raw statement (engine-specific code only). */
  async execute(text: string, values: readonly unknown[] = []): Promise<pg.QueryResult> {
    if (this.closed) throw new BackendUnavailableError('the substrate is closed', { backend: this.backendName });
    return this.pool.query(text, values as unknown[]);
  }

  private clean(error: unknown): string {
    const message = error instanceof Error ? error.message : String(error);
    return scrub(message, this.secrets);
  }

  mapError(error: unknown, action: string): Error {
    if (MemoryError.is(error)) return error;
    const code = String((error as { code?: string }).code ?? '');
    const message = `${action} failed: ${this.clean(error)}`;
    const options = { backend: this.backendName };
    if (code === '23505' || code === '40001' || code === '40P01') return new ConflictError(message, options);
    if (code === '23503' || code === '23502' || code === '23514' || code.startsWith('22')) return new ValidationError(message, options);
    if (
      code.startsWith('08') ||
      code.startsWith('53') ||
      code.startsWith('57') ||
      ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'].includes(code) ||
      /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end/i.test(message)
    ) {
      return new BackendUnavailableError(`${message} (${this.redacted})`, options);
    }
    return new InternalError(message, options);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // A server whose connections share one session (PGlite over a socket) would keep it read-only.
    if (this.readOnly) await this.pool.query('reset default_transaction_read_only').catch(() => {});
    await this.pool.end();
  }
}


/**
 * Kysely's PostgreSQL introspector (used by the Migrator to see whether its own tables exist) reads
 * every column of every table of every schema and calls pg_get_serial_sequence on each: slow on a
 * database with many schemas, and it fails with "schema … does not exist" when another schema is
 * dropped at the same moment. The Migrator only needs table names in our schema, so that is all
 * this one reads.
 */
class SchemaScopedIntrospector implements DatabaseIntrospector {
  constructor(
    private readonly db: Kysely<unknown>,
    private readonly schema: string,
  ) {}

  async getSchemas(): Promise<{ name: string }[]> {
    const { rows } = await sql<{ name: string }>`select nspname as name from pg_catalog.pg_namespace where nspname = ${this.schema}`.execute(this.db);
    return rows;
  }

  async getTables(): Promise<TableMetadata[]> {
    const { rows } = await sql<{ name: string; schema: string; kind: string }>`
      select c.relname as name, n.nspname as schema, c.relkind as kind
      from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${this.schema} and c.relkind in ('r', 'v', 'p')`.execute(this.db);
    return rows.map((r) => ({ name: r.name, schema: r.schema, isView: r.kind === 'v', columns: [] }));
  }

  async getMetadata(): Promise<DatabaseMetadata> {
    return { tables: await this.getTables() };
  }
}

class SchemaScopedPostgresDialect extends PostgresDialect {
  constructor(
    config: ConstructorParameters<typeof PostgresDialect>[0],
    private readonly schema: string,
  ) {
    super(config);
  }

  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SchemaScopedIntrospector(db, this.schema);
  }
}
