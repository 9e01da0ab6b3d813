/**
 * Concurrency on the real PostgreSQL server: 8 connections draining one task queue, 4 OS processes
 * appending to one audit chain, 4 OS processes migrating an empty schema at once.
 */
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MemorySubstrate, type AuditEntry, type MemoryConfigInput } from '../../src/index.js';
import { ManualClock } from '../../src/testing/clock.js';
import { withPgClient } from '../harness/pg-tools.js';
import { freshConfig, useCleanups } from './fixture.js';

const MAIN_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const WORKER = join(MAIN_DIR, 'test/helpers/pg-worker.ts');

const cleanups = { push: useCleanups() };

interface Worker {
  ready: Promise<void>;
  go(): void;
  done: Promise<string[]>;
}

function startWorker(mode: 'open' | 'audit', config: MemoryConfigInput, name: string, count?: number): Worker {
  const args = ['--import', 'tsx', WORKER, mode, JSON.stringify(config), name, ...(count === undefined ? [] : [String(count)])];
  const child = spawn(process.execPath, args, { cwd: MAIN_DIR, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let markReady!: () => void;
  const ready = new Promise<void>((r) => {
    markReady = r;
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line === 'ready') markReady();
    else if (line.length > 0) lines.push(line);
  });
  const done = new Promise<string[]>((resolveDone, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      markReady();
      if (code === 0) resolveDone(lines);
      else reject(new Error(`worker ${name} exited with ${code}: ${stderr}`));
    });
  });
  return { ready, go: () => child.stdin.end('go\n'), done };
}

/** Every audit entry in seq order (paged). */
async function allEntries(mem: MemorySubstrate): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for (;;) {
    const page = await mem.audit.entries({ after: out.at(-1)?.seq ?? 0, limit: 10_000 });
    if (page.length === 0) return out;
    out.push(...page);
  }
}

