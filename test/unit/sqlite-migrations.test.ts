import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, expect, it } from 'vitest';
import { MemorySubstrate } from '../../src/index.js';
import { keywordIdf, termWeights } from '../../src/core/keyword-score.js';
import { sqliteMigrations } from '../../migrations/sqlite/index.js';
import { expectMerged, seedAt0004 } from '../helpers/graph-migration.js';
import { runTsChild } from '../helpers/spawn.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function freshPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'memstrate-mig-'));
  dirs.push(dir);
  return join(dir, 'memstrate.db');
}

const latest = Object.keys(sqliteMigrations).sort().at(-1);

it('migrating an existing database again is a no-op', async () => {
  const path = freshPath();
  const first = await MemorySubstrate.open({ sqlitePath: path }, { env: {} });
  expect(first.info.schemaVersion).toBe(latest);
  await first.close();
  const second = await MemorySubstrate.open({ sqlitePath: path }, { env: {} });
  expect(second.info.schemaVersion).toBe(latest);
  await second.close();
  const db = new Database(path);
  const applied = db.prepare('select name from kysely_migration order by name').all();
  db.close();
  expect(applied).toEqual(Object.keys(sqliteMigrations).sort().map((name) => ({ name })));
});

it('the SQLite file is in WAL mode', async () => {
  const path = freshPath();
  const mem = await MemorySubstrate.open({ sqlitePath: path }, { env: {} });
  await mem.close();
  const db = new Database(path);
  expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
  db.close();
});

it('four processes opening one fresh file at once all succeed and the schema is applied once', async () => {
  const path = freshPath();
  const results = await Promise.all(Array.from({ length: 4 }, () => runTsChild('test/helpers/open-worker.ts', [path])));
  for (const r of results) {
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(latest);
  }
  const db = new Database(path);
  const applied = db.prepare('select name from kysely_migration order by name').all();
  db.close();
  expect(applied).toEqual(Object.keys(sqliteMigrations).sort().map((name) => ({ name })));
}, 60_000);

it('0005 merges entities duplicated per (agent, type, name) into the oldest and re-points their relations', async () => {
  const path = freshPath();
  const raw = new Database(path);
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: raw }) });
  await seedAt0004(db, sqliteMigrations);
  await db.destroy();
  const mem = await MemorySubstrate.open({ sqlitePath: path }, { env: {} });
  try {
    expect(mem.info.schemaVersion).toBe(latest);
    await expectMerged(mem);
  } finally {
    await mem.close();
  }
});

/** A fresh file migrated up to the migration before `name`, for testing `name` on data written in the older schema. */
async function migratedBefore(name: string): Promise<{ path: string; raw: Database.Database; db: Kysely<unknown> }> {
  const path = freshPath();
  const raw = new Database(path);
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: raw }) });
  const older = Object.fromEntries(Object.entries(sqliteMigrations).filter(([m]) => m < name));
  const { Migrator } = await import('kysely');
  const { error } = await new Migrator({ db, provider: { getMigrations: async () => older } }).migrateToLatest();
  if (error) throw error;
  return { path, raw, db };
}

it('0008 indexes existing memories for per-agent keyword recall (CJK included) and drops the FTS5 index', async () => {
  const { path, raw, db } = await migratedBefore('0008');
  const insert = raw.prepare(
    "insert into memories (id, agent_id, content, source, scope, metadata, confidence, created_at, accessed_at, access_count) values (?, ?, ?, 'observation', 'episodic', '{}', 1, 1, 1, 0)",
  );
  insert.run('m1', 'A', 'the harbour pilot');
  insert.run('m2', 'A', '東京タワーに行きました');
  insert.run('m3', 'B', 'pilot pilot');
  await db.destroy();
  const mem = await MemorySubstrate.open({ sqlitePath: path }, { env: {} });
  try {
    expect(mem.info.schemaVersion).toBe(latest);
    const pilot = await mem.semantic.recall({ agentId: 'A', text: 'pilot', mode: 'keyword' });
    expect(pilot.map((r) => r.memory.id)).toEqual(['m1']);
    // N = 2 (A's memories), df = 1: B's "pilot pilot" does not count.
    const raw1 = Math.log(1 + 1.5 / 1.5) * (2.2 / (1 + 1.2 * (0.25 + (0.75 * 3) / 256)));
    expect(pilot[0]?.score).toBeCloseTo(raw1 / (raw1 + 1), 10);
    expect((await mem.semantic.recall({ agentId: 'A', text: 'タワー', mode: 'keyword' })).map((r) => r.memory.id)).toEqual(['m2']);
  } finally {
    await mem.close();
  }
  const check = new Database(path);
  expect(check.prepare("select count(*) as n from sqlite_master where name like 'memories_fts%'").get()).toEqual({ n: 0 });
  check.close();
});

