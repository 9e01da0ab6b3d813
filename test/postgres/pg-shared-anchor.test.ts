import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresAnchor } from '../../src/backends/postgres/postgres-anchor.js';
import { MemorySubstrate, type MemoryConfigInput } from '../../src/index.js';
import { dropSchema, freshSchemaName, TEST_PG_URL, withPgClient } from '../harness/pg-tools.js';

/**
 * The shared audit anchor (`audit_anchor_url`): a PostgreSQL table instead of a file, so several
 * gateway hosts (each with its own working directory) open one PostgreSQL store without a false
 * alarm, and a truncation below any host's view is caught by every host. Real server.
 */
const schemas: string[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const s of schemas) await dropSchema(s).catch(() => {});
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function host(schema: string, name: string): MemoryConfigInput {
  return { backend: 'postgres', postgres: { url: TEST_PG_URL, schema, poolSize: 2 }, semanticBackend: 'postgres', auditAnchorUrl: TEST_PG_URL, auditAnchorName: name } as MemoryConfigInput;
}

describe('shared audit anchor in PostgreSQL', () => {
  it('two hosts share one anchor: each opens and appends, no false alarm; a truncation is caught by both; the row never moves backwards', async () => {
    const schema = freshSchemaName();
    schemas.push(schema);
    const name = `test-${schema}`;
    // semantic on a SQLite file per host would differ; the hosts share the PostgreSQL store only.
    const dirA = mkdtempSync(join(tmpdir(), 'host-a-'));
    const dirB = mkdtempSync(join(tmpdir(), 'host-b-'));
    dirs.push(dirA, dirB);
    const configA = { ...host(schema, name), semanticBackend: 'sqlite', sqlite: { path: join(dirA, 's.db') } } as MemoryConfigInput;
    const configB = { ...host(schema, name), semanticBackend: 'sqlite', sqlite: { path: join(dirB, 's.db') } } as MemoryConfigInput;
    const a = await MemorySubstrate.open(configA, { env: {} });
    const b = await MemorySubstrate.open(configB, { env: {} });
    for (let i = 0; i < 5; i++) {
      await a.structured.set('agent', `a${i}`, i);
      await b.structured.set('agent', `b${i}`, i);
    }
    await a.close();
    await b.close();
    const row = await withPgClient(undefined, async (c) => (await c.query<{ record: { seq: number } }>('select record from memstrate_audit_anchors where name = $1', [name])).rows[0]);
    expect(row?.record.seq).toBe(10);
    // Both reopen fine, from anywhere.
    await (await MemorySubstrate.open(configB, { env: {} })).close();
    await (await MemorySubstrate.open(configA, { env: {} })).close();
    // An older record of the same chain never replaces a newer one (hosts racing cannot roll it back).
    const anchor = await PostgresAnchor.open(TEST_PG_URL, name);
    const current = (await anchor.read()) as NonNullable<Awaited<ReturnType<PostgresAnchor['read']>>>;
    await anchor.write({ ...current, seq: 3, hash: '0'.repeat(64) });
    expect(await anchor.read()).toEqual(current);
    await anchor.close();
    // Truncation in the store: caught by both hosts.
    await withPgClient(schema, (c) => c.query('delete from audit_entries where seq > 8'));
    await expect(MemorySubstrate.open(configA, { env: {} })).rejects.toMatchObject({ code: 'CHAIN_INTEGRITY', seq: 9 });
    await expect(MemorySubstrate.open(configB, { env: {} })).rejects.toMatchObject({ code: 'CHAIN_INTEGRITY', seq: 9 });
  }, 60_000);

  it('an unreachable anchor database fails open with BACKEND_UNAVAILABLE, its password never shown; a file and a URL together are CONFIG_INVALID', async () => {
    const schema = freshSchemaName();
    schemas.push(schema);
    const started = performance.now();
    const error = await MemorySubstrate.open({ ...host(schema, 'x'), semanticBackend: 'sqlite', sqlite: { path: ':memory:' }, auditAnchorUrl: 'postgres://anchor:p4ssw0rd-secret@127.0.0.1:1/anchors' } as MemoryConfigInput, { env: {} }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BACKEND_UNAVAILABLE', backend: 'audit-anchor' });
    expect(String((error as Error).message)).not.toContain('p4ssw0rd-secret');
    expect(performance.now() - started).toBeLessThan(5000);
    await expect(MemorySubstrate.open({ sqlitePath: ':memory:', auditAnchorUrl: TEST_PG_URL, auditAnchorPath: '/tmp/x' } as MemoryConfigInput, { env: {} })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  }, 30_000);
});
