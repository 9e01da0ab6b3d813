import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { MemorySubstrate, type MemoryConfigInput } from '../../../src/index.js';
import type { BackendCell, CellInstance, CellOpenOptions } from '../cells.js';
import { tempDir } from './sqlite.js';

/** The server the PostgreSQL cells and tests use: MEMSTRATE_TEST_PG_URL (set by `.ci/run`) or the local default. */
export const TEST_PG_URL = process.env['MEMSTRATE_TEST_PG_URL'] || 'postgres://postgres@127.0.0.1:5432/test';

// int8 (counts, bigint columns) and numeric (sums) as JS numbers, as the engine does.
const types = {
  getTypeParser(oid: number, format?: string) {
    if (oid === 20 || oid === 1700) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

/** A fresh schema name no other test uses (PostgreSQL identifiers are case-folded: lower case only). */
export function freshSchemaName(prefix = 'mst'): string {
  return `${prefix}_${randomBytes(8).toString('hex')}`;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `?` placeholders → `$1, $2, …` (outside quoted literals and identifiers). */
export function toDollarParams(text: string): string {
  let out = '';
  let n = 0;
  let quote: string | undefined;
  for (const ch of text) {
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else if (ch === '?') {
      out += `$${++n}`;
    } else {
      out += ch;
    }
  }
  return out;
}

/** Runs `fn` with a short-lived client on the test server whose search_path is `schema` (numbers as JS numbers). */
export async function withPgClient<T>(schema: string | undefined, fn: (client: pg.Client) => Promise<T>, url = TEST_PG_URL): Promise<T> {
  const client = new pg.Client({ connectionString: url, types, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    if (schema !== undefined) await client.query(`set search_path to ${quoteIdent(schema)}, public`);
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Drops the schema and everything in it (idempotent). */
export async function dropSchema(schema: string, url = TEST_PG_URL): Promise<void> {
  await withPgClient(undefined, (c) => c.query(`drop schema if exists ${quoteIdent(schema)} cascade`), url);
}

/** Whether the test server answers; the cell is always listed in CI or when MEMSTRATE_TEST_PG_URL is set. */
async function serverReachable(): Promise<boolean> {
  try {
    await withPgClient(undefined, (c) => c.query('select 1'));
    return true;
  } catch {
    return false;
  }
}

/**
 * `postgres × sqlite`: the eight main stores on the real PostgreSQL server, each instance in a fresh
 * random schema (`postgres_schema`); semantic memory on a temp SQLite file (OpenFang's G-10: an
 * explicit `semantic_backend = "sqlite"` is honoured next to a postgres main backend).
 */
export const postgresSqlite: BackendCell = {
  name: 'postgres × sqlite',
  main: 'postgres',
  semantic: 'sqlite',
  engines: 'main: PostgreSQL server (pg pool, own schema); semantic: SQLite file (sqlite-vec + FTS5)',
  capabilities: { rawSql: true, multiProcess: true, sqliteFile: false },
  async open(options = {}) {
    const dir = tempDir();
    const schema = freshSchemaName();
    const config: MemoryConfigInput = {
      backend: 'postgres',
      semanticBackend: 'sqlite',
      postgresUrl: TEST_PG_URL,
      postgresSchema: schema,
      postgresPoolSize: 4,
      sqlitePath: join(dir, 'semantic.db'),
      auditAnchorPath: join(dir, 'audit-anchor.json'),
      ...options.config,
    };
    const cleanup = async () => {
      await dropSchema(schema).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    };
    const openWith = (o: CellOpenOptions) =>
      MemorySubstrate.open({ ...config, ...o.config }, { clock: o.clock, embedder: o.embedder, env: o.env ?? {} });
    let mem: MemorySubstrate;
    try {
      mem = await openWith(options);
    } catch (error) {
      await cleanup();
      throw error;
    }
    const instance: CellInstance = {
      get mem() {
        return mem;
      },
      config,
      async reopen(o = options) {
        await mem.close();
        mem = await openWith(o);
        return mem;
      },
      async rawSql(text, ...params) {
        return withPgClient(schema, async (client) => (await client.query(toDollarParams(text), params)).rows);
      },
      async dispose() {
        await mem.close().catch(() => {});
        await cleanup();
      },
    };
    return instance;
  },
};

const required = Boolean(process.env['CI'] || process.env['MEMSTRATE_TEST_PG_URL']);
const available = required || (await serverReachable());
if (!available) {
  process.stderr.write(`[memstrate tests] PostgreSQL is not reachable at ${TEST_PG_URL}: the "postgres × sqlite" cell is left out (set MEMSTRATE_TEST_PG_URL or CI to require it)\n`);
}

/** The PostgreSQL main-backend cells (fail, never skip, when the server is required but down). */
export const POSTGRES_MAIN_CELLS: BackendCell[] = available ? [postgresSqlite] : [];
