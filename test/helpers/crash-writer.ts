/**
 * Child process for kill -9 cycles: opens the substrate named by the JSON config in argv[2] and
 * writes as fast as it can — a KV set, a session create and a memory per step — printing
 * `ack <step>` after each step is acknowledged, until it is killed.
 */
import { MemorySubstrate, type MemoryConfigInput } from '../../src/index.js';

const config = JSON.parse(process.argv[2] ?? '{}') as MemoryConfigInput;
const prefix = process.argv[3] ?? 'c';
const mem = await MemorySubstrate.open(config, { env: {} });
process.stdout.write('ready\n');
for (let step = 0; ; step++) {
  const key = `${prefix}-${step}`;
  await mem.structured.set('crash-agent', key, { step });
  await mem.sessions.create('crash-agent', { label: key });
  await mem.semantic.remember({ agentId: 'crash-agent', content: `crash memory ${key}` });
  process.stdout.write(`ack ${key}\n`);
}
