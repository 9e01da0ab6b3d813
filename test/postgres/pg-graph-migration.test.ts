/** Migration 0005 on PostgreSQL: duplicated entities merged into the oldest, relations re-pointed (as on SQLite). */
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { expect, it } from 'vitest';
import { postgresMigrations } from '../../migrations/postgres/index.js';
import { MemorySubstrate } from '../../src/index.js';
import { quoteIdent, TEST_PG_URL, withPgClient } from '../harness/pg-tools.js';
import { expectMerged, seedAt0004 } from '../helpers/graph-migration.js';
import { freshConfig, useCleanups } from './fixture.js';

const cleanup = useCleanups();

it('0005 merges entities duplicated per (agent, type, name) into the oldest and re-points their relations', async () => {
  const config = freshConfig();
  const schema = config.postgresSchema as string;
  await withPgClient(undefined, (c) => c.query(`create schema ${quoteIdent(schema)}`));
  const pool = new pg.Pool({ connectionString: TEST_PG_URL, max: 1, options: `-c search_path=${schema}` });
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  try {
    await seedAt0004(db, postgresMigrations, schema);
  } finally {
    await db.destroy();
  }
  const mem = await MemorySubstrate.open(config, { env: {} });
  cleanup(() => mem.close());
  expect(mem.info.schemaVersion).toBe('0010_keyword_counts');
  await expectMerged(mem);
});
