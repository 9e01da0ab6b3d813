/**
 * Migration 0010 on the PostgreSQL server: each agent's memory count (keyword recall's N) kept as
 * signed deltas by statement triggers, under concurrent writers and deleters on several real
 * connections (PGlite, one session, could not show a lost or doubled count), folded so they do not
 * pile up, gone with the agent's last memory; and the postings key carrying the weight.
 */
import { Kysely, Migrator, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { postgresMigrations } from '../../migrations/postgres/index.js';
import { dropSchema, freshSchemaName, quoteIdent, TEST_PG_URL, withPgClient } from '../harness/pg-tools.js';

const schema = freshSchemaName();
afterAll(() => dropSchema(schema));

const INSERT =
  "insert into memories (id, agent_id, content, source, scope, metadata, confidence, created_at, accessed_at, access_count) " +
  "select $1 || '-' || i, $2, 'memory ' || i, 'observation', 'episodic', '{}', 1, 1, 1, 0 from generate_series(1, $3::int) i";

/** Per agent: the sum of its deltas, how many delta rows it has, and its memories counted. */
async function counts(pool: pg.Pool): Promise<Record<string, { n: number; rows: number; actual: number }>> {
  const { rows } = await pool.query<{ agent_id: string; n: string; rows: string; actual: string }>(
    'select a.agent_id, coalesce((select sum(n) from memory_agent_counts c where c.agent_id = a.agent_id), 0) as n, ' +
      '(select count(*) from memory_agent_counts c where c.agent_id = a.agent_id) as rows, ' +
      '(select count(*) from memories m where m.agent_id = a.agent_id) as actual ' +
      'from (select agent_id from memories union select agent_id from memory_agent_counts) a order by 1',
  );
  return Object.fromEntries(rows.map((r) => [r.agent_id, { n: Number(r.n), rows: Number(r.rows), actual: Number(r.actual) }]));
}

it('0010 backfills each agent memory count, keeps it exact under concurrent writers and deleters, folds its deltas and drops it with the last memory', async () => {
  await withPgClient(undefined, (c) => c.query(`create schema ${quoteIdent(schema)}`));
  const pool = new pg.Pool({ connectionString: TEST_PG_URL, max: 8, options: `-c search_path=${schema}` });
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  const migrate = async (upTo: string) => {
    const wanted = Object.fromEntries(Object.entries(postgresMigrations).filter(([name]) => name <= upTo));
    const { error } = await new Migrator({ db, provider: { getMigrations: async () => wanted }, migrationTableSchema: schema }).migrateToLatest();
    if (error) throw error;
  };
  try {
    await migrate('0009_zzz');
    await pool.query(INSERT, ['pre-a', 'A', 3]);
    await pool.query(INSERT, ['pre-b', 'B', 2]);
    await migrate('9999');
    expect(await counts(pool)).toEqual({ A: { n: 3, rows: 1, actual: 3 }, B: { n: 2, rows: 1, actual: 2 } });
    // The postings key includes the weight (index-only scoring): 3 key columns, 4 in all.
    const key = await pool.query<{ k: number; all: number }>(
      "select indnkeyatts as k, indnatts as all from pg_index where indexrelid = (select oid from pg_class where relname = 'memory_terms_pkey' and relnamespace = $1::regnamespace)",
      [schema],
    );
    expect(key.rows[0]).toEqual({ k: 3, all: 4 });

    // 8 connections at once, 30 rounds each: insert a batch for an agent, delete part of an earlier
    // one, sometimes in one transaction with another agent's insert (multi-agent statements too).
    const agents = ['A', 'B', 'C', 'D'];
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        const client = await pool.connect();
        try {
          for (let round = 0; round < 30; round++) {
            const agent = agents[(w + round) % agents.length] as string;
            const tag = `w${w}-r${round}`;
            await client.query('begin');
            await client.query(INSERT, [tag, agent, 1 + ((w * 7 + round) % 5)]);
            if (round % 3 === 0) await client.query(INSERT, [`${tag}-x`, agents[(w + round + 1) % agents.length], 2]);
            await client.query('commit');
            if (round > 0 && round % 2 === 0) await client.query("delete from memories where id like $1 || '-%' and id not like '%-x-%' and right(id, 1) in ('1', '3')", [`w${w}-r${round - 2}`]);
            if (round % 10 === 9) await client.query("delete from memories where id like $1 || '-%'", [`w${w}-r${round - 1}`]);
          }
        } finally {
          client.release();
        }
      }),
    );
    const after = await counts(pool);
    for (const [agent, c] of Object.entries(after)) {
      expect(c.n, `agent ${agent}`).toBe(c.actual);
      // ~90 write statements per agent: folded as they pile up past 32 (concurrent ones may add a few).
      expect(c.rows, `agent ${agent}: delta rows`).toBeLessThanOrEqual(48);
    }
    expect(Object.values(after).some((c) => c.actual > 50)).toBe(true);

    // Deleting an agent's last memory (an erasure) leaves no count behind; others keep theirs.
    await pool.query("delete from memories where agent_id = 'C'");
    const erased = await counts(pool);
    expect(erased.C).toBeUndefined();
    expect(erased.A?.n).toBe(after.A?.actual);
  } finally {
    await db.destroy();
  }
});
