import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BackendCell } from '../cells.js';
import { semanticCellCapabilities } from '../capabilities.js';
import { pgvectorTarget } from '../pglite-server.js';
import { dropSchema, freshSchemaName, pgRawSql, TEST_PG_URL } from '../pg-tools.js';
import { openLayout, type Layout } from '../../../src/testing/layout.js';
import { PG_UNAVAILABLE } from './postgres-main.js';
import { sqliteRawSql, tempDir } from './sqlite.js';

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

export const sqlitePostgres: BackendCell = {
  name: 'sqlite × postgres',
  main: 'sqlite',
  semantic: 'postgres',
  get engines() {
    return `main: SQLite file (better-sqlite3); semantic: ${resolvedSemanticEngine ?? PGVECTOR_ENGINE_TEXT}`;
  },
  capabilities: { rawSql: true, multiProcess: true, sqliteFile: true, ...semanticCellCapabilities('postgres') },
  sharedTransactions: false,
  async open(options = {}) {
    const target = await pgvectorTarget();
    resolvedSemanticEngine = target.engine;
    const dir = tempDir();
    const schema = freshSchemaName();
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
        await dropSchema(schema, target.url);
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
    return `main: PostgreSQL server (${new URL(TEST_PG_URL).host}, pg); semantic: ${resolvedSemanticEngine ?? PGVECTOR_ENGINE_TEXT}`;
  },
  capabilities: { rawSql: true, multiProcess: true, sqliteFile: false, ...semanticCellCapabilities('postgres') },
  sharedTransactions: false,
  async open(options = {}) {
    const target = await pgvectorTarget();
    resolvedSemanticEngine = target.engine;
    const mainUrl = TEST_PG_URL;
    const dir = tempDir();
    const schema = freshSchemaName();
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
      rawSql: (text, params) => pgRawSql(schema, text, params, mainUrl),
      async cleanup() {
        const errors: unknown[] = [];
        await dropSchema(schema, mainUrl).catch((e: unknown) => errors.push(e));
        if (target.url !== mainUrl) await dropSchema(schema, target.url).catch((e: unknown) => errors.push(e));
        rmSync(dir, { recursive: true, force: true });
        if (errors.length > 0) throw errors[0];
      },
    };
    return openLayout(layout, options);
  },
};


// Skipped, saying why, where no PostgreSQL server can be had (outside CI).
postgresPostgres.unavailable = PG_UNAVAILABLE;
export const PGVECTOR_CELLS: BackendCell[] = [sqlitePostgres, postgresPostgres];
