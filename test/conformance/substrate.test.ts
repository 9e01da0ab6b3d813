import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { MemorySubstrate } from '../../src/index.js';
import { substrateSuite } from '../../src/testing/suites/substrate.js';
import { conformance } from '../harness/conformance.js';

conformance(substrateSuite);

it('a bad configuration fails open with one ConfigError and creates nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'memstrate-cfg-'));
  try {
    const sqlitePath = join(dir, 'sub', 'memstrate.db');
    const error = await MemorySubstrate.open(
      { sqlitePath, backend: 'mysql' as 'sqlite', postgresPoolSize: 0, bogus: 1 } as never,
      { env: {} },
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
    expect((error as { problems: string[] }).problems.length).toBe(3);
    expect(existsSync(join(dir, 'sub'))).toBe(false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
