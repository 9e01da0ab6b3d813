/**
 * The PostgreSQL main backend on the real server: the schema mirrors SQLite's, `postgres_schema` is
 * honoured, text orders by bytes as on SQLite, pool bounds are config errors, and an unreachable or
 * vanished server is BACKEND_UNAVAILABLE with no credentials in any message or log.
 */
import { rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { MemorySubstrate, type Logger, type MemoryConfigInput } from '../../src/index.js';
import { freshSchemaName, TEST_PG_URL, withPgClient } from '../harness/pg-tools.js';
import { tempDir } from '../harness/cells/sqlite.js';
import { freshConfig, useCleanups } from './fixture.js';

const cleanups = { push: useCleanups() };

async function openPg(extra: Partial<MemoryConfigInput> = {}): Promise<{ mem: MemorySubstrate; config: MemoryConfigInput }> {
  const config = freshConfig(extra);
  const mem = await MemorySubstrate.open(config, { env: {} });
  cleanups.push(() => mem.close());
  return { mem, config };
}

function query(schema: string | undefined, text: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  return withPgClient(schema, async (c) => (await c.query(text, params)).rows as Record<string, unknown>[]);
}

/** A logger that keeps every line it is given. */
function capturingLogger(lines: string[]): Logger {
  const log = (level: string) => (a: unknown, b?: unknown) => {
    lines.push(`${level} ${JSON.stringify(a, Object.getOwnPropertyNames(a ?? {}))} ${String(b ?? '')} ${String(a)}`);
  };
  const logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') } as unknown as Logger;
  return logger;
}

const MAIN_TABLES = [
  'agents',
  'audit_checkpoints',
  'audit_entries',
  'canonical_sessions',
  'checkpoint_blobs',
  'checkpoint_writes',
  'checkpoints',
  'entities',
  'kv',
  'meta',
  'paired_devices',
  'relations',
  'sessions',
  'tasks',
  'usage_events',
];

const COLLATION_KEYS = ['b', 'B', 'a', '_', 'é', 'Z', 'ä', '~', 'a b', 'a-b', 'ab', '\u{1F600}', '\uFFFD', '10', '9', 'Ab', 'aB'];

/**
 * A scratch database whose default collation is ICU "und" (root locale) for the collation test,
 * created before the tests are declared and dropped after them. `reason` when this server cannot
 * create one (no CREATEDB privilege, no ICU support): the test is then skipped with that reason in
 * its title. Any other failure (`error`) fails the test.
 */
async function createIcuDatabase(): Promise<{ url?: string; reason?: string; error?: unknown }> {
  const name = freshSchemaName('mst_icu');
  try {
    await query(undefined, `create database ${name} template template0 locale_provider icu icu_locale 'und' locale 'C.UTF-8'`);
  } catch (error) {
    const { code, message } = error as { code?: string; message?: string };
    if (['42501', '0A000', '22023', '42704'].includes(code ?? '')) {
      return { reason: `the PostgreSQL test server cannot create a database with an ICU default collation (${code}: ${message})` };
    }
    return { error };
  }
  afterAll(async () => {
    await query(undefined, `drop database if exists ${name} with (force)`);
  });
  const url = new URL(TEST_PG_URL);
  url.pathname = `/${name}`;
  return { url: url.toString() };
}
const icu = await createIcuDatabase();

describe('PostgreSQL main backend: schema', () => {
  it('0001_core mirrors the SQLite schema table for table, column for column, index for index, with PostgreSQL types', async () => {
    const { config } = await openPg();
    const schema = config.postgresSchema as string;
    const dir = tempDir();
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const lite = await MemorySubstrate.open({ sqlitePath: join(dir, 'm.db') }, { env: {} });
    await lite.close();
    const db = new Database(join(dir, 'm.db'), { readonly: true });
    try {
      const expected: Record<string, string> = { integer: 'bigint|integer', real: 'double precision', text: 'text', blob: 'bytea' };
      for (const table of MAIN_TABLES) {
        const liteCols = db.prepare(`pragma table_info(${table})`).all() as { name: string; type: string; notnull: number; pk: number }[];
        const pgCols = (await query(
          undefined,
          `select column_name, data_type, is_nullable, collation_name from information_schema.columns
           where table_schema = $1 and table_name = $2 order by ordinal_position`,
          [schema, table],
        )) as { column_name: string; data_type: string; is_nullable: string; collation_name: string | null }[];
        expect(pgCols.map((c) => c.column_name), table).toEqual(liteCols.map((c) => c.name));
        liteCols.forEach((lc, i) => {
          const pc = pgCols[i]!;
          expect(pc.data_type, `${table}.${lc.name}`).toMatch(new RegExp(`^(${expected[lc.type.toLowerCase()]})$`));
          expect(pc.is_nullable === 'NO', `${table}.${lc.name} not null`).toBe(lc.notnull === 1 || lc.pk > 0);
          if (pc.data_type === 'text') expect(pc.collation_name, `${table}.${lc.name} collation`).toBe('C');
        });
      }
      // Timestamps, seq and caller-sized counters are bigint.
      const bigints = (await query(
        undefined,
        `select table_name || '.' || column_name as col from information_schema.columns
         where table_schema = $1 and data_type = 'bigint'`,
        [schema],
      )).map((r) => r['col']);
      for (const col of ['kv.version', 'kv.updated_at', 'audit_entries.seq', 'tasks.lease_expires_at', 'usage_events.input_tokens', 'sessions.context_window_tokens', 'canonical_sessions.compaction_cursor']) {
        expect(bigints, col).toContain(col);
      }
      // Same index names (the SQLite autoindexes of primary keys aside), same uniqueness.
      const liteIndexes = db
        .prepare(`select name, tbl_name, sql from sqlite_master where type = 'index' and sql is not null and tbl_name in (${MAIN_TABLES.map(() => '?').join(',')}) order by name`)
        .all(...MAIN_TABLES) as { name: string; sql: string }[];
      const pgIndexes = (await query(
        undefined,
        `select indexname, indexdef from pg_indexes
         where schemaname = $1 and tablename = any($2) and indexname not like '%_pkey' and indexname <> 'kv_pk' order by indexname`,
        [schema, MAIN_TABLES],
      )) as { indexname: string; indexdef: string }[];
      expect(pgIndexes.map((i) => i.indexname)).toEqual(liteIndexes.map((i) => i.name));
      const label = pgIndexes.find((i) => i.indexname === 'sessions_agent_label')!;
      expect(label.indexdef).toMatch(/UNIQUE INDEX .* \(agent_id, label\) WHERE \(label IS NOT NULL\)/);
    } finally {
      db.close();
    }
  });

  it('postgres_schema is honoured: tables and rows land in that schema, not in public', async () => {
    const { mem, config } = await openPg();
    const schema = config.postgresSchema as string;
    const agent = `agent-${schema}`;
    await mem.structured.set(agent, 'where', 'here');
    const tables = (await query(undefined, `select table_name from information_schema.tables where table_schema = $1`, [schema])).map((r) => r['table_name']);
    for (const t of [...MAIN_TABLES, 'kysely_migration', 'kysely_migration_lock']) expect(tables).toContain(t);
    expect(await query(undefined, `select value from "${schema}".kv where agent_id = $1`, [agent])).toEqual([{ value: '"here"' }]);
    const publicKv = await query(undefined, `select to_regclass('public.kv') is not null as exists`);
    if (publicKv[0]?.['exists'] === true) {
      expect(await query(undefined, 'select 1 from public.kv where agent_id = $1', [agent])).toEqual([]);
    }
    expect(mem.info).toMatchObject({ backend: 'postgres', semanticBackend: 'sqlite', schemaVersion: '0010_keyword_counts' });
    const health = await mem.health();
    expect(health.ok).toBe(true);
    expect(health.backends[0]).toMatchObject({ name: 'main:postgres', ok: true });
  });

  const collationTitle = 'text orders by bytes (collation "C"), identically to SQLite, even in a database whose default collation is linguistic';
  it.skipIf(icu.reason !== undefined)(icu.reason === undefined ? collationTitle : `${collationTitle} (skipped: ${icu.reason})`, async () => {
    if (icu.error !== undefined) throw icu.error;
    const url = icu.url as string;
    const keys = COLLATION_KEYS;
    const byBytes = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    // There, plain `order by` sorts these keys differently, so only the columns' own "C" collation
    // can give byte order.
    const [row] = await withPgClient(undefined, async (c) => (await c.query(`select array_agg(k order by k) as keys from unnest($1::text[]) k`, [keys])).rows, url);
    expect(row?.['keys']).not.toEqual(byBytes);
    const [collation] = await withPgClient(undefined, async (c) => (await c.query('select datlocprovider as provider from pg_database where datname = current_database()')).rows, url);
    expect(collation).toEqual({ provider: 'i' });

    const { mem } = await openPg({ postgresUrl: url });
    const dir = tempDir();
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const lite = await MemorySubstrate.open({ sqlitePath: join(dir, 'm.db') }, { env: {} });
    cleanups.push(() => lite.close());
    for (const m of [mem, lite]) {
      for (const [i, k] of keys.entries()) {
        await m.structured.set('agent', k, i);
        await m.structured.saveAgent({ id: `id-${i}`, name: k });
        await m.usage.record({ agentId: 'agent', model: k, inputTokens: 1, outputTokens: 1, costUsd: 1 });
      }
    }
    for (const m of [mem, lite]) {
      expect((await m.structured.list('agent')).map((e) => e.key)).toEqual(byBytes);
      expect((await m.structured.listAgents()).map((a) => a.name)).toEqual(byBytes);
      expect((await m.usage.byModel()).map((u) => u.model)).toEqual(byBytes);
    }
  });
});

describe('PostgreSQL main backend: UTC windows', () => {
  it('usage windows are UTC calendar windows whatever the server session time zone (OpenFang G-8)', async () => {
    const clock = { now: Date.UTC(2025, 5, 15, 0, 30) }; // 00:30 UTC = 14:30 in Kiritimati (UTC+14)
    const url = new URL(TEST_PG_URL);
    url.searchParams.set('options', '-c TimeZone=Pacific/Kiritimati');
    const config = freshConfig({ postgresUrl: url.toString() });
    const mem = await MemorySubstrate.open(config, { env: {}, clock: () => clock.now });
    cleanups.push(() => mem.close());
    const [tz] = await withPgClient(undefined, async (c) => (await c.query('show timezone')).rows, url.toString());
    expect(tz).toEqual({ TimeZone: 'Pacific/Kiritimati' });
    const record = (timestamp: number, costUsd: number) =>
      mem.usage.record({ agentId: 'agent', model: 'm', inputTokens: 1, outputTokens: 2, costUsd, timestamp });
    await record(Date.UTC(2025, 5, 14, 23, 45), 1); // yesterday (UTC), same local day in UTC+14
    await record(Date.UTC(2025, 5, 15, 0, 10), 2); // today
    await record(Date.UTC(2025, 4, 31, 23, 59, 59, 999), 4); // last month
    expect(await mem.usage.costToday()).toBe(2);
    expect(await mem.usage.costLastHour()).toBe(3);
    expect(await mem.usage.costThisMonth()).toBe(3);
    expect(await mem.usage.dailyBreakdown(2)).toEqual([
      { date: '2025-06-14', costUsd: 1, tokens: 3, calls: 1 },
      { date: '2025-06-15', costUsd: 2, tokens: 3, calls: 1 },
    ]);
    expect(await mem.usage.firstEventAt()).toBe(Date.UTC(2025, 4, 31, 23, 59, 59, 999));
  });
});

describe('PostgreSQL main backend: configuration and failures', () => {
  it('pool size bounds (1..1000) are config errors before anything connects', async () => {
    for (const size of [0, 1001, 1.5]) {
      await expect(
        MemorySubstrate.open({ backend: 'postgres', postgresUrl: TEST_PG_URL, postgresPoolSize: size }, { env: {} }),
      ).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    }
    await expect(MemorySubstrate.open({ backend: 'postgres' }, { env: {} })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    // Both ends of the range open; a pool of one runs transactions, audit appends and claims.
    for (const size of [1, 1000]) {
      const { mem } = await openPg({ postgresPoolSize: size });
      const id = await mem.tasks.post({ title: 't' });
      const [a, b] = await Promise.all([mem.tasks.claim('w1'), mem.tasks.claim('w2')]);
      expect([a?.id, b?.id].filter(Boolean)).toEqual([id]);
      await mem.sessions.appendCanonical('agent', [{ role: 'user', content: 'hi' }]);
      expect((await mem.audit.verify()).ok).toBe(true);
    }
  });

  it('an unreachable server fails open fast with BACKEND_UNAVAILABLE and never shows the credentials', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const password = 'S3ntinel-Pa55w0rd-91c4';
    const user = 'sentinel_user_5e2b';
    const lines: string[] = [];
    const started = Date.now();
    const error = await MemorySubstrate.open(
      { ...freshConfig(), postgresUrl: `postgres://${user}:${password}@127.0.0.1:${port}/test` },
      { env: {}, logger: capturingLogger(lines) },
    ).catch((e: unknown) => e as Error & { code?: string });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(error).toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    const text = `${String(error)} ${(error as Error).stack ?? ''} ${JSON.stringify(error)} ${lines.join('\n')}`;
    expect(text).toContain(`127.0.0.1:${port}`);
    expect(text).not.toContain(password);
    expect(text).not.toContain(user);
  });

  it('a server that rejects the credentials: BACKEND_UNAVAILABLE, user and password scrubbed from the server message', async () => {
    const password = 'An0ther-S3ntinel-Secret';
    const user = 'no_such_role_7d1f';
    const url = new URL(TEST_PG_URL);
    url.username = user;
    url.password = password;
    const lines: string[] = [];
    const error = await MemorySubstrate.open({ ...freshConfig(), postgresUrl: url.toString() }, { env: {}, logger: capturingLogger(lines) }).catch(
      (e: unknown) => e as Error,
    );
    expect(error).toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    const text = `${String(error)} ${(error as Error).stack ?? ''} ${lines.join('\n')}`;
    expect(text).not.toContain(password);
    expect(text).not.toContain(user);
  });

  it('a server that goes away mid-run gives BACKEND_UNAVAILABLE, and the pool recovers when it is back', async () => {
    const target = new URL(TEST_PG_URL);
    const sockets = new Set<Socket>();
    const proxy = (): Server =>
      createServer((client) => {
        const upstream = connect(Number(target.port || 5432), target.hostname);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => {});
        }
        client.pipe(upstream).pipe(client);
      });
    let server = proxy();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    // Registered first, so it runs after the substrate has closed.
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          server.close(() => r());
          for (const s of sockets) s.destroy();
        }),
    );
    const port = (server.address() as { port: number }).port;
    const via = new URL(TEST_PG_URL);
    via.host = `127.0.0.1:${port}`;
    const config = freshConfig({ postgresUrl: via.toString(), postgresPoolSize: 2 });
    const mem = await MemorySubstrate.open(config, { env: {} });
    cleanups.push(() => mem.close());
    await mem.set('agent', 'k', 1);
    const taskId = await mem.tasks.post({ title: 'survives' });

    // The server goes away: listener closed, every open connection cut.
    await new Promise<void>((r) => {
      server.close(() => r());
      for (const s of sockets) s.destroy();
    });
    await expect(mem.get('agent', 'k')).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    await expect(mem.structured.set('agent', 'k', 2)).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    await expect(mem.tasks.claim('w')).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    await expect(mem.sessions.appendCanonical('agent', [{ role: 'user', content: 'x' }])).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    await expect(mem.audit.append({ agentId: 'a', action: 'x', detail: '', outcome: 'ok' })).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    const down = await mem.health();
    expect(down.ok).toBe(false);
    expect(down.backends[0]).toMatchObject({ name: 'main:postgres', ok: false });

    // Back on the same address: the pool reconnects, nothing was lost.
    server = proxy();
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    expect(await mem.get('agent', 'k')).toBe(1);
    expect(await mem.tasks.claim('w')).toMatchObject({ id: taskId });
    expect((await mem.audit.verify()).ok).toBe(true);
  });
});
