/**
 * A task-queue worker run as a separate OS process by the multi-process claim test:
 *
 *   node --import tsx test/helpers/claim-worker.ts <configJson> <workerName> [<envJson>]
 *
 * It opens the same store as the parent (the cell's config, as JSON) with its own MemorySubstrate, prints `ready`, waits for a `go` line on
 * stdin (so every worker has finished opening — and verifying the audit chain — before any of them
 * writes), then loops claim → complete until claim returns null, printing each claimed task id on
 * its own line. Exits 0 on success; on error prints the error code/message to stderr and exits 1.
 */
import { MemorySubstrate, type MemoryConfigInput } from '../../src/index.js';
import { waitForGo } from './wait-for-go.js';

async function main(): Promise<void> {
  const [configJson, worker, envJson] = process.argv.slice(2);
  if (!configJson || !worker) throw new Error('usage: claim-worker.ts <configJson> <workerName> [<envJson>]');
  const env = envJson ? (JSON.parse(envJson) as NodeJS.ProcessEnv) : {};
  const mem = await MemorySubstrate.open(JSON.parse(configJson) as MemoryConfigInput, { env });
  try {
    process.stdout.write('ready\n');
    await waitForGo();
    for (;;) {
      const task = await mem.tasks.claim(worker, { leaseMs: 120_000 });
      if (task === null) break;
      process.stdout.write(`${task.id}\n`);
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