interface ClaimRecord {
  taskId: string;
  worker: string;
  token: string;
  claimedAt: number;
  expiresAt: number;
  /** When the lease ended: completion time, or expiry for an abandoned claim. */
  endedAt: number;
  abandoned: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('PostgreSQL concurrency (real server)', () => {
  it(
    '8 connections × 2,000 tasks: 0 claimed twice, 0 lost, 0 overlapping leases; abandoned leases are re-claimed and fenced',
    async () => {
      const TASKS = 2000;
      const WORKERS = 8;
      const LEASE_MS = 60_000;
      // Leases are timed by one manual clock shared by every substrate: it stands still while the
      // workers drain the queue, so no healthy lease can expire however slow the machine is, and it
      // moves only when the test makes the abandoned leases expire (below). The 8 connections still
      // race for every claim in real time.
      const clock = new ManualClock();
      const config = freshConfig();
      const admin = await MemorySubstrate.open({ ...config, postgresPoolSize: 8 }, { env: {}, clock: clock.fn });
      cleanups.push(() => admin.close());
      // Every 100th task stalls: its first claimer abandons it, so it must be re-claimed after expiry.
      const stalled = new Set<string>();
      for (let start = 0; start < TASKS; start += 200) {
        const ids = await Promise.all(
          Array.from({ length: Math.min(200, TASKS - start) }, (_, j) => {
            const i = start + j;
            return admin.tasks.post({ title: i % 100 === 0 ? `stall ${i}` : `task ${i}`, priority: i % 5 });
          }),
        );
        ids.forEach((id, j) => {
          if ((start + j) % 100 === 0) stalled.add(id);
        });
      }

      // 8 substrates with one connection each: 8 connections compete for every claim.
      const workers = await Promise.all(
        Array.from({ length: WORKERS }, async () => {
          const mem = await MemorySubstrate.open({ ...config, postgresPoolSize: 1 }, { env: {}, clock: clock.fn });
          cleanups.push(() => mem.close());
          return mem;
        }),
      );
      const claims: ClaimRecord[] = [];
      const staleCompletes: { taskId: string; code: unknown }[] = [];
      let completed = 0;
      /** Workers inside claim() or holding a lease they will complete. */
      let busy = 0;
      let expiries = 0;
      await Promise.all(
        workers.map(async (mem, w) => {
          const worker = `worker-${w}`;
          while (completed < TASKS) {
            busy++;
            const task = await mem.tasks.claim(worker, { leaseMs: LEASE_MS });
            if (task === null) {
              busy--;
              // Only abandoned tasks with live leases are left. With no worker claiming or holding a
              // lease, moving the clock past a lease cannot cut a healthy one short: expire them.
              if (busy === 0 && completed < TASKS) {
                clock.advance(LEASE_MS + 1);
                expiries++;
              } else await sleep(50);
              continue;
            }
            const record: ClaimRecord = {
              taskId: task.id,
              worker,
              token: task.token,
              claimedAt: task.leaseExpiresAt - LEASE_MS,
              expiresAt: task.leaseExpiresAt,
              endedAt: task.leaseExpiresAt,
              abandoned: false,
            };
            claims.push(record);
            if (task.title.startsWith('stall') && task.attempts === 1) {
              record.abandoned = true;
              busy--;
              // Come back after the task was re-claimed: the stale token must be fenced off.
              void (async () => {
                while ((await mem.tasks.get(task.id))?.status !== 'completed') await sleep(100);
                const code = await mem.tasks.complete(task.id, { stale: true }, { token: task.token }).then(
                  () => 'OK',
                  (e: { code?: unknown }) => e.code,
                );
                staleCompletes.push({ taskId: task.id, code });
              })();
              continue;
            }
            await mem.tasks.complete(task.id, { worker }, { token: task.token });
            record.endedAt = clock.now;
            completed++;
            busy--;
          }
        }),
      );
      while (staleCompletes.length < stalled.size) await sleep(50);

      // Every task completed exactly once, by the worker whose claim it completed.
      const rows = (await withPgClient(config.postgresSchema, async (c) => (await c.query('select id, status, attempts, claimed_by, result from tasks')).rows)) as {
        id: string;
        status: string;
        attempts: number;
        claimed_by: string;
        result: string;
      }[];
      expect(rows).toHaveLength(TASKS);
      expect(rows.filter((r) => r.status !== 'completed')).toEqual([]);
      for (const r of rows) {
        expect(r.attempts).toBe(stalled.has(r.id) ? 2 : 1);
        expect(JSON.parse(r.result)).toEqual({ worker: r.claimed_by });
      }
      // 0 lost, 0 claimed twice (beyond the one re-claim of each abandoned lease).
      const byTask = new Map<string, ClaimRecord[]>();
      for (const c of claims) byTask.set(c.taskId, [...(byTask.get(c.taskId) ?? []), c]);
      expect(byTask.size).toBe(TASKS);
      for (const [id, list] of byTask) {
        expect(list).toHaveLength(stalled.has(id) ? 2 : 1);
        expect(new Set(list.map((c) => c.token)).size).toBe(list.length);
      }
      expect(claims.filter((c) => !c.abandoned)).toHaveLength(TASKS);
      // 0 overlapping leases: a task is re-claimed only after the previous lease ended.
      let overlaps = 0;
      for (const list of byTask.values()) {
        const sorted = [...list].sort((a, b) => a.claimedAt - b.claimedAt);
        for (let i = 1; i < sorted.length; i++) if ((sorted[i] as ClaimRecord).claimedAt < (sorted[i - 1] as ClaimRecord).endedAt) overlaps++;
      }
      expect(overlaps).toBe(0);
      // The abandoned leases expired because the test moved the clock, not because the machine was slow.
      expect(expiries).toBeGreaterThanOrEqual(1);
      // Every stale token was fenced off.
      expect(staleCompletes.map((s) => s.code)).toEqual(staleCompletes.map(() => 'LEASE_LOST'));
      // All 8 connections took part, and the audit chain every worker appended to holds.
      expect(new Set(claims.map((c) => c.worker)).size).toBe(WORKERS);
      const report = await admin.audit.verify();
      expect(report.ok).toBe(true);
      expect(report.entries).toBe(TASKS + claims.length + TASKS);
    },
    120_000,
  );

  it(
    '4 OS processes × 1,000 audit appends: one chain, verified, seq 1..4000, no fork',
    async () => {
      const config = freshConfig();
      // Create the schema first so the workers' opens do not race on first-boot migrations here.
      const parent = await MemorySubstrate.open(config, { env: {} });
      await parent.close();
      const workers = ['proc-a', 'proc-b', 'proc-c', 'proc-d'].map((name) => startWorker('audit', config, name, 1000));
      await Promise.all(workers.map((w) => w.ready));
      for (const w of workers) w.go();
      const outputs = await Promise.all(workers.map((w) => w.done));
      expect(outputs).toEqual(workers.map(() => ['appended 1000']));

      const mem = await MemorySubstrate.open(config, { env: {} }); // verifies the chain and the anchor on open
      cleanups.push(() => mem.close());
      expect(await mem.audit.verify()).toMatchObject({ ok: true, entries: 4000 });
      const entries = await allEntries(mem);
      expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 4000 }, (_, i) => i + 1));
      expect(new Set(entries.map((e) => e.prevHash)).size).toBe(4000);
      for (let i = 1; i < entries.length; i++) expect((entries[i] as AuditEntry).prevHash).toBe((entries[i - 1] as AuditEntry).hash);
      const perWorker = new Map<string, number>();
      for (const e of entries) perWorker.set(e.agentId, (perWorker.get(e.agentId) ?? 0) + 1);
      expect(Object.fromEntries(perWorker)).toEqual({ 'proc-a': 1000, 'proc-b': 1000, 'proc-c': 1000, 'proc-d': 1000 });
      // The appends really interleaved (the lock serialised them, it did not run them one process after another).
      const switches = entries.filter((e, i) => i > 0 && e.agentId !== (entries[i - 1] as AuditEntry).agentId).length;
      expect(switches).toBeGreaterThan(3);
    },
    120_000,
  );

  it(
    'concurrent first-boot migrations: 4 processes opening an empty schema all succeed; each migration is recorded once',
    async () => {
      const config = freshConfig();
      // Each process has its own semantic file and anchor: only the PostgreSQL schema is shared.
      const workers = [1, 2, 3, 4].map((i) =>
        startWorker('open', { ...config, sqlitePath: `${config.sqlitePath}.${i}`, auditAnchorPath: `${config.auditAnchorPath}.${i}` }, `opener-${i}`),
      );
      await Promise.all(workers.map((w) => w.ready));
      for (const w of workers) w.go();
      const outputs = await Promise.all(workers.map((w) => w.done));
      expect(outputs).toEqual(workers.map(() => ['version 0010_keyword_counts']));
      const migrations = await withPgClient(config.postgresSchema, async (c) =>
        (await c.query('select name, count(*) as n from kysely_migration group by name order by name')).rows,
      );
      expect(migrations).toEqual([
        { name: '0001_core', n: 1 },
        { name: '0002_semantic', n: 1 },
        { name: '0003_task_payload', n: 1 },
        { name: '0004_kv_expiry', n: 1 },
        { name: '0005_graph', n: 1 },
        { name: '0006_memory_keys', n: 1 },
        { name: '0007_memory_list', n: 1 },
        { name: '0008_keyword_terms', n: 1 },
        { name: '0009_langgraph_checkpoints', n: 1 },
        { name: '0010_keyword_counts', n: 1 },
      ]);
      const mem = await MemorySubstrate.open(config, { env: {} });
      cleanups.push(() => mem.close());
      expect(await mem.structured.set('agent', 'k', 1)).toBe(1);
    },
    60_000,
  );
});
