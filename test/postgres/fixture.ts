import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { MemoryConfigInput } from '../../src/index.js';
import { dropSchema, freshSchemaName, TEST_PG_URL } from '../harness/pg-tools.js';
import { tempDir } from '../harness/cells/sqlite.js';

const cleanups: (() => Promise<void>)[] = [];

/** Registers cleanup after each test of the importing file: every step runs, the first error is reported. */
export function useCleanups(): (fn: () => Promise<void>) => void {
  afterEach(async () => {
    const errors: unknown[] = [];
    while (cleanups.length > 0) await cleanups.pop()?.().catch((e: unknown) => errors.push(e));
    if (errors.length > 0) throw errors[0];
  });
  return (fn) => cleanups.push(fn);
}

/** A postgres × sqlite config on a fresh schema and temp dir, both removed after the test. */
export function freshConfig(extra: Partial<MemoryConfigInput> = {}): MemoryConfigInput {
  const dir = tempDir();
  const schema = freshSchemaName();
  cleanups.push(async () => {
    await dropSchema(schema);
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    backend: 'postgres',
    semanticBackend: 'sqlite',
    postgresUrl: TEST_PG_URL,
    postgresSchema: schema,
    sqlitePath: join(dir, 'semantic.db'),
    auditAnchorPath: join(dir, 'audit-anchor.json'),
    ...extra,
  };
}
