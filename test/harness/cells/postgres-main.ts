import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BackendCell } from '../cells.js';
import { semanticCellCapabilities } from '../capabilities.js';
import { dropSchema, freshSchemaName, pgRawSql, TEST_PG_URL, withPgClient } from '../pg-tools.js';
import { openLayout } from '../../../src/testing/layout.js';
import { tempDir } from './sqlite.js';

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
  engines: 'main: PostgreSQL server (pg pool, own schema); semantic: SQLite file (sqlite-vec + BM25 over sorted runs of postings)',
  capabilities: { rawSql: true, multiProcess: true, sqliteFile: false, ...semanticCellCapabilities('sqlite') },
  sharedTransactions: false,
  async open(options = {}) {
    const dir = tempDir();
    const schema = freshSchemaName();
    return openLayout(
      {
        config: {
          backend: 'postgres',
          semanticBackend: 'sqlite',
          postgresUrl: TEST_PG_URL,
          postgresSchema: schema,
          postgresPoolSize: 4,
          sqlitePath: join(dir, 'semantic.db'),
          auditAnchorPath: join(dir, 'audit-anchor.json'),
          ...options.config,
        },
        rawSql: (text, params) => pgRawSql(schema, text, params),
        async cleanup() {
          await dropSchema(schema).catch(() => {});
          rmSync(dir, { recursive: true, force: true });
        },
      },
      options,
    );
  },
};

const required = Boolean(process.env['CI'] || process.env['MEMSTRATE_TEST_PG_URL']);
const available = required || (await serverReachable());

/**
 * Why the cells with a PostgreSQL main backend cannot run here, or undefined when they can. Only
 * outside CI and without MEMSTRATE_TEST_PG_URL: there an unreachable server skips those cells, each
 * suite saying why; where the server is required, they fail instead.
 */
export const PG_UNAVAILABLE: string | undefined = available
  ? undefined
  : `no PostgreSQL server answers at ${new URL(TEST_PG_URL).host} (set MEMSTRATE_TEST_PG_URL or CI to require one)`;
postgresSqlite.unavailable = PG_UNAVAILABLE;

/** The PostgreSQL main-backend cells (fail, never skip, when the server is required but down). */
export const POSTGRES_MAIN_CELLS: BackendCell[] = [postgresSqlite];
