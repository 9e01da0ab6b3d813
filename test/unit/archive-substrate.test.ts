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

it('imported sessions get their sessions_mirror_dir files, as saved ones do', async () => {
  const { existsSync } = await import('node:fs');
  const dir = mkdtempSync(join(tmpdir(), 'memstrate-archive-mirror-'));
  dirs.push(dir);
  const source = await MemorySubstrate.open({ sqlitePath: join(dir, 'a.db'), auditAnchorPath: join(dir, 'a.anchor') }, { env: {} });
  const session = await source.sessions.create('ada', { label: 'chat' });
  await source.sessions.save({ ...session, messages: [{ role: 'user', content: 'hi' }] });
  const chunks: Buffer[] = [];
  for await (const chunk of source.export()) chunks.push(chunk as Buffer);
  await source.close();
  const mirror = join(dir, 'mirror');
  const target = await MemorySubstrate.open({ sqlitePath: join(dir, 'b.db'), auditAnchorPath: join(dir, 'b.anchor'), sessionsMirrorDir: mirror }, { env: {} });
  try {
    expect((await target.import(new Uint8Array(Buffer.concat(chunks)))).stores.session.imported).toBe(1);
    expect(existsSync(join(mirror, `${session.id}.jsonl`))).toBe(true);
  } finally {
    await target.close();
  }
});
