import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, describe, expect, it } from 'vitest';
import { MemorySubstrate } from '../../src/index.js';
import { startGateway } from '../server/fixture.js';

/**
 * memstrate's knowledge-graph MCP tools against the reference server they replace,
 * @modelcontextprotocol/server-memory (spawned over stdio with the SDK's StdioClientTransport on a
 * temp MEMORY_FILE_PATH): one operation script — entities and relations with duplicates, types
 * with spaces and non-ASCII, observations added and deleted, an unknown entity, deletes with their
 * cascade, search, open, read — is run against the reference, against `memstrate mcp` over stdio
 * and against `/mcp` on the real gateway over Streamable HTTP, and every result must be the same:
 * the text content byte for byte, the structuredContent, and isError. Nothing is normalised: the
 * reference keeps insertion order and memstrate lists in creation order, which is the same order.
 */
const ROOT = resolve(import.meta.dirname, '..', '..');
const REFERENCE = createRequire(import.meta.url).resolve('@modelcontextprotocol/server-memory/dist/index.js');
const dir = mkdtempSync(join(tmpdir(), 'memstrate-mcp-graph-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Step {
  tool: string;
  args: Record<string, unknown>;
}

/** The script: each step is called on every server in turn and their results compared. */
const SCRIPT: Step[] = [
  { tool: 'read_graph', args: {} },
  {
    tool: 'create_entities',
    args: {
      entities: [
        { name: 'Ada', entityType: 'person', observations: ['writes code', 'lives in London'] },
        { name: 'Acme', entityType: 'organization', observations: [] },
        { name: 'Rust', entityType: 'programming language', observations: ['memory safe'] },
        { name: 'Zoë', entityType: 'Persön', observations: ['likes Rust'] },
      ],
    },
  },
  // Duplicates: an existing name (even with another type) is skipped; only Loom is new.
  { tool: 'create_entities', args: { entities: [{ name: 'Ada', entityType: 'robot', observations: ['beep'] }, { name: 'Loom', entityType: 'tool', observations: ['weaves'] }, { name: 'Acme', entityType: 'organization', observations: [] }] } },
  { tool: 'create_entities', args: { entities: [] } },
  {
    tool: 'create_relations',
    args: {
      relations: [
        { from: 'Ada', to: 'Acme', relationType: 'works_at' },
        { from: 'Ada', to: 'Rust', relationType: 'knows about' },
        { from: 'Acme', to: 'Loom', relationType: 'uses' },
        { from: 'Zoë', to: 'Ada', relationType: 'mentors' },
      ],
    },
  },
  // Duplicates skipped; the same endpoints with another type are a new relation.
  { tool: 'create_relations', args: { relations: [{ from: 'Ada', to: 'Acme', relationType: 'works_at' }, { from: 'Loom', to: 'Rust', relationType: 'depends on' }, { from: 'Ada', to: 'Acme', relationType: 'founded' }] } },
  { tool: 'add_observations', args: { observations: [{ entityName: 'Ada', contents: ['likes tea', 'writes code'] }, { entityName: 'Rust', contents: ['fast'] }] } },
  // An unknown entity is an error, and nothing of the call is applied (Acme gets no 'big').
  { tool: 'add_observations', args: { observations: [{ entityName: 'Acme', contents: ['big'] }, { entityName: 'Nobody', contents: ['x'] }] } },
  { tool: 'open_nodes', args: { names: ['Acme'] } },
  { tool: 'search_nodes', args: { query: 'RUST' } },
  { tool: 'search_nodes', args: { query: 'tea' } },
  { tool: 'search_nodes', args: { query: 'organization' } },
  { tool: 'search_nodes', args: { query: 'persön' } },
  { tool: 'search_nodes', args: { query: 'no such thing' } },
  { tool: 'open_nodes', args: { names: ['Ada', 'Nobody'] } },
  { tool: 'open_nodes', args: { names: ['Loom', 'Rust'] } },
  { tool: 'open_nodes', args: { names: [] } },
  { tool: 'read_graph', args: {} },
  { tool: 'delete_observations', args: { deletions: [{ entityName: 'Ada', observations: ['likes tea', 'never said'] }, { entityName: 'Nobody', observations: ['x'] }] } },
  { tool: 'delete_relations', args: { relations: [{ from: 'Acme', to: 'Loom', relationType: 'uses' }, { from: 'Nobody', to: 'Ada', relationType: 'knows' }] } },
  { tool: 'read_graph', args: {} },
  // Deleting Rust removes every relation touching it; an unknown name is ignored.
  { tool: 'delete_entities', args: { entityNames: ['Rust', 'Nobody'] } },
  { tool: 'read_graph', args: {} },
  { tool: 'search_nodes', args: { query: 'a' } },
  // Re-creating a deleted name works, and lands at the end.
  { tool: 'create_entities', args: { entities: [{ name: 'Rust', entityType: 'programming language', observations: [] }] } },
  { tool: 'delete_entities', args: { entityNames: ['Loom'] } },
  { tool: 'read_graph', args: {} },
  // Bad input: an error on both (a missing field).
  { tool: 'create_entities', args: { entities: [{ name: 'NoType', observations: [] }] } },
  { tool: 'read_graph', args: {} },
];

type ToolResult = { isError?: boolean; content: { type: string; text: string }[]; structuredContent?: unknown };

const env = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => !k.startsWith('MEMSTRATE_') && !k.startsWith('MEMORY_') && v !== undefined)) as Record<string, string>;