it("each agent's memory count (keyword recall's N; 0010, inserts counted by the writers since 0013) follows writes, keyed replaces, dedupes, imports and deletes, gone with the agent's last memory", async () => {
  const path = freshPath();
  const mem = await MemorySubstrate.open({ sqlitePath: path }, { env: {} });
  const counts = () => {
    const db = new Database(path, { readonly: true });
    try {
      return db.prepare('select agent_id, n from memory_agent_counts order by agent_id').all();
    } finally {
      db.close();
    }
  };
  try {
    const ids = await mem.semantic.rememberMany([1, 2, 3].map((i) => ({ agentId: 'A', content: `note ${i}` })));
    await mem.semantic.remember({ agentId: 'B', content: 'other' });
    expect(counts()).toEqual([{ agent_id: 'A', n: 3 }, { agent_id: 'B', n: 1 }]);
    // A keyed replace and a dedupe that finds its twin add nothing; a new key adds one.
    await mem.semantic.remember({ agentId: 'A', content: 'v1', key: 'k' });
    await mem.semantic.remember({ agentId: 'A', content: 'v2', key: 'k' });
    await mem.semantic.remember({ agentId: 'A', content: 'note 2', dedupe: 'content' });
    expect(counts()).toEqual([{ agent_id: 'A', n: 4 }, { agent_id: 'B', n: 1 }]);
    await mem.semantic.forget(ids[0] as string);
    await mem.erase({ agentId: 'B' });
    expect(counts()).toEqual([{ agent_id: 'A', n: 3 }]);
    // An import counts what it writes: into a fresh store, and again with overwrite (replaced whole: no change).
    const archive = Buffer.concat(await mem.export({ stores: ['semantic'] }).toArray());
    const path2 = freshPath();
    const other = await MemorySubstrate.open({ sqlitePath: path2 }, { env: {} });
    try {
      await other.import(archive);
      await other.import(archive, { onConflict: 'overwrite' });
    } finally {
      await other.close();
    }
    const db = new Database(path2, { readonly: true });
    try {
      expect(db.prepare('select agent_id, n from memory_agent_counts order by agent_id').all()).toEqual([{ agent_id: 'A', n: 3 }]);
    } finally {
      db.close();
    }
  } finally {
    await mem.close();
  }
});

it("0011 moves memory_terms' postings into one run (recall unchanged) and drops memory_terms", async () => {
  const { path, raw, db } = await migratedBefore('0011');
  const insert = raw.prepare(
    "insert into memories (id, agent_id, content, source, scope, metadata, confidence, created_at, accessed_at, access_count) values (?, ?, ?, 'observation', 'episodic', '{}', 1, 1, 1, 0)",
  );
  const term = raw.prepare('insert into memory_terms (term, agent_id, memory_rowid, weight) values (?, ?, ?, ?)');
  const contents: [string, string, string][] = [
    ['m1', 'A', 'the harbour pilot'],
    ['m2', 'A', '東京タワーに行きました'],
    ['m3', 'B', 'pilot pilot'],
    ['m4', 'A', 'pilot boats in the harbour'],
    ['m5', 'A', '…'],
  ];
  for (const [id, agent, content] of contents) {
    const { lastInsertRowid } = insert.run(id, agent, content);
    for (const [t, w] of termWeights(content)) term.run(t, agent, lastInsertRowid, w);
  }
  await db.destroy();
  const mem = await MemorySubstrate.open({ sqlitePath: path }, { env: {} });
  try {
    expect(mem.info.schemaVersion).toBe(latest);
    // N = 4 (A's memories), df(pilot) = 2, df(harbour) = 2: B's "pilot pilot" does not count.
    const got = await mem.semantic.recall({ agentId: 'A', text: 'harbour pilot', mode: 'keyword' });
    const idf = keywordIdf(4, 2);
    const score = (content: string) => ((termWeights(content).get('harbour') as number) + (termWeights(content).get('pilot') as number)) * idf;
    const scores = [score('the harbour pilot'), score('pilot boats in the harbour')];
    expect(got.map((r) => r.memory.id)).toEqual(['m1', 'm4']);
    got.forEach((r, i) => expect(r.score).toBeCloseTo((scores[i] as number) / ((scores[i] as number) + 1), 10));
    expect((await mem.semantic.recall({ agentId: 'A', text: 'タワー', mode: 'keyword' })).map((r) => r.memory.id)).toEqual(['m2']);
    // New writes and deletes go on from the migrated run.
    const added = await mem.semantic.remember({ agentId: 'A', content: 'a pilot again' });
    await mem.semantic.forget('m1');
    expect((await mem.semantic.recall({ agentId: 'A', text: 'pilot', mode: 'keyword' })).map((r) => r.memory.id).sort()).toEqual([added, 'm4'].sort());
  } finally {
    await mem.close();
  }
  const check = new Database(path);
  expect(check.prepare("select count(*) as n from sqlite_master where name like 'memory_terms%'").get()).toEqual({ n: 0 });
  expect(check.prepare('select doc, memory_rowid from keyword_docs where doc <= 4 order by doc').all()).toEqual([2, 3, 4].map((d) => ({ doc: d, memory_rowid: d })));
  check.close();
});

