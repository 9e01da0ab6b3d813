import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SqlMainBackend } from '../../src/backends/sql/sql-main-backend.js';
import type { SqliteEngine } from '../../src/backends/sqlite/sqlite-engine.js';
import { sqliteBackend, sqliteOptions } from '../../src/backends/sqlite/sqlite-backend.js';
import type { BackendContext } from '../../src/contracts/backend-plugin.js';
import { MemorySubstrate } from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'memstrate-durability-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const silent = { debug() {}, info() {}, warn() {}, error() {} } as never;

async function synchronous(durability: 'normal' | 'full' | undefined, file: string): Promise<number> {
  const ctx: BackendContext = { clock: Date.now, logger: silent, env: {}, embedder: undefined, settings: { embeddingDimensions: undefined, decayRate: 0.1, durability } };
  const main = (await sqliteBackend.main!.open(sqliteOptions.parse({ path: join(dir, file), readWorkers: 0 }), ctx)) as SqlMainBackend<SqliteEngine>;
  try {
    return main.engine.raw.pragma('synchronous', { simple: true }) as number;
  } finally {
    await main.close();
  }
}

describe('durability', () => {
  it('"full" runs SQLite with synchronous=FULL (2); the default is NORMAL (1)', async () => {
    expect(await synchronous('full', 'full.db')).toBe(2);
    expect(await synchronous('normal', 'normal.db')).toBe(1);
    expect(await synchronous(undefined, 'default.db')).toBe(1);
  });

  it('a substrate opened with durability = "full" works end to end and says so in its config', async () => {
    const mem = await MemorySubstrate.open({ sqlitePath: join(dir, 'mem.db'), durability: 'full' }, { env: {} });
    await mem.structured.set('a', 'k', 1);
    expect(await mem.structured.get('a', 'k')).toBe(1);
    await mem.close();
    await expect(MemorySubstrate.open({ sqlitePath: join(dir, 'x.db'), durability: 'fast' as 'full' }, { env: {} })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});
