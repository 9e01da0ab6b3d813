import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { MemoryConfigInput } from '../../../src/index.js';
import { openLayout } from '../../../src/testing/layout.js';
import type { BackendCell, CellOpenOptions } from '../cells.js';
import { semanticCellCapabilities } from '../capabilities.js';
import { dropSchema, freshSchemaName, pgRawSql, TEST_PG_URL } from '../pg-tools.js';
import { dropCollection, QDRANT_KIND_LABEL, qdrantKind, qdrantTarget } from '../qdrant-target.js';
import { PG_UNAVAILABLE } from './postgres-main.js';
import { sqliteRawSql, tempDir } from './sqlite.js';

/**
 * Cells whose semantic memory is on Qdrant (`semantic_backend = "qdrant"`): a real Qdrant when
 * QDRANT_URL is set or Docker answers, else the Qdrant REST emulator (see qdrant-target.ts). Every
 * open gets a fresh collection, deleted again by dispose().
 */
let resolvedEngine: string | undefined;
const label = QDRANT_KIND_LABEL[await qdrantKind()];
const ENGINE_TEXT = 'Qdrant at QDRANT_URL, else Qdrant in Docker (testcontainers), else the Qdrant REST emulator';

function freshCollection(): string {
  return `memstrate_test_${randomBytes(6).toString('hex')}`;
}

async function qdrantConfig(): Promise<{ config: Partial<MemoryConfigInput>; env: NodeJS.ProcessEnv; drop: () => Promise<void> }> {
  const target = await qdrantTarget();
  resolvedEngine = target.engine;
  const collection = freshCollection();
  const env: NodeJS.ProcessEnv = target.apiKeyEnv ? { [target.apiKeyEnv]: process.env[target.apiKeyEnv] } : {};
  return {
    config: { semanticBackend: 'qdrant', qdrantUrl: target.url, qdrantCollection: collection, ...(target.apiKeyEnv ? { qdrantApiKeyEnv: target.apiKeyEnv } : {}) },
    env,
    drop: () => dropCollection(target, collection),
  };
}

export const sqliteQdrant: BackendCell = {
  name: 'sqlite × qdrant',
  main: 'sqlite',
  semantic: 'qdrant',
  label,
  get engines() {
    return `main: SQLite file (better-sqlite3); semantic: ${resolvedEngine ?? ENGINE_TEXT}`;
  },
  capabilities: { rawSql: true, multiProcess: true, sqliteFile: true, ...semanticCellCapabilities('qdrant') },
  sharedTransactions: false,
  async open(options: CellOpenOptions = {}) {
    const q = await qdrantConfig();
    const dir = tempDir();
    const sqlitePath = join(dir, 'memstrate.db');
    return openLayout(
      {
        config: { backend: 'sqlite', sqlitePath, auditAnchorPath: join(dir, 'memstrate.db.audit-anchor'), ...q.config, ...options.config },
        env: q.env,
        rawSql: async (text, params) => sqliteRawSql(sqlitePath, text, params),
        async cleanup() {
          await q.drop();
          rmSync(dir, { recursive: true, force: true });
        },
      },
      options,
    );
  },
};

export const postgresQdrant: BackendCell = {
  name: 'postgres × qdrant',
  main: 'postgres',
  semantic: 'qdrant',
  label,
  get engines() {
    return `main: PostgreSQL server (${new URL(TEST_PG_URL).host}, pg); semantic: ${resolvedEngine ?? ENGINE_TEXT}`;
  },
  capabilities: { rawSql: true, multiProcess: true, sqliteFile: false, ...semanticCellCapabilities('qdrant') },
  sharedTransactions: false,
  async open(options: CellOpenOptions = {}) {
    const q = await qdrantConfig();
    const dir = tempDir();
    const schema = freshSchemaName();
    return openLayout(
      {
        config: {
          backend: 'postgres',
          postgresUrl: TEST_PG_URL,
          postgresSchema: schema,
          postgresPoolSize: 4,
          auditAnchorPath: join(dir, 'audit-anchor'),
          ...q.config,
          ...options.config,
        },
        env: q.env,
        rawSql: (text, params) => pgRawSql(schema, text, params),
        async cleanup() {
          await q.drop();
          await dropSchema(schema).catch(() => {});
          rmSync(dir, { recursive: true, force: true });
        },
      },
      options,
    );
  },
};

// Skipped, saying why, where no PostgreSQL server can be had (outside CI).
postgresQdrant.unavailable = PG_UNAVAILABLE;

/** Both Qdrant cells. */
export const QDRANT_CELLS: BackendCell[] = [sqliteQdrant, postgresQdrant];