it("0012 gives every existing memory its content key (dedupe finds it, term-less content included), keeps scores and drops memories_dedupe", async () => {
  const { path, raw, db } = await migratedBefore('0011');
  const insert = raw.prepare(
    "insert into memories (id, agent_id, content, source, scope, metadata, confidence, created_at, accessed_at, access_count) values (?, ?, ?, 'observation', ?, '{}', 1, ?, 1, 0)",
  );
  const term = raw.prepare('insert into memory_terms (term, agent_id, memory_rowid, weight) values (?, ?, ?, ?)');
  const contents: [string, string, string, string][] = [
    ['m1', 'A', 'episodic', 'the harbour pilot'],
    ['m2', 'A', 'episodic', '…'],
    ['m3', 'B', 'episodic', 'the harbour pilot'],
    ['m4', 'A', 'semantic', 'the harbour pilot'],
    ['m5', 'A', 'episodic', 'pilot boats in the harbour'],
  ];
  contents.forEach(([id, agent, scope, content], i) => {
    const { lastInsertRowid } = insert.run(id, agent, content, scope, i + 1);
    for (const [t, w] of termWeights(content)) term.run(t, agent, lastInsertRowid, w);
  });
  await db.destroy();
  const mem = await MemorySubstrate.open({ sqlitePath: path }, { env: {} });
  try {
    expect(mem.info.schemaVersion).toBe(latest);
    // Every (agent, scope, content) finds its own memory, and only that one.
    for (const [id, agentId, scope, content] of contents) {
      expect(await mem.semantic.rememberWithResult({ agentId, scope, content, dedupe: 'content' }), id).toEqual({ id, created: false, updated: false });
    }
    expect((await mem.semantic.rememberWithResult({ agentId: 'A', content: 'the harbour', dedupe: 'content' })).created).toBe(true);
    // Scores are unchanged (N = 5 of A's memories now, df(pilot) = 3): no query reads a content term.
    const got = await mem.semantic.recall({ agentId: 'A', text: 'pilot boats', mode: 'keyword' });
    expect(got[0]?.memory.id).toBe('m5');
    const w = termWeights('pilot boats in the harbour');
    const s = (w.get('pilot') as number) * keywordIdf(5, 3) + (w.get('boat') as number) * keywordIdf(5, 1);
    expect(got[0]?.score).toBeCloseTo(s / (s + 1), 10);
    // A migrated memory that goes takes its content term with it: dedupe makes a new one.
    await mem.semantic.forget('m1');
    const again = await mem.semantic.rememberWithResult({ agentId: 'A', content: 'the harbour pilot', dedupe: 'content' });
    expect(again.created).toBe(true);
  } finally {
    await mem.close();
  }
  const check = new Database(path);
  expect(check.prepare("select count(*) as n from sqlite_master where name = 'memories_dedupe'").get()).toEqual({ n: 0 });
  // m2 ("…") has no terms: its only doc is its content term's.
  expect(check.prepare("select d.terms from keyword_docs d join memories m on m.rowid = d.memory_rowid where m.id = 'm2'").all()).toHaveLength(1);
  check.close();
});
