import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { GENESIS_HASH, hashEntry, MemoryError, MemorySubstrate } from '../../index.js';
import { ManualClock } from '../clock.js';
import type { CellInstance } from '../cell.js';
import { defineSuite } from '../conformance.js';

async function appendN(inst: CellInstance, n: number, agentId = 'agent-a'): Promise<void> {
  for (let i = 0; i < n; i++) {
    await inst.mem.audit.append({ agentId, action: 'ToolInvoke', detail: `call ${i}`, outcome: 'ok' });
  }
}

async function expectOpenFails(inst: CellInstance, seq?: number): Promise<void> {
  const error = await inst.reopen().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(MemoryError.is(error)).toBe(true);
  expect(error).toMatchObject({ code: 'CHAIN_INTEGRITY' });
  if (seq !== undefined) expect((error as { seq: number }).seq).toBe(seq);
}

export const auditSuite = defineSuite('audit', ({ cell, open, itIf }) => {
  it('append returns exactly the persisted entry, chained from genesis', async () => {
    const clock = new ManualClock();
    const inst = await open({ clock: clock.fn });
    const first = await inst.mem.audit.append({ agentId: 'a', action: 'AgentSpawn', detail: 'x', outcome: 'ok' });
    clock.advance(5);
    const second = await inst.mem.audit.append({ agentId: 'b', action: 'ToolInvoke', detail: 'y', outcome: 'denied' });
    expect(first).toMatchObject({ seq: 1, prevHash: GENESIS_HASH, timestamp: clock.now - 5, agentId: 'a' });
    expect(second).toMatchObject({ seq: 2, prevHash: first.hash, timestamp: clock.now, outcome: 'denied' });
    const { hash, ...rest } = second;
    expect(hashEntry(rest)).toBe(hash);
    expect(await inst.mem.audit.entries()).toEqual([first, second]);
    expect(await inst.mem.audit.tip()).toEqual({ seq: 2, hash: second.hash });
  });

  it('an empty log verifies and its tip is genesis', async () => {
    const inst = await open();
    expect(await inst.mem.audit.tip()).toEqual({ seq: 0, hash: GENESIS_HASH });
    expect(await inst.mem.audit.verify()).toEqual({ ok: true, entries: 0, tipHash: GENESIS_HASH });
  });

  it('entries filters by agent, pages with after/limit, in ascending seq order', async () => {
    const inst = await open();
    await appendN(inst, 5, 'a');
    await appendN(inst, 3, 'b');
    const all = await inst.mem.audit.entries({ limit: 100 });
    expect(all.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect((await inst.mem.audit.entries({ agentId: 'b' })).map((e) => e.seq)).toEqual([6, 7, 8]);
    expect((await inst.mem.audit.entries({ after: 2, limit: 2 })).map((e) => e.seq)).toEqual([3, 4]);
    await expect(inst.mem.audit.entries({ limit: 0 })).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('rejects bad input and writes nothing', async () => {
    const inst = await open();
    await expect(inst.mem.audit.append({ agentId: 'a', action: '', detail: 'd', outcome: 'ok' })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(inst.mem.audit.append({ agentId: 'a', action: 'x', detail: 'd'.repeat(70_000), outcome: 'ok' })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(inst.mem.audit.append({ agentId: 7 as unknown as string, action: 'x', detail: 'd', outcome: 'ok' })).rejects.toMatchObject({ code: 'VALIDATION' });
    expect((await inst.mem.audit.tip()).seq).toBe(0);
  });

  it('reopens fine after restarts with many entries (OpenFang G-1)', async () => {
    const inst = await open();
    await appendN(inst, 300);
    await inst.reopen();
    await appendN(inst, 5);
    await inst.reopen();
    const report = await inst.mem.audit.verify();
    expect(report.entries).toBe(305);
    expect((await inst.mem.audit.tip()).seq).toBe(305);
  });

  it('concurrent appends from one process never fork the chain', async () => {
    const inst = await open();
    await Promise.all(Array.from({ length: 200 }, (_, i) => inst.mem.audit.append({ agentId: `a${i % 7}`, action: 'x', detail: String(i), outcome: 'ok' })));
    const entries = await inst.mem.audit.entries({ limit: 1000 });
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(new Set(entries.map((e) => e.prevHash)).size).toBe(200);
    expect((await inst.mem.audit.verify()).entries).toBe(200);
  });

  itIf('rawSql', 'an edited row fails open with CHAIN_INTEGRITY naming its seq, and writes nothing', async () => {
    const inst = await open();
    await appendN(inst, 20);
    await inst.mem.close();
    await inst.rawSql(`update audit_entries set detail = 'forged' where seq = 7`);
    await expectOpenFails(inst, 7);
    expect(await inst.rawSql('select count(*) as n from audit_entries')).toEqual([{ n: 20 }]);
    expect(await inst.rawSql('select count(*) as n from audit_checkpoints')).toEqual([{ n: 0 }]);
  });

  itIf('rawSql', 'a deleted middle row fails open at the missing seq', async () => {
    const inst = await open();
    await appendN(inst, 20);
    await inst.mem.close();
    await inst.rawSql('delete from audit_entries where seq = 11');
    await expectOpenFails(inst, 11);
  });

  itIf('rawSql', 'reordered rows fail open', async () => {
    const inst = await open();
    await appendN(inst, 10);
    await inst.mem.close();
    await inst.rawSql('update audit_entries set seq = -1 where seq = 4');
    await inst.rawSql('update audit_entries set seq = 4 where seq = 5');
    await inst.rawSql('update audit_entries set seq = 5 where seq = -1');
    await expectOpenFails(inst, 4);
  });

  itIf('rawSql', 'tail truncation is caught by the anchor', async () => {
    const inst = await open();
    await appendN(inst, 15);
    await inst.mem.close();
    await inst.rawSql('delete from audit_entries where seq > 12');
    await expectOpenFails(inst, 13);
  });

  itIf('rawSql', 'a rewritten tail with recomputed hashes is caught by the anchor', async () => {
    const inst = await open();
    await appendN(inst, 6);
    await inst.mem.close();
    const [row] = (await inst.rawSql('select * from audit_entries where seq = 6')) as Record<string, string | number>[];
    const forged = { seq: 6, timestamp: Number(row?.['timestamp']), agentId: 'x', action: 'ToolInvoke', detail: 'forged', outcome: 'ok', prevHash: String(row?.['prev_hash']) };
    await inst.rawSql('update audit_entries set agent_id = ?, detail = ?, hash = ? where seq = 6', 'x', 'forged', hashEntry(forged));
    await expectOpenFails(inst, 6);
  });

  itIf('sqliteFile', 'rollback to an older copy of the database is caught by the anchor', async () => {
    const inst = await open();
    await appendN(inst, 5);
    await inst.mem.close();
    const path = inst.config.sqlitePath as string;
    copyFileSync(path, `${path}.old`);
    await inst.reopen();
    await appendN(inst, 5);
    await inst.mem.close();
    for (const suffix of ['-wal', '-shm']) if (existsSync(path + suffix)) rmSync(path + suffix);
    copyFileSync(`${path}.old`, path);
    await expectOpenFails(inst, 6);
  });

  itIf('rawSql', 'restoring an older copy of the audit table (an old backup) is caught by the anchor, on every engine', async () => {
    const inst = await open();
    await appendN(inst, 5);
    await inst.mem.close();
    await inst.rawSql('create table audit_backup as select * from audit_entries');
    await inst.reopen();
    await appendN(inst, 5);
    await inst.mem.structured.set('agent-a', 'after-backup', 1);
    await inst.mem.close();
    await inst.rawSql('delete from audit_entries');
    await inst.rawSql('insert into audit_entries select * from audit_backup');
    await inst.rawSql('drop table audit_backup');
    await expectOpenFails(inst, 6);
  });

  itIf('rawSql', 'a forensic open reads a store whose chain is broken, says where it broke, and writes nothing', async () => {
    const inst = await open();
    await appendN(inst, 5);
    await inst.mem.structured.set('agent-a', 'k', { kept: true });
    const memory = await inst.mem.semantic.remember({ agentId: 'agent-a', content: 'evidence about the breach' });
    await inst.mem.close();
    await inst.rawSql(`update audit_entries set detail = 'forged' where seq = 3`);
    await expectOpenFails(inst, 3);
    const anchorBefore = readFileSync(inst.config.auditAnchorPath as string, 'utf8');
    const [{ n: entriesBefore } = { n: 0 }] = (await inst.rawSql('select count(*) as n from audit_entries')) as { n: number }[];

    const mem = await MemorySubstrate.open(inst.config, { env: inst.env ?? {}, forensic: true, ...(cell.backends ? { backends: cell.backends } : {}) });
    try {
      expect(mem.info.forensic).toMatchObject({ chain: 'broken', seq: 3 });
      expect(await mem.structured.get('agent-a', 'k')).toEqual({ kept: true });
      expect((await mem.semantic.recall({ agentId: 'agent-a', text: 'breach', mode: 'keyword' })).map((r) => r.memory.id)).toEqual([memory]);
      expect((await mem.audit.entries({ limit: 100 })).length).toBe(entriesBefore);
      await expect(mem.structured.set('agent-a', 'k', 1)).rejects.toMatchObject({ code: 'VALIDATION' });
      await expect(mem.semantic.forget(memory)).rejects.toMatchObject({ code: 'VALIDATION' });
      await expect(mem.audit.append({ agentId: 'a', action: 'x', detail: '', outcome: 'ok' })).rejects.toMatchObject({ code: 'VALIDATION' });
    } finally {
      await mem.close();
    }
    expect(await inst.rawSql('select count(*) as n from audit_entries')).toEqual([{ n: entriesBefore }]);
    expect(readFileSync(inst.config.auditAnchorPath as string, 'utf8')).toBe(anchorBefore);
    expect(((await inst.rawSql("select value from kv where key = 'k'")) as { value: string }[])[0]?.value).toBe(JSON.stringify({ kept: true }));
  });

  itIf('rawSql', 'a missing anchor for a non-empty log fails closed', async () => {
    const inst = await open();
    await appendN(inst, 3);
    await inst.mem.close();
    rmSync(inst.config.auditAnchorPath as string);
    await expectOpenFails(inst, 1);
  });

  it("another log's anchor is never taken for this log's: open fails closed, naming the mix-up", async () => {
    const a = await open();
    const b = await open();
    await appendN(a, 3);
    await appendN(b, 3);
    await a.mem.close();
    await b.mem.close();
    const error = await a.reopen({ config: { auditAnchorPath: b.config.auditAnchorPath } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CHAIN_INTEGRITY', seq: 1 });
    // Its own anchor still opens it.
    await a.reopen();
    expect((await a.mem.audit.verify()).entries).toBe(3);
  });

  itIf('rawSql', 'with an audit key the anchor is MAC\'d: a truncated tail with the anchor rewritten to the new last row fails open', async () => {
    const env = { AUDIT_KEY: 'k'.repeat(32) };
    const inst = await open({ config: { auditKeyEnv: 'AUDIT_KEY' }, env });
    await appendN(inst, 10);
    await inst.mem.close();
    const path = inst.config.auditAnchorPath as string;
    const anchor = JSON.parse(readFileSync(path, 'utf8')) as { chain: string; mac?: string };
    expect(anchor.mac).toMatch(/^[0-9a-f]{64}$/);
    await inst.rawSql('delete from audit_entries where seq > 7');
    const [row] = (await inst.rawSql('select hash from audit_entries where seq = 7')) as { hash: string }[];
    // The genuine row 7 as the new tip, with the old MAC kept, and without one: both refused.
    writeFileSync(path, JSON.stringify({ version: 1, chain: anchor.chain, seq: 7, hash: row?.hash, mac: anchor.mac }));
    await expectOpenFails(inst, 7);
    writeFileSync(path, JSON.stringify({ version: 1, chain: anchor.chain, seq: 7, hash: row?.hash }));
    await expectOpenFails(inst, 7);
  });

  itIf('rawSql', 'a checkpoint inserted into the database is not trusted: an edit before it still fails open', async () => {
    const inst = await open();
    await appendN(inst, 30);
    await inst.mem.close();
    await inst.rawSql(`update audit_entries set detail = 'forged' where seq = 5`);
    const [row] = (await inst.rawSql('select hash from audit_entries where seq = 30')) as { hash: string }[];
    await inst.rawSql('insert into audit_checkpoints (seq, hash, created_at) values (?, ?, ?)', 30, row?.hash, 1);
    await expectOpenFails(inst, 5);
  });

  itIf('rawSql', 'with an HMAC key a recomputed unkeyed hash is detected, and the key is required to open', async () => {
    const env = { AUDIT_KEY: 'k'.repeat(32) };
    const inst = await open({ config: { auditKeyEnv: 'AUDIT_KEY' }, env });
    await appendN(inst, 4);
    const tip = await inst.mem.audit.tip();
    const { hash: _h, ...base } = (await inst.mem.audit.entries({ after: 3 }))[0]!;
    expect(hashEntry(base)).not.toBe(tip.hash);
    expect(hashEntry(base, Buffer.from(env.AUDIT_KEY))).toBe(tip.hash);
    await inst.mem.close();
    await expect(inst.reopen({ config: { auditKeyEnv: 'AUDIT_KEY' }, env: {} })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(inst.reopen({ config: { auditKeyEnv: 'OTHER' }, env: { OTHER: 'wrong-key-wrong-key' } })).rejects.toMatchObject({ code: 'CHAIN_INTEGRITY' });
    await inst.reopen({ config: { auditKeyEnv: 'AUDIT_KEY' }, env });
    expect((await inst.mem.audit.verify()).entries).toBe(4);
  });

  itIf('rawSql', 'verification is incremental from a verified checkpoint; verify() still re-hashes everything', async () => {
    const inst = await open();
    await appendN(inst, 16_500);
    await inst.reopen();
    // A checkpoint was verified and recorded (while appending, or on reopen) close to the tip.
    const [{ seq: cp } = { seq: 0 }] = (await inst.rawSql('select max(seq) as seq from audit_checkpoints')) as { seq: number }[];
    expect(cp).toBeGreaterThanOrEqual(16_384);
    expect(cp).toBeLessThanOrEqual(16_500);
    await appendN(inst, 5);
    await inst.mem.close();
    // Edits after the checkpoint, and of the checkpointed entry itself, are caught on open …
    const detail = ((await inst.rawSql('select detail from audit_entries where seq = ?', cp)) as { detail: string }[])[0]?.detail;
    await inst.rawSql(`update audit_entries set detail = 'forged' where seq = 16503`);
    await expectOpenFails(inst, 16_503);
    await inst.rawSql(`update audit_entries set detail = 'call 2' where seq = 16503`);
    await inst.rawSql(`update audit_entries set detail = 'forged' where seq = ?`, cp);
    await expectOpenFails(inst, cp);
    await inst.rawSql(`update audit_entries set detail = ? where seq = ?`, detail, cp);
    // … one before it is caught by a full verify().
    await inst.rawSql(`update audit_entries set detail = 'forged' where seq = 3`);
    await inst.reopen();
    await expect(inst.mem.audit.verify()).rejects.toMatchObject({ code: 'CHAIN_INTEGRITY', seq: 3 });
  }, 120_000);

  itIf('rawSql', 'a mutation whose audit entry cannot be written is not kept: the two are one transaction on one engine', async () => {
    const inst = await open();
    const { mem } = inst;
    await mem.structured.set('agent-1', 'before', 1);
    const memoryBefore = await mem.semantic.remember({ agentId: 'agent-1', content: 'kept' });
    // The audit table disappears: every append fails after its mutation ran.
    await inst.rawSql('alter table audit_entries rename to audit_entries_away');
    let memory: string | undefined;
    try {
      await expect(mem.structured.set('agent-1', 'k', { v: 1 })).rejects.toBeInstanceOf(Error);
      await expect(mem.sessions.create('agent-1', { label: 'lost' })).rejects.toBeInstanceOf(Error);
      await expect(mem.semantic.rememberMany([{ agentId: 'agent-1', content: 'unaudited memory' }])).rejects.toBeInstanceOf(Error);
      const found = await mem.semantic.recall({ agentId: 'agent-1', text: 'unaudited', mode: 'keyword' });
      memory = found[0]?.memory.id;
    } finally {
      await inst.rawSql('alter table audit_entries_away rename to audit_entries');
    }
    expect(await mem.structured.get('agent-1', 'k')).toBeUndefined();
    expect(await mem.sessions.listForAgent('agent-1')).toEqual([]);
    // Semantic memory shares the transaction only where the cell says so; elsewhere the order is
    // mutation, then entry (README: order across engines), so the memory stays.
    if (cell.sharedTransactions) expect(memory).toBeUndefined();
    else expect(memory).toBeDefined();
    expect(await mem.semantic.get(memoryBefore)).toBeDefined();
    expect((await mem.audit.verify()).entries).toBe(2);
    await inst.reopen();
    expect((await inst.mem.audit.verify()).entries).toBe(2);
  });

  it('every mutation through the facade appends an audit entry', async () => {
    const inst = await open();
    const { mem } = inst;
    await mem.set('agent-1', 'k', { v: 1 });
    await mem.delete('agent-1', 'k');
    const e1 = await mem.addEntity({ agentId: 'agent-1', entityType: 'person', name: 'Alice' });
    const e2 = await mem.addEntity({ agentId: 'agent-1', entityType: 'organization', name: 'Acme' });
    await mem.addRelation({ agentId: 'agent-1', source: e1, relation: 'works_at', target: e2 });
    const id = await mem.remember({ agentId: 'agent-1', content: 'hello world', embedding: [1, 0, 0] });
    await mem.forget(id);
    const taskId = await mem.tasks.post({ title: 't', createdBy: 'agent-1' });
    const claimed = await mem.tasks.claim('agent-2');
    expect(claimed?.id).toBe(taskId);
    await mem.tasks.complete(taskId, { done: true }, { token: claimed!.token });
    const entries = await mem.audit.entries({ limit: 100 });
    // Task state changes name the agent that held the lease.
    expect(entries.filter((e) => e.action.startsWith('task.')).map((e) => [e.action, e.agentId])).toEqual([
      ['task.post', 'agent-1'],
      ['task.claim', 'agent-2'],
      ['task.complete', 'agent-2'],
    ]);
    const actions = entries.map((e) => e.action);
    expect(actions).toEqual([
      'kv.set',
      'kv.delete',
      'knowledge.add_entity',
      'knowledge.add_entity',
      'knowledge.add_relation',
      'memory.remember',
      'memory.forget',
      'task.post',
      'task.claim',
      'task.complete',
    ]);
    expect((await mem.audit.verify()).entries).toBe(10);
  });
});
