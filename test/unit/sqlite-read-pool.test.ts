import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompiledQuery } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, InternalError, MemorySubstrate, MemoryError } from '../../src/index.js';
import { openSqliteEngine } from '../../src/backends/sqlite/open-sqlite-engine.js';
import type { SqliteEngine } from '../../src/backends/sqlite/sqlite-engine.js';

/**
 * The SQLite read pool: long reads run on read-only connections in worker threads. They see every
 * committed write, never block the main connection, and keep the engine's behaviour: inside an
 * `atomically` scope the scope's own uncommitted writes are visible (the read stays on the main
 * connection), errors map to MemoryErrors naming sqlite, blobs come back as Buffers.
 */
const dir = mkdtempSync(join(tmpdir(), 'memstrate-read-pool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
async function engine(readWorkers?: number): Promise<SqliteEngine> {
  const { engine } = await openSqliteEngine(join(dir, `pool-${n++}.db`), readWorkers === undefined ? {} : { readWorkers });
  await engine.run(CompiledQuery.raw('create table t (k text primary key, v blob)'));
  return engine;
}
const q = <R>(sql: string, params: unknown[] = []) => CompiledQuery.raw(sql, params) as CompiledQuery<R>;

describe('SQLite read pool', () => {
  it('reads on a worker thread see every committed write, and blobs come back as Buffers', async () => {
    const e = await engine();
    expect(e.readPool?.threads).toBe(0); // started on first use
    await e.run(q('insert into t values (?, ?)', ['a', Buffer.from([1, 2, 3])]));
    const rows = await e.reader.rows<{ k: string; v: Buffer }>(q('select k, v from t'));
    expect(e.readPool?.threads).toBe(1);
    expect(rows).toHaveLength(1);
    expect(Buffer.isBuffer(rows[0]?.v)).toBe(true);
    expect([...(rows[0]?.v ?? [])]).toEqual([1, 2, 3]);
    await e.run(q('insert into t values (?, ?)', ['b', Buffer.from([9])]));
    expect((await e.reader.first<{ n: number }>(q('select count(*) as n from t')))?.n).toBe(2);
    // Blob parameters cross the thread boundary too.
    expect((await e.reader.first<{ k: string }>(q('select k from t where v = ?', [Buffer.from([9])])))?.k).toBe('b');
    await e.close();
    expect(e.readPool?.threads).toBe(0);
  });

  it('starts at most read_workers threads, however many reads are outstanding', async () => {
    const e = await engine(2);
    await e.run(q("insert into t values ('a', null)"));
    const heavy = q<{ n: number }>('with recursive c(i) as (select 1 union all select i + 1 from c where i < 300000) select count(*) as n from c');
    const results = await Promise.all(Array.from({ length: 6 }, () => e.reader.first(heavy)));
    expect(results.map((r) => r?.n)).toEqual(Array(6).fill(300000));
    expect(e.readPool?.threads).toBe(2);
    await e.close();
  });

  it('inside an atomically scope, reads see the scope\'s own uncommitted writes; others see only what is committed', async () => {
    const e = await engine();
    let outside: number | undefined;
    await e.atomically(async () => {
      await e.run(q("insert into t values ('inside', null)"));
      expect((await e.reader.first<{ n: number }>(q('select count(*) as n from t')))?.n).toBe(1);
      // A reader outside the scope (a worker) runs meanwhile and sees the committed state: nothing yet.
      outside = await new Promise<number | undefined>((resolve, reject) => {
        setImmediate(() => void e.readPool?.rows<{ n: number }>('select count(*) as n from t', []).then((r) => resolve(r[0]?.n), reject));
      });
    });
    expect(outside).toBe(0);
    expect((await e.reader.first<{ n: number }>(q('select count(*) as n from t')))?.n).toBe(1);
    await e.close();
  });

  it('an error in a worker is a MemoryError naming sqlite, and the worker keeps serving', async () => {
    const e = await engine();
    const error = await e.reader.rows(q('select * from no_such_table')).catch((err: unknown) => e.mapError(err, 'read'));
    expect(error).toBeInstanceOf(InternalError);
    expect(MemoryError.is(error) && error.backend).toBe('sqlite');
    expect((error as Error).message).toMatch(/no such table: no_such_table/);
    expect(await e.reader.rows(q('select 1 as one'))).toEqual([{ one: 1 }]);
    // Only statements that return rows run there.
    await expect(e.reader.rows(q("insert into t values ('x', null)"))).rejects.toThrow(/only statements that return rows/);
    expect(await e.rows(q('select count(*) as n from t'))).toEqual([{ n: 0 }]);
    await e.close();
  });

  it('no pool for :memory: or read_workers = 0: long reads run on the main connection', async () => {
    const memory = (await openSqliteEngine(':memory:')).engine;
    expect(memory.readPool).toBeUndefined();
    expect(await memory.reader.rows(q('select 1 as one'))).toEqual([{ one: 1 }]);
    await memory.close();
    const none = await engine(0);
    expect(none.readPool).toBeUndefined();
    expect(await none.reader.rows(q('select count(*) as n from t'))).toEqual([{ n: 0 }]);
    await none.close();
  });

  it('a read after close fails as on a closed substrate', async () => {
    const e = await engine();
    await e.reader.rows(q('select 1'));
    await e.close();
    const error = await e.reader.rows(q('select 1')).catch((err: unknown) => e.mapError(err, 'read'));
    expect((error as Error).message).toMatch(/closed/);
  });

  it('read_workers is validated: an integer 0..16', async () => {
    for (const readWorkers of [-1, 1.5, 17]) {
      await expect(MemorySubstrate.open({ sqlite: { path: join(dir, 'cfg.db'), readWorkers } }, { env: {} })).rejects.toBeInstanceOf(ConfigError);
    }
  });
});
