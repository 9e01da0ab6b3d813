/**
 * A child process for the PostgreSQL concurrency tests (test/postgres/):
 *
 *   node --import tsx test/helpers/pg-worker.ts <mode> <configJson> <workerName> [count]
 *
 * It prints `ready`, waits for a `go` line on stdin (so every worker starts the measured part at the
 * same moment), then:
 * - `open`: opens the substrate (on an empty schema, all workers migrate at once), prints
 *   `version <schemaVersion>`, closes;
 * - `audit`: opens the substrate (before `ready`), appends `count` audit entries as agent
 *   `<workerName>`, prints `appended <n>`, closes.
 * Exits 0 on success; on error prints the error code and message to stderr and exits 1.
 */
import { MemorySubstrate, type MemoryConfigInput } from '../../src/index.js';
import { waitForGo } from '../../src/testing/wait-for-go.js';

async function main(): Promise<void> {
  const [mode, configJson, worker, countText] = process.argv.slice(2);
  if (!mode || !configJson || !worker) throw new Error('usage: pg-worker.ts <open|audit> <configJson> <workerName> [count]');
  const config = JSON.parse(configJson) as MemoryConfigInput;
  if (mode === 'open') {
    process.stdout.write('ready\n');
    await waitForGo();
    const mem = await MemorySubstrate.open(config, { env: {} });
    process.stdout.write(`version ${mem.info.schemaVersion}\n`);
    await mem.close();
    return;
  }
  if (mode === 'audit') {
    const count = Number(countText ?? '1000');
    const mem = await MemorySubstrate.open(config, { env: {} });
    try {
      process.stdout.write('ready\n');
      await waitForGo();
      for (let i = 0; i < count; i++) {
        await mem.audit.append({ agentId: worker, action: 'ToolInvoke', detail: `${worker} call ${i}`, outcome: 'ok' });
      }
      process.stdout.write(`appended ${count}\n`);
    } finally {
      await mem.close();
    }
    return;
  }
  throw new Error(`unknown mode ${mode}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    const e = error as { code?: string; message?: string };
    process.stderr.write(`pg-worker failed: ${e.code ?? ''} ${e.message ?? String(error)}\n`);
    process.exit(1);
  },
);
