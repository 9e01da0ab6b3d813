import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { MemorySubstrate } from '../../src/index.js';

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length > 0) rmSync(dirs.pop() as string, { recursive: true, force: true });
});

it('a forensic (read-only) open of a store whose chain is broken exports it (recording nothing) and refuses import', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'memstrate-archive-forensic-'));
  dirs.push(dir);
  const path = join(dir, 'memstrate.db');
  const config = { sqlitePath: path, auditAnchorPath: join(dir, 'memstrate.db.audit-anchor') };
  const mem = await MemorySubstrate.open(config, { env: {} });
  await mem.set('a', 'k', 1);
  await mem.semantic.remember({ agentId: 'a', content: 'evidence' });
  const chunks: Buffer[] = [];
  for await (const chunk of mem.export()) chunks.push(chunk as Buffer);
  await mem.close();
  // Break the chain: every ordinary open now fails closed.
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(path);
  db.prepare("update audit_entries set detail = 'rewritten' where seq = 1").run();
  db.close();
  await expect(MemorySubstrate.open(config, { env: {} })).rejects.toMatchObject({ code: 'CHAIN_INTEGRITY' });

  const forensic = await MemorySubstrate.open(config, { env: {}, forensic: true });
  try {
    const tip = (await forensic.audit.tip()).seq;
    const out: Buffer[] = [];
    let finished: { auditSeq: number } | undefined;
    for await (const chunk of forensic.export({ onProgress: (p) => (finished = p.finished ?? finished) })) out.push(chunk as Buffer);
    const lines = Buffer.concat(out).toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; content?: string });
    expect(lines.some((l) => l.type === 'memory' && l.content === 'evidence')).toBe(true);
    expect(lines.at(-1)?.type).toBe('trailer');
    expect(finished?.auditSeq).toBe(0); // nothing recorded on a read-only open
    expect((await forensic.audit.tip()).seq).toBe(tip);
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
