/**
 * Register the jsonfile backend, open memstrate with `semantic_backend = "jsonfile"`, remember,
 * recall, close. Run it from the repository root: `npx tsx examples/memstrate-backend-jsonfile/examples/basic-usage.ts`
 * (out of tree: `npm run example`).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemorySubstrate, registerBackend } from 'memstrate';
import { jsonfileBackend } from '../src/index.js'; // out of tree: from 'memstrate-backend-jsonfile'

// 1. Register the backend once per process (or: import 'memstrate-backend-jsonfile/register').
registerBackend(jsonfileBackend);

const dir = mkdtempSync(join(tmpdir(), 'jsonfile-example-'));
const configPath = join(dir, 'memory.config.toml');
const memoriesPath = join(dir, 'memories.json');

// 2. Configure it like any backend: its options are the [memory.jsonfile] table.
writeFileSync(
  configPath,
  `[memory]
backend = "sqlite"
semantic_backend = "jsonfile"
embedding_provider = "hash"   # offline, deterministic; use "openai" for real embeddings
embedding_dimensions = 64

[memory.sqlite]
path = ${JSON.stringify(join(dir, 'memstrate.db'))}

[memory.jsonfile]
path = ${JSON.stringify(memoriesPath)}
`,
);

// 3. Open, remember, recall, close.
const mem = await MemorySubstrate.open(configPath, { env: {} });
try {
  await mem.remember({ agentId: 'agent-1', content: 'The red bicycle is in the garage', metadata: { room: 'garage' } });
  await mem.remember({ agentId: 'agent-1', content: 'Stock prices fell sharply today', source: 'document' });
  await mem.remember({ agentId: 'agent-1', content: 'The bicycle needs new brakes' });

  console.log(`semantic backend: ${mem.info.semanticBackend}`, mem.info.capabilities.semantic);
  for (const hit of await mem.recall({ agentId: 'agent-1', text: 'where is the bicycle?', limit: 3 })) {
    console.log(`${hit.matchedBy.padEnd(7)} ${hit.score.toFixed(4)}  ${hit.memory.content}`);
  }
  const keyword = await mem.recall({ agentId: 'agent-1', text: 'brakes', mode: 'keyword' });
  console.log('keyword "brakes":', keyword.map((r) => r.memory.content));
} finally {
  await mem.close();
}

const file = JSON.parse(readFileSync(memoriesPath, 'utf8')) as { vectorSpace: unknown; memories: unknown[] };
console.log(`${memoriesPath}: ${file.memories.length} memories, vector space ${JSON.stringify(file.vectorSpace)}`);
rmSync(dir, { recursive: true, force: true });
