import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { MemorySubstrate } from '../../src/index.js';

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length > 0) rmSync(dirs.pop() as string, { recursive: true, force: true });
});

it('a forensic (read-only) open refuses export and import before anything runs: both would write an audit entry', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'memstrate-archive-forensic-'));
  dirs.push(dir);
  const config = { sqlitePath: join(dir, 'memstrate.db'), auditAnchorPath: join(dir, 'memstrate.db.audit-anchor') };
  const mem = await MemorySubstrate.open(config, { env: {} });
  await mem.set('a', 'k', 1);
  const chunks: Buffer[] = [];
  for await (const chunk of mem.export()) chunks.push(chunk as Buffer);
  await mem.close();
  const forensic = await MemorySubstrate.open(config, { env: {}, forensic: true });
  try {
    expect(() => forensic.export()).toThrow(expect.objectContaining({ code: 'VALIDATION', message: expect.stringMatching(/forensic/) }));
    await expect(forensic.import(new Uint8Array(Buffer.concat(chunks)))).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringMatching(/forensic/) });
  } finally {
    await forensic.close();
  }
});
