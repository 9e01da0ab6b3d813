import { rmSync } from 'node:fs';
import { join } from 'node:path';
import * as vitest from 'vitest';
import { MemorySubstrate, type MemoryConfigInput, type OpenOptions } from '../../src/index.js';
import { tempDir } from '../../src/testing/sqlite-tools.js';
import { dropSchema, freshSchemaName, TEST_PG_URL } from '../harness/pg-tools.js';

/** An opened substrate and how to close it and remove what it created. */
export interface Opened {
  mem: MemorySubstrate;
  engine: string;
  close(): Promise<void>;
}

export type MainEngine = 'sqlite' | 'postgres';

/**
 * A substrate on a fresh store of `main`: SQLite — a temp file (semantic memory in the same file);
 * PostgreSQL — an own schema on the test server (semantic memory in a temp SQLite file).
 */
export async function openFresh(main: MainEngine, options: OpenOptions = {}, extra: Partial<MemoryConfigInput> = {}): Promise<Opened> {
  const dir = tempDir();
  const base = { semanticBackend: 'sqlite', sqlitePath: join(dir, 'memstrate.db'), auditAnchorPath: join(dir, 'audit-anchor.json'), ...extra };
  if (main === 'sqlite') {
    const mem = await MemorySubstrate.open({ backend: 'sqlite', ...base }, { env: {}, ...options });
    return { mem, engine: 'SQLite temp file', close: async () => { await mem.close(); rmSync(dir, { recursive: true, force: true }); } };
  }
  const schema = freshSchemaName('lg');
  const mem = await MemorySubstrate.open({ backend: 'postgres', postgresUrl: TEST_PG_URL, postgresSchema: schema, ...base }, { env: {}, ...options });
  return {
    mem,
    engine: `PostgreSQL server (schema ${schema})`,
    close: async () => {
      await mem.close();
      await dropSchema(schema);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The validation suite of @langchain/langgraph-checkpoint-validation calls Jest-style globals. */
export function installTestGlobals(): void {
  const { describe, it, expect, beforeAll, afterAll, beforeEach, afterEach } = vitest;
  Object.assign(globalThis, { describe, it, test: it, expect, beforeAll, afterAll, beforeEach, afterEach });
}
