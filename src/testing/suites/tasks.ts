import { expect, it } from 'vitest';
import type { ClaimedTask, MemorySubstrate } from '../../index.js';
import { startClaimWorker } from '../child-process.js';
import { ManualClock } from '../clock.js';
import { defineSuite } from '../conformance.js';

async function postMany(mem: MemorySubstrate, n: number, prefix = 't'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(await mem.tasks.post({ title: `${prefix}${i}` }));
  return ids;
}

export const tasksSuite = defineSuite('tasks', ({ open, itIf, cell }) => {
  it('cleanupOlderThan(days) deletes completed and failed tasks last updated that long ago; pending and in-progress ones stay', async () => {
    const clock = new ManualClock();
    const { mem } = await open({ clock: clock.fn });
    const day = 86_400_000;
    const done = await mem.tasks.post({ title: 'done', createdBy: 'A' });
    const doneClaim = (await mem.tasks.claim('w')) as ClaimedTask;
    await mem.tasks.complete(doneClaim.id, 'ok', { token: doneClaim.token });
    const failed = await mem.tasks.post({ title: 'failed', createdBy: 'A', maxAttempts: 1 });
    const failClaim = (await mem.tasks.claim('w')) as ClaimedTask;
    expect(await mem.tasks.fail(failClaim.id, 'boom', { token: failClaim.token })).toBe('failed');
    const running = await mem.tasks.post({ title: 'running', createdBy: 'A' });
    expect((await mem.tasks.claim('w'))?.id).toBe(running);
    const pending = await mem.tasks.post({ title: 'pending', createdBy: 'A' });
    clock.advance(10 * day);
    const recent = await mem.tasks.post({ title: 'recent', createdBy: 'A' });
    expect(await mem.tasks.cleanupOlderThan(11)).toBe(0);
    expect(await mem.tasks.cleanupOlderThan(7)).toBe(2);
    expect(await mem.tasks.get(done)).toBeUndefined();
    expect(await mem.tasks.get(failed)).toBeUndefined();
    for (const id of [running, pending, recent]) expect(await mem.tasks.get(id), id).toBeDefined();
    expect(await mem.tasks.cleanupOlderThan(7)).toBe(0);
    await expect(mem.tasks.cleanupOlderThan(-1)).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('post stores a pending task with defaults; get returns every field', async () => {
    const clock = new ManualClock();
    const { mem } = await open({ clock: clock.fn });
    const id = await mem.tasks.post({ title: 'index the docs' });
    expect(await mem.tasks.get(id)).toEqual({
      id,
      title: 'index the docs',
      description: '',
      status: 'pending',
      priority: 0,
      assignedTo: undefined,
      createdBy: undefined,
      claimedBy: undefined,
      attempts: 0,
      maxAttempts: 3,
      result: undefined,
      error: undefined,
      createdAt: clock.now,
      updatedAt: clock.now,
      completedAt: undefined,
      leaseExpiresAt: undefined,
    });
    const full = await mem.tasks.post({ title: 'x', description: 'd', assignedTo: 'bob', createdBy: 'alice', priority: -5, maxAttempts: 7 });
    expect(await mem.tasks.get(full)).toMatchObject({ description: 'd', assignedTo: 'bob', createdBy: 'alice', priority: -5, maxAttempts: 7 });
    expect(await mem.tasks.get('00000000-0000-7000-8000-000000000000')).toBeUndefined();
  });

  it('post rejects bad input with VALIDATION and writes nothing', async () => {
    const { mem } = await open();
    const bad: unknown[] = [
      { title: '' },
      { title: 'é'.repeat(513) }, // 1026 bytes
      { title: 7 },
      { title: 'ok', description: 'd'.repeat(65_537) },
      { title: 'ok', priority: 1.5 },
      { title: 'ok', priority: '1' },
      { title: 'ok', maxAttempts: 0 },
      { title: 'ok', maxAttempts: 101 },
      { title: 'ok', assignedTo: '' },
      { title: 'ok', createdBy: 42 },
      null,
    ];
    for (const input of bad) {
      await expect(mem.tasks.post(input as never)).rejects.toMatchObject({ code: 'VALIDATION' });
    }
    expect(await mem.tasks.list()).toEqual([]);
    expect(await mem.tasks.post({ title: 'a'.repeat(1024), maxAttempts: 100, priority: 2_147_483_647 })).toEqual(expect.any(String));
  });

  it('a task carries a JSON payload, as posted, through claim and get; a payload JSON cannot hold is VALIDATION', async () => {
    const { mem } = await open();
    const payload = { url: 'https://example.com/a', retries: [1, 2], nested: { ok: true, none: null } };
    const id = await mem.tasks.post({ title: 'fetch', payload });
    expect((await mem.tasks.get(id))?.payload).toEqual(payload);
    const claimed = await mem.tasks.claim('worker');
    expect(claimed).toMatchObject({ id, payload });
    const plain = await mem.tasks.post({ title: 'no payload' });
    expect((await mem.tasks.get(plain))?.payload).toBeUndefined();
    await expect(mem.tasks.post({ title: 'bad', payload: { n: Number.NaN } })).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('post rejects an unknown key, naming it (a typo is never dropped)', async () => {
    const { mem } = await open();
    const typo = { title: 't', priorty: 5 } as unknown as Parameters<MemorySubstrate['tasks']['post']>[0];
    await expect(mem.tasks.post(typo)).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('priorty') });
    expect(await mem.tasks.list()).toEqual([]);
  });

  it('claim takes the task with a lease and a token; complete stores the result', async () => {
    const clock = new ManualClock();
    const { mem } = await open({ clock: clock.fn });
    expect(await mem.tasks.claim('worker-1')).toBeNull();
    const id = await mem.tasks.post({ title: 'job', createdBy: 'boss' });
    clock.advance(10);
    const claimed = await mem.tasks.claim('worker-1');
    expect(claimed).toMatchObject({
      id,
      status: 'in_progress',
      claimedBy: 'worker-1',
      attempts: 1,
      leaseExpiresAt: clock.now + 30_000,
      updatedAt: clock.now,
      token: expect.any(String),
    });
    expect(await mem.tasks.claim('worker-2')).toBeNull();
    const stored = await mem.tasks.get(id);
    expect(stored).toMatchObject({ status: 'in_progress', claimedBy: 'worker-1', leaseExpiresAt: clock.now + 30_000 });
    expect(stored).not.toHaveProperty('token');

    clock.advance(5);
    await mem.tasks.complete(id, { pages: 12, ok: true }, { token: claimed!.token });
    expect(await mem.tasks.get(id)).toMatchObject({
      status: 'completed',
      result: { pages: 12, ok: true },
      completedAt: clock.now,
      updatedAt: clock.now,
      claimedBy: 'worker-1',
      attempts: 1,
    });
    // Completing twice, or with the same token again, is a lost lease.
    await expect(mem.tasks.complete(id, 1, { token: claimed!.token })).rejects.toMatchObject({ code: 'LEASE_LOST' });
    expect((await mem.tasks.get(id))?.result).toEqual({ pages: 12, ok: true });
  });

  it('complete / fail / heartbeat: NOT_FOUND for an unknown id, LEASE_LOST for a wrong token or a task not in progress', async () => {
    const { mem } = await open();
    const unknown = '00000000-0000-7000-8000-000000000000';
    await expect(mem.tasks.complete(unknown, null, { token: 't' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(mem.tasks.fail(unknown, 'e', { token: 't' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(mem.tasks.heartbeat(unknown, 't')).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const pending = await mem.tasks.post({ title: 'p' });
    await expect(mem.tasks.complete(pending, null, { token: 't' })).rejects.toMatchObject({ code: 'LEASE_LOST' });
    await expect(mem.tasks.heartbeat(pending, 't')).rejects.toMatchObject({ code: 'LEASE_LOST' });

    const claimed = await mem.tasks.claim('w');
    await expect(mem.tasks.complete(pending, null, { token: 'not-the-token' })).rejects.toMatchObject({ code: 'LEASE_LOST' });
    await expect(mem.tasks.fail(pending, 'e', { token: 'not-the-token' })).rejects.toMatchObject({ code: 'LEASE_LOST' });
    await expect(mem.tasks.heartbeat(pending, 'not-the-token')).rejects.toMatchObject({ code: 'LEASE_LOST' });
    expect(await mem.tasks.get(pending)).toMatchObject({ status: 'in_progress', attempts: 1 });
    await mem.tasks.complete(pending, null, { token: claimed!.token });
    expect(await mem.tasks.get(pending)).toMatchObject({ status: 'completed', result: null });
  });

  it('rejects bad arguments to claim / complete / fail / heartbeat / list with VALIDATION, changing nothing', async () => {
    const { mem } = await open();
    await mem.tasks.post({ title: 'p' });
    await expect(mem.tasks.claim('')).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.tasks.claim('w', { leaseMs: 0 })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.tasks.claim('w', { leaseMs: 86_400_001 })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.tasks.claim('w', { leaseMs: 1.5 })).rejects.toMatchObject({ code: 'VALIDATION' });
    expect((await mem.tasks.list())[0]).toMatchObject({ status: 'pending', attempts: 0 });

    const claimed = await mem.tasks.claim('w');
    const token = claimed!.token;
    await expect(mem.tasks.complete(claimed!.id, undefined as never, { token })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.tasks.complete(claimed!.id, { n: Number.NaN }, { token })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.tasks.complete(claimed!.id, 1, { token: '' })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.tasks.complete(claimed!.id, 1, undefined as never)).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.tasks.fail(claimed!.id, 5 as never, { token })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.tasks.heartbeat(claimed!.id, token, { leaseMs: -1 })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.tasks.get('')).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.tasks.list({ status: 'done' as never })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.tasks.list({ limit: 0 })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.tasks.list({ limit: 10_001 })).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(await mem.tasks.get(claimed!.id)).toMatchObject({ status: 'in_progress', attempts: 1, leaseExpiresAt: claimed!.leaseExpiresAt });
  });

  it('an expired lease makes the task claimable by another agent; the old token gets LEASE_LOST', async () => {
    const clock = new ManualClock();
    const { mem } = await open({ clock: clock.fn });
    const id = await mem.tasks.post({ title: 'job' });
    const first = await mem.tasks.claim('agent-a', { leaseMs: 1000 });
    expect(first?.leaseExpiresAt).toBe(clock.now + 1000);
    clock.advance(999);
    expect(await mem.tasks.claim('agent-b')).toBeNull();
    clock.advance(1001);
    const second = await mem.tasks.claim('agent-b', { leaseMs: 5000 });
    expect(second).toMatchObject({ id, claimedBy: 'agent-b', attempts: 2, leaseExpiresAt: clock.now + 5000 });
    expect(second?.token).not.toBe(first?.token);

    await expect(mem.tasks.complete(id, 'late', { token: first!.token })).rejects.toMatchObject({ code: 'LEASE_LOST' });
    await expect(mem.tasks.fail(id, 'late', { token: first!.token })).rejects.toMatchObject({ code: 'LEASE_LOST' });
    await expect(mem.tasks.heartbeat(id, first!.token)).rejects.toMatchObject({ code: 'LEASE_LOST' });
    expect(await mem.tasks.get(id)).toMatchObject({ status: 'in_progress', claimedBy: 'agent-b', result: undefined });
    await mem.tasks.complete(id, 'done', { token: second!.token });
    expect(await mem.tasks.get(id)).toMatchObject({ status: 'completed', result: 'done' });
  });

  it('complete and fail after the lease expired are LEASE_LOST (even with the current token)', async () => {
    const clock = new ManualClock();
    const { mem } = await open({ clock: clock.fn });
    const id = await mem.tasks.post({ title: 'job' });
    const claimed = await mem.tasks.claim('a', { leaseMs: 1000 });
    clock.advance(1000);
    await expect(mem.tasks.fail(id, 'too late', { token: claimed!.token })).rejects.toMatchObject({ code: 'LEASE_LOST' });
    await expect(mem.tasks.complete(id, 'too late', { token: claimed!.token })).rejects.toMatchObject({ code: 'LEASE_LOST' });
    await expect(mem.tasks.heartbeat(id, claimed!.token)).rejects.toMatchObject({ code: 'LEASE_LOST' });
    expect(await mem.tasks.get(id)).toMatchObject({ status: 'in_progress', error: undefined, attempts: 1 });
    // The same agent can claim it again (a new attempt, a new token).
    const again = await mem.tasks.claim('a');
    expect(again).toMatchObject({ id, attempts: 2 });
  });

  it('heartbeat extends the lease and returns the new expiry', async () => {
    const clock = new ManualClock();
    const { mem } = await open({ clock: clock.fn });
    const id = await mem.tasks.post({ title: 'long job' });
    const claimed = await mem.tasks.claim('a', { leaseMs: 1000 });
    clock.advance(900);
    expect(await mem.tasks.heartbeat(id, claimed!.token, { leaseMs: 2000 })).toBe(clock.now + 2000);
    clock.advance(1500); // past the original expiry, inside the extended one
    expect(await mem.tasks.claim('b')).toBeNull();
    expect(await mem.tasks.heartbeat(id, claimed!.token)).toBe(clock.now + 30_000);
    expect((await mem.tasks.get(id))?.leaseExpiresAt).toBe(clock.now + 30_000);
    await mem.tasks.complete(id, 'ok', { token: claimed!.token });
    expect((await mem.tasks.get(id))?.status).toBe('completed');
  });

  it('an assigned task is only claimable by its agent', async () => {
    const { mem } = await open();
    const forBob = await mem.tasks.post({ title: 'for bob', assignedTo: 'bob', priority: 10 });
    const open1 = await mem.tasks.post({ title: 'anyone' });
    expect((await mem.tasks.claim('alice'))?.id).toBe(open1);
    expect(await mem.tasks.claim('alice')).toBeNull();
    expect((await mem.tasks.claim('bob'))?.id).toBe(forBob);
  });

  it('claims the highest priority first, then the oldest, then by id', async () => {
    const clock = new ManualClock();
    const { mem } = await open({ clock: clock.fn });
    const low = await mem.tasks.post({ title: 'low', priority: -1 });
    clock.advance(1);
    const normalOld = await mem.tasks.post({ title: 'normal old' });
    clock.advance(1);
    const urgent = await mem.tasks.post({ title: 'urgent', priority: 5 });
    clock.advance(1);
    const normalNew = await mem.tasks.post({ title: 'normal new' });
    const sameMs = await mem.tasks.post({ title: 'normal newest (same ms)' });
    const order: (string | undefined)[] = [];
    for (let i = 0; i < 5; i++) order.push((await mem.tasks.claim('w'))?.id);
    expect(order).toEqual([urgent, normalOld, ...[normalNew, sameMs].sort(), low]);
    expect(await mem.tasks.claim('w')).toBeNull();
  });

  it('fail retries up to maxAttempts, then the task stays failed and is listed', async () => {
    const clock = new ManualClock();
    const { mem } = await open({ clock: clock.fn });
    const id = await mem.tasks.post({ title: 'flaky', maxAttempts: 2 });
    const first = await mem.tasks.claim('a');
    expect(await mem.tasks.fail(id, 'boom 1', { token: first!.token })).toBe('pending');
    expect(await mem.tasks.get(id)).toMatchObject({ status: 'pending', attempts: 1, error: 'boom 1', leaseExpiresAt: undefined });
    await expect(mem.tasks.complete(id, 'x', { token: first!.token })).rejects.toMatchObject({ code: 'LEASE_LOST' });

    const second = await mem.tasks.claim('b');
    expect(second).toMatchObject({ id, attempts: 2 });
    clock.advance(1);
    expect(await mem.tasks.fail(id, 'boom 2', { token: second!.token })).toBe('failed');
    expect(await mem.tasks.get(id)).toMatchObject({ status: 'failed', attempts: 2, error: 'boom 2', updatedAt: clock.now, claimedBy: 'b' });
    expect(await mem.tasks.claim('c')).toBeNull();
    clock.advance(10 * 60_000);
    expect(await mem.tasks.claim('c')).toBeNull();
    expect((await mem.tasks.get(id))?.status).toBe('failed');
    expect((await mem.tasks.list({ status: 'failed' })).map((t) => t.id)).toEqual([id]);
    expect(await mem.tasks.list({ status: 'pending' })).toEqual([]);
  });

  it('a lease that expires on the last attempt fails the task ("lease expired")', async () => {
    const clock = new ManualClock();
    const { mem } = await open({ clock: clock.fn });
    const id = await mem.tasks.post({ title: 'once', maxAttempts: 1 });
    const claimed = await mem.tasks.claim('a', { leaseMs: 1000 });
    clock.advance(2000);
    expect(await mem.tasks.claim('b')).toBeNull();
    expect(await mem.tasks.get(id)).toMatchObject({ status: 'failed', error: 'lease expired', attempts: 1 });
    await expect(mem.tasks.complete(id, 'late', { token: claimed!.token })).rejects.toMatchObject({ code: 'LEASE_LOST' });
    expect((await mem.tasks.list({ status: 'failed' })).map((t) => t.id)).toEqual([id]);
  });

  it('list is newest first, filters by status and honours limit', async () => {
    const clock = new ManualClock();
    const { mem } = await open({ clock: clock.fn });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(await mem.tasks.post({ title: `t${i}` }));
      clock.advance(1);
    }
    expect((await mem.tasks.list()).map((t) => t.id)).toEqual([...ids].reverse());
    expect((await mem.tasks.list({ limit: 2 })).map((t) => t.id)).toEqual([ids[4], ids[3]]);
    const claimed = await mem.tasks.claim('w');
    expect(claimed?.id).toBe(ids[0]);
    await mem.tasks.complete(ids[0]!, 'r', { token: claimed!.token });
    expect((await mem.tasks.list({ status: 'completed' })).map((t) => t.id)).toEqual([ids[0]]);
    expect((await mem.tasks.list({ status: 'pending' })).map((t) => t.id)).toEqual([ids[4], ids[3], ids[2], ids[1]]);
    expect(await mem.tasks.list({ status: 'in_progress' })).toEqual([]);
  });

  it('50 concurrent claims on 20 tasks: 20 distinct tasks, 30 nulls', async () => {
    const { mem } = await open();
    const ids = await postMany(mem, 20);
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => mem.tasks.claim(`agent-${i}`)));
    const claimed = results.filter((r) => r !== null);
    expect(claimed).toHaveLength(20);
    expect(results.filter((r) => r === null)).toHaveLength(30);
    expect(new Set(claimed.map((t) => t.id))).toEqual(new Set(ids));
    expect(new Set(claimed.map((t) => t.token)).size).toBe(20);
    await Promise.all(claimed.map((t) => mem.tasks.complete(t.id, t.claimedBy, { token: t.token })));
    expect(await mem.tasks.list({ status: 'completed' })).toHaveLength(20);
  });

  it('tasks and leases survive a restart', async () => {
    const clock = new ManualClock();
    const inst = await open({ clock: clock.fn });
    const id = await inst.mem.tasks.post({ title: 'durable', description: 'across restarts', priority: 3 });
    const other = await inst.mem.tasks.post({ title: 'second' });
    const claimed = await inst.mem.tasks.claim('a');
    const before = await inst.mem.tasks.get(id);
    const mem = await inst.reopen();
    expect(await mem.tasks.get(id)).toEqual(before);
    expect(await mem.tasks.claim('b')).toMatchObject({ id: other });
    await mem.tasks.complete(id, { after: 'restart' }, { token: claimed!.token });
    expect(await mem.tasks.get(id)).toMatchObject({ status: 'completed', result: { after: 'restart' } });
  });

  itIf(
    'multiProcess',
    'MULTI-PROCESS: two OS processes claiming from one store never double-claim and drain the queue',
    async () => {
      const inst = await open();
      const posted = await postMany(inst.mem, 400, 'mp');
      // Close the parent so it does not hold the database (and flushes the per-database audit anchor).
      await inst.mem.close();

      const workers = ['proc-a', 'proc-b'].map((name) => startClaimWorker(inst.config, name, inst.env, cell.childModules));
      await Promise.all(workers.map((w) => w.ready));
      for (const w of workers) w.go();
      const [a, b] = await Promise.all(workers.map((w) => w.done));

      const all = [...a!, ...b!];
      expect(new Set(all).size).toBe(all.length); // nobody claimed a task twice
      expect(new Set(all)).toEqual(new Set(posted)); // together they claimed every task
      expect(a!.length).toBeGreaterThan(0); // both processes really took part
      expect(b!.length).toBeGreaterThan(0);

      const mem = await inst.reopen(); // also verifies the audit chain both processes appended to
      const done = await mem.tasks.list({ status: 'completed', limit: 1000 });
      expect(done).toHaveLength(400);
      const byWorker = new Map(done.map((t) => [t.id, t.claimedBy]));
      for (const id of a!) expect(byWorker.get(id)).toBe('proc-a');
      for (const id of b!) expect(byWorker.get(id)).toBe('proc-b');
      expect(done.every((t) => t.attempts === 1)).toBe(true);
      expect(done.every((t) => (t.result as { worker: string }).worker === t.claimedBy)).toBe(true);
      expect((await mem.audit.verify()).ok).toBe(true);
    },
    120_000,
  );
});
