import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, expect, it } from 'vitest';
import { MemorySubstrate } from '../../src/index.js';
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
