/** Migration 0008 on PostgreSQL: existing memories indexed for per-agent BM25 (as on SQLite), the tsvector dropped. */
import { Kysely, Migrator, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { postgresMigrations } from '../../migrations/postgres/index.js';
import { PostgresEngine } from '../../src/backends/postgres/postgres-engine.js';
import { PostgresSemanticBackend } from '../../src/backends/postgres/postgres-semantic-backend.js';
import { dropSchema, freshSchemaName, quoteIdent, TEST_PG_URL, withPgClient } from '../harness/pg-tools.js';

const schema = freshSchemaName();
const silent = { debug() {}, info() {}, warn() {}, error() {} } as never;
afterAll(() => dropSchema(schema));

it('0008 indexes existing memories per agent (CJK included) and drops content_tsv', async () => {
  await withPgClient(undefined, (c) => c.query(`create schema ${quoteIdent(schema)}`));
  const pool = new pg.Pool({ connectionString: TEST_PG_URL, max: 1, options: `-c search_path=${schema}` });
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  try {
    const upTo0007 = Object.fromEntries(Object.entries(postgresMigrations).filter(([name]) => name < '0008'));
    const { error } = await new Migrator({ db, provider: { getMigrations: async () => upTo0007 }, migrationTableSchema: schema }).migrateToLatest();
    if (error) throw error;
    for (const [id, agent, content] of [['m1', 'A', 'the harbour pilot'], ['m2', 'A', '東京タワーに行きました'], ['m3', 'B', 'pilot pilot']]) {
      await pool.query(
        "insert into memories (id, agent_id, content, source, scope, metadata, confidence, created_at, accessed_at, access_count) values ($1, $2, $3, 'observation', 'episodic', '{}', 1, 1, 1, 0)",
        [id, agent, content],
      );
    }
  } finally {
    await db.destroy();
  }
  const engine = await PostgresEngine.open({ url: TEST_PG_URL, poolSize: 2, schema, backendName: 'semantic:postgres' });
  try {
    await engine.migrate(postgresMigrations);
    const b = await PostgresSemanticBackend.open(engine, { logger: silent, extension: { version: 'none', iterativeScan: false }, redactedUrl: 'test' });
    const scope = { agentId: 'A', filter: { kind: 'const', value: true } as const, k: 10, now: Date.now() };
    const pilot = await b.keywordSearch(scope, 'pilot');
    // Raw BM25 with A's statistics: N = 2, df = 1 (B's "pilot pilot" does not count).
    const raw = Math.log(1 + 1.5 / 1.5) * (2.2 / (1 + 1.2 * (0.25 + (0.75 * 3) / 256)));
    expect(pilot.map((h) => h.id)).toEqual(['m1']);
    expect(pilot[0]?.score).toBeCloseTo(raw, 10);
    expect((await b.keywordSearch(scope, 'タワー')).map((h) => h.id)).toEqual(['m2']);
    const columns = await withPgClient(schema, async (c) => (await c.query("select column_name from information_schema.columns where table_schema = $1 and table_name = 'memories' and column_name = 'content_tsv'", [schema])).rows);
    expect(columns).toEqual([]);
    // Deleting a memory removes its terms.
    await b.delete('m1');
    expect(await b.keywordSearch(scope, 'pilot')).toEqual([]);
  } finally {
    await engine.close();
  }
});