async function stdioClient(command: string, args: string[], extraEnv: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 'memstrate-compat', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command, args, cwd: ROOT, env: { ...env, ...extraEnv }, stderr: 'pipe' }));
  return client;
}

describe('knowledge-graph tools: memstrate vs @modelcontextprotocol/server-memory', () => {
  it('the same script gives the same results over stdio and over HTTP as the reference server', async () => {
    const reference = await stdioClient(process.execPath, [REFERENCE], { MEMORY_FILE_PATH: join(dir, 'reference.jsonl') });
    const config = join(dir, 'memory.config.toml');
    writeFileSync(config, `[memory]\nsqlite_path = ${JSON.stringify(join(dir, 'mem.db'))}\n`);
    const stdio = await stdioClient(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--config', config, 'mcp', '--agent', 'ada']);
    const gw = await startGateway({ tokens: [{ name: 'a', token: 'compat-token-a', agents: ['agent-http'], scopes: ['read', 'write'] }] });
    const http = new Client({ name: 'memstrate-compat', version: '1.0.0' });
    await http.connect(new StreamableHTTPClientTransport(new URL(`${gw.base}/mcp`), { requestInit: { headers: { authorization: 'Bearer compat-token-a' } } }));
    try {
      // The same tool names, input schemas (property names and required ones) and output schemas.
      const shape = async (c: Client) =>
        Object.fromEntries(
          (await c.listTools()).tools
            .filter((t) => SCRIPT.some((s) => s.tool === t.name))
            .map((t) => [t.name, { input: Object.keys(t.inputSchema.properties ?? {}), required: t.inputSchema.required ?? [], output: Object.keys(t.outputSchema?.properties ?? {}), annotations: t.annotations, title: t.title, description: t.description }]),
        );
      const referenceShape = await shape(reference);
      expect(Object.keys(referenceShape).sort()).toEqual(['add_observations', 'create_entities', 'create_relations', 'delete_entities', 'delete_observations', 'delete_relations', 'open_nodes', 'read_graph', 'search_nodes']);
      expect(await shape(stdio)).toEqual(referenceShape);
      expect(await shape(http)).toEqual(referenceShape);

      for (const [i, step] of SCRIPT.entries()) {
        const label = `step ${i} ${step.tool} ${JSON.stringify(step.args).slice(0, 100)}`;
        const expected = (await reference.callTool({ name: step.tool, arguments: step.args })) as ToolResult;
        for (const [name, client] of [['stdio', stdio], ['http', http]] as const) {
          const got = (await client.callTool({ name: step.tool, arguments: step.args })) as ToolResult;
          expect(got.isError ?? false, `${label} (${name}): isError; got ${got.content[0]?.text}`).toBe(expected.isError ?? false);
          if (expected.isError) continue;
          expect(got.content, `${label} (${name})`).toEqual(expected.content);
          expect(got.structuredContent, `${label} (${name})`).toEqual(expected.structuredContent);
        }
      }
    } finally {
      await Promise.all([reference.close(), stdio.close(), http.close()]);
    }

    // Each memstrate mutation that changed something left one audit entry on its agent.
    const mem = await MemorySubstrate.open(config, { env: {} });
    try {
      const actions = (await mem.audit.entries({ limit: 100 })).filter((e) => e.agentId === 'ada').map((e) => e.action);
      expect(actions).toEqual([
        'knowledge.add_entities',
        'knowledge.add_entities',
        'knowledge.add_relations',
        'knowledge.add_relations',
        'knowledge.add_observations',
        'knowledge.delete_observations',
        'knowledge.delete_relations',
        'knowledge.delete_entities',
        'knowledge.add_entities',
        'knowledge.delete_entities',
      ]);
      // Types with spaces and non-ASCII are stored encoded (decoded back by the tools).
      expect((await mem.knowledge.findEntities({ agentId: 'ada', name: 'Zoë' }))[0]?.entityType).toBe('Pers:c3:b6n');
    } finally {
      await mem.close();
    }
    expect((await gw.mem.audit.entries({ limit: 100 })).filter((e) => e.agentId === 'agent-http')).toHaveLength(10);
  }, 120_000);
});
