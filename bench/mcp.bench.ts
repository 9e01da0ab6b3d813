/**
 * mcp — the MCP `recall` tool's round trip against `mem.semantic.recall` in-process, on the same
 * data, in the same run (keyword recall: the default configuration has no embedder):
 *   - over stdio: the SDK's StdioClientTransport spawning `memstrate mcp --agent …` (a child
 *     process, on a byte-for-byte copy of the SQLite file, as the gateway bench does: a second
 *     process writing access bumps into the same file would invalidate the other's page cache);
 *   - over HTTP: the SDK's StreamableHTTPClientTransport to `POST /mcp` of createGateway() in the
 *     benchmark process, on the same substrate (client and server share one event loop; stateless
 *     endpoint: a server and a transport per request).
 * Every path must return the same ids for every query.
 *
 * Env: BENCH_MCP_N (memories, default 10000), BENCH_QUERIES (50), BENCH_RUNS (5).
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { MemorySubstrate } from '../src/index.js';
import { createGateway } from '../src/server/app.js';
import { makeTexts, queryTerms, Vocabulary } from './data.js';
import { compareLatency, engineDescription, envInt, progress, Rng, RUNS, tempDir, type BenchResult } from './lib.js';

const AGENT = 'bench-agent';
const K = 10;
const BATCH = 1000;
const ROOT = fileURLToPath(new URL('..', import.meta.url));

export async function mcp(results: BenchResult[]): Promise<void> {
  const n = envInt('BENCH_MCP_N', 10_000);
  const nq = envInt('BENCH_QUERIES', 50, 20);
  const runs = RUNS();
  const started = performance.now();
  const sdk = (JSON.parse(readFileSync(`${ROOT}/node_modules/@modelcontextprotocol/sdk/package.json`, 'utf8')) as { version: string }).version;
  const inProcessEngine = `in-process mem.semantic.recall: ${engineDescription()}`;
  const stdioEngine = `MCP SDK ${sdk} client → StdioClientTransport → \`memstrate mcp\` child process → a copy of the SQLite file`;
  const httpEngine = `MCP SDK ${sdk} client → StreamableHTTPClientTransport → POST /mcp of createGateway() in the benchmark process → the same substrate`;
  console.log(`mcp: ${n} memories, ${nq} queries, keyword recall, k=${K}, ${runs} runs`);
  console.log(`  engines: ${inProcessEngine}\n           ${stdioEngine}\n           ${httpEngine}`);

  const vocab = new Vocabulary(20_000, 3);
  const { texts, ranks } = makeTexts(vocab, n, 4);
  const { dir, cleanup } = tempDir('mcp');
  const token = randomBytes(24).toString('base64url');
  const storeConfig = { sqlitePath: `${dir}/mcp.db`, auditAnchorPath: `${dir}/mcp.anchor` };
  let store = await MemorySubstrate.open(storeConfig, { env: {} });
  let stdio: Client | undefined;
  let http: Client | undefined;
  let app: ReturnType<typeof createGateway> | undefined;
  try {
    for (let start = 0; start < n; start += BATCH) {
      await store.semantic.rememberMany(texts.slice(start, start + BATCH).map((content) => ({ agentId: AGENT, content })));
    }
    progress(started, 'data loaded in-process');

    await store.close();
    const childConfig = { sqlitePath: `${dir}/child.db`, auditAnchorPath: `${dir}/child.anchor` };
    copyFileSync(storeConfig.sqlitePath, childConfig.sqlitePath);
    if (existsSync(storeConfig.auditAnchorPath)) copyFileSync(storeConfig.auditAnchorPath, childConfig.auditAnchorPath);
    store = await MemorySubstrate.open(storeConfig, { env: {} });
    writeFileSync(`${dir}/child.toml`, `[memory]\nsqlite_path = ${JSON.stringify(childConfig.sqlitePath)}\naudit_anchor_path = ${JSON.stringify(childConfig.auditAnchorPath)}\n`);
    const env = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => !k.startsWith('MEMSTRATE_') && v !== undefined)) as Record<string, string>;
    stdio = new Client({ name: 'memstrate-bench', version: '1.0.0' });
    await stdio.connect(new StdioClientTransport({ command: process.execPath, args: ['--import', 'tsx', 'src/cli/main.ts', '--config', `${dir}/child.toml`, 'mcp', '--agent', AGENT], cwd: ROOT, env, stderr: 'pipe' }));

    app = createGateway(store, { token });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as { port: number }).port;
    http = new Client({ name: 'memstrate-bench', version: '1.0.0' });
    await http.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}`, 'x-memstrate-agent': AGENT } } }));
    progress(started, 'MCP clients connected (stdio child, HTTP in-process gateway)');

    const trng = new Rng(5);
    const qtext = Array.from({ length: nq }, (_, q) => queryTerms(vocab, ranks[(q * 7) % n] as Uint16Array, trng));
    const local = (q: number) => store.semantic.recall({ agentId: AGENT, text: qtext[q] as string, mode: 'keyword', limit: K });
    const viaMcp = async (client: Client, q: number): Promise<string[]> => {
      const r = (await client.callTool({ name: 'recall', arguments: { query: qtext[q] as string, mode: 'keyword', limit: K } })) as { isError?: boolean; content: { text: string }[] };
      if (r.isError) throw new Error(`MCP recall failed: ${r.content[0]?.text}`);
      return (JSON.parse(r.content[0]?.text as string) as { id: string }[]).map((m) => m.id);
    };

    let mismatches = 0;
    for (let q = 0; q < nq; q++) {
      const ids = (await local(q)).map((r) => r.memory.id).join();
      if ((await viaMcp(stdio, q)).join() !== ids) mismatches++;
      if ((await viaMcp(http, q)).join() !== ids) mismatches++;
    }
    if (mismatches > 0) throw new Error(`an MCP path returned other results than in-process for ${mismatches} queries`);
    progress(started, `same ids on every path for all ${nq} queries`);

    const [s, h] = [stdio, http];
    const stats = await compareLatency(
      [
        { name: 'in-process', op: (q) => local(q) },
        { name: 'mcp stdio', op: (q) => viaMcp(s, q) },
        { name: 'mcp http', op: (q) => viaMcp(h, q) },
      ],
      { count: nq, runs, warmup: 1 },
    );
    progress(started, 'timed');
    for (const [name, st] of stats) {
      console.log(`    ${name.padEnd(12)} p50 ${st.p50.toFixed(2)} ms  p95 ${st.p95.toFixed(2)} ms  mean ${st.mean.toFixed(2)} ms  spread ${(st.spread * 100).toFixed(0)} %`);
    }
    const get = (name: string) => stats.get(name) as NonNullable<ReturnType<typeof stats.get>>;
    const base = get('in-process');
    const size = `${n / 1000}k`;
    for (const [name, label, engine] of [['mcp stdio', 'MCP stdio', stdioEngine], ['mcp http', 'MCP HTTP', httpEngine]] as const) {
      const wire = get(name);
      const full = `${engine}; baseline ${inProcessEngine}`;
      results.push(
        { bench: 'mcp', metric: `keyword recall p50 via ${label} (${size})`, measured: wire.p50, unit: 'ms', baseline: { name: 'in-process recall p50', value: base.p50 }, engine: full },
        { bench: 'mcp', metric: `keyword recall p95 via ${label} (${size})`, measured: wire.p95, unit: 'ms', baseline: { name: 'in-process recall p95', value: base.p95 }, engine: full },
        { bench: 'mcp', metric: `recall p50 overhead, ${label} − in-process`, measured: wire.p50 - base.p50, unit: 'ms', engine: full, note: `in-process p50 ${base.p50.toFixed(2)} ms` },
      );
    }
  } finally {
    await stdio?.close().catch(() => {});
    await http?.close().catch(() => {});
    await app?.close();
    await store.close();
    cleanup();
  }
}
