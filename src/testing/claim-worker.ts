/**
 * A task-queue worker run as a separate OS process by the multi-process claim test:
 *
 *   node [--import tsx] claim-worker.{ts,js} <configJson> <workerName> [<envJson> [<modulesJson>]]
 *
 * It first imports each module of `modulesJson` (file URLs: plugin registrations the global registry
 * lacks), then opens the same store as the parent (the cell's config, as JSON) with its own
 * MemorySubstrate, prints `ready`, waits for a `go` line on stdin (so every worker has finished
 * opening — and verifying the audit chain — before any of them writes), then loops claim → complete
 * until claim returns null, printing each claimed task id on its own line (with a millisecond of
 * "work" between claim and complete). Exits 0 on success; on
 * error prints the error code/message to stderr and exits 1.
 */
import { MemorySubstrate, type MemoryConfigInput } from '../index.js';
import { waitForGo } from './wait-for-go.js';

async function main(): Promise<void> {
  const [configJson, worker, envJson, modulesJson] = process.argv.slice(2);
  if (!configJson || !worker) throw new Error('usage: claim-worker <configJson> <workerName> [<envJson> [<modulesJson>]]');
  const env = envJson ? (JSON.parse(envJson) as NodeJS.ProcessEnv) : {};
  for (const module of modulesJson ? (JSON.parse(modulesJson) as string[]) : []) await import(module);
  const mem = await MemorySubstrate.open(JSON.parse(configJson) as MemoryConfigInput, { env });
  try {
    process.stdout.write('ready\n');
    await waitForGo();
    for (;;) {
      const task = await mem.tasks.claim(worker, { leaseMs: 120_000 });
      if (task === null) break;
      process.stdout.write(`${task.id}\n`);
      // The task's "work": a millisecond holding the lease but no database lock. Without it one
      // process can hold SQLite's write lock almost without a gap, and the other's busy handler,
      // polling on its own backoff, may not get in before the queue is empty (SQLite promises no
      // fairness) — the test would then prove nothing about two processes racing.
      await new Promise((resolve) => setTimeout(resolve, 1));
      await mem.tasks.complete(task.id, { worker }, { token: task.token });
    }
  } finally {
    await mem.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    const e = error as { code?: string; message?: string };
    process.stderr.write(`claim-worker failed: ${e.code ?? ''} ${e.message ?? String(error)}\n`);
    process.exit(1);
  },
);
