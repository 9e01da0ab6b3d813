import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import { MemorySubstrate, type MemoryConfigInput } from '../../../src/index.js';
import type { BackendCell, CellInstance, CellOpenOptions } from '../cells.js';
import { adminQuery, pgvectorTarget, testPgUrl } from '../pglite-server.js';
import { tempDir } from './sqlite.js';

/**
 * Cells whose semantic memory runs on pgvector (`semantic_backend = "postgres"`): on the real
 * PostgreSQL server when it offers the `vector` extension, else on PGlite + pgvector served over a
 * loopback socket (test/harness/pglite-server.ts). Every open gets a fresh schema (and fresh files),
 * dropped again by dispose().
 */

/** PGlite is one session: a small pool is plenty and keeps queued statements short. */
const POOL_SIZE = 4;

let resolvedSemanticEngine: string | undefined;
const PGVECTOR_ENGINE_TEXT = 'pgvector on the PostgreSQL server when it has the vector extension, else PGlite (PostgreSQL 18 wasm) + pgvector 0.8 over a loopback socket';

function freshSchema(): string {
  return `mst_${process.pid}_${randomBytes(5).toString('hex')}`;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `?` placeholders → `$1, $2, …` (outside quoted strings and identifiers). */
export function toDollarParams(text: string): string {
  let out = '';
  let n = 0;
  let quote: string | undefined;
  for (const ch of text) {
    if (quote) {
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

// int8 / numeric as JS numbers, as the engine reads them.
const numberTypes = {
  getTypeParser(oid: number, format?: string) {
    if (oid === 20 || oid === 1700) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

/** Raw SQL on a PostgreSQL schema (`?` placeholders), numbers as JS numbers. */
async function pgRawSql(url: string, schema: string, text: string, params: unknown[]): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url, types: numberTypes, connectionTimeoutMillis: 5000 });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query(`set search_path to ${quoteIdent(schema)}, public`);
    return (await client.query(toDollarParams(text), params)).rows;
  } finally {
    await client.end().catch(() => {});
  }
}

function sqliteRawSql(path: string, text: string, params: unknown[]): unknown[] {
  const db = new Database(path);
  try {
    const stmt = db.prepare(text);
    return stmt.reader ? stmt.all(...params) : (stmt.run(...params), []);
  } finally {
    db.close();
  }
}

async function dropSchema(url: string, schema: string): Promise<void> {
  await adminQuery(url, `drop schema if exists ${quoteIdent(schema)} cascade`);
}

interface Layout {
  config: MemoryConfigInput;
  rawSql(text: string, params: unknown[]): Promise<unknown[]>;
  cleanup(): Promise<void>;
}

function makeInstance(layout: Layout, options: CellOpenOptions, mem: MemorySubstrate): CellInstance {
  const { config } = layout;
  const openWith = (o: CellOpenOptions) => MemorySubstrate.open({ ...config, ...o.config }, { clock: o.clock, embedder: o.embedder, env: o.env ?? {} });
  let current = mem;
  return {
    get mem() {
      return current;
    },
    config,
    async reopen(o = options) {
      await current.close();
      current = await openWith(o);
      return current;
    },
    rawSql: (text, ...params) => layout.rawSql(text, params),
    async dispose() {
      await current.close().catch(() => {});
      await layout.cleanup();
    },
  };
}

async function openLayout(layout: Layout, options: CellOpenOptions): Promise<CellInstance> {
  try {
    const mem = await MemorySubstrate.open({ ...layout.config, ...options.config }, { clock: options.clock, embedder: options.embedder, env: options.env ?? {} });
    return makeInstance(layout, options, mem);
  } catch (error) {
    await layout.cleanup().catch(() => {});
    throw error;
  }
}

export const sqlitePostgres: BackendCell = {
  name: 'sqlite × postgres',
  main: 'sqlite',
  semantic: 'postgres',
  get engines() {
    return `main: SQLite file (better-sqlite3); semantic: ${resolvedSemanticEngine ?? PGVECTOR_ENGINE_TEXT}`;
  },
  capabilities: { rawSql: true, multiProcess: true, sqliteFile: true },
  async open(options = {}) {
    const target = await pgvectorTarget();
    resolvedSemanticEngine = target.engine;
    const dir = tempDir();
    const schema = freshSchema();
    const sqlitePath = join(dir, 'memstrate.db');
    const layout: Layout = {
      config: {
        backend: 'sqlite',
        semanticBackend: 'postgres',
        sqlitePath,
        semanticPostgresUrl: target.url,
        postgresSchema: schema,
        postgresPoolSize: POOL_SIZE,
        auditAnchorPath: join(dir, 'memstrate.db.audit-anchor'),
        ...options.config,
      },
      rawSql: async (text, params) => sqliteRawSql(sqlitePath, text, params),
      async cleanup() {
        await dropSchema(target.url, schema);
        rmSync(dir, { recursive: true, force: true });
      },
    };
    return openLayout(layout, options);
  },
};

export const postgresPostgres: BackendCell = {
  name: 'postgres × postgres',
  main: 'postgres',
  semantic: 'postgres',
  get engines() {
    return `main: PostgreSQL server (${new URL(testPgUrl()).host}, pg); semantic: ${resolvedSemanticEngine ?? PGVECTOR_ENGINE_TEXT}`;
  },
  capabilities: { rawSql: true, multiProcess: true, sqliteFile: false },
  async open(options = {}) {
    const target = await pgvectorTarget();
    resolvedSemanticEngine = target.engine;
    const mainUrl = testPgUrl();
    const dir = tempDir();
    const schema = freshSchema();
    const layout: Layout = {
      config: {
        backend: 'postgres',
        semanticBackend: 'postgres',
        postgresUrl: mainUrl,
        semanticPostgresUrl: target.url,
        postgresSchema: schema,
        postgresPoolSize: POOL_SIZE,
        auditAnchorPath: join(dir, 'audit-anchor'),
        ...options.config,
      },
      rawSql: (text, params) => pgRawSql(mainUrl, schema, text, params),
      async cleanup() {
        const errors: unknown[] = [];
        await dropSchema(mainUrl, schema).catch((e: unknown) => errors.push(e));
        if (target.url !== mainUrl) await dropSchema(target.url, schema).catch((e: unknown) => errors.push(e));
        rmSync(dir, { recursive: true, force: true });
        if (errors.length > 0) throw errors[0];
      },
    };
    return openLayout(layout, options);
  },
};

export const PGVECTOR_CELLS: BackendCell[] = [sqlitePostgres, postgresPostgres];
