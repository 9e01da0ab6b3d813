import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, describe, expect, it } from 'vitest';
import { MemorySubstrate } from '../../src/index.js';

/**
 * `memstrate mcp --agent ID` spoken to by the MCP SDK's own client over stdio: the tools list, each
 * tool's result, schema-checked input (an unknown key is an error, not a crash), store errors as
 * tool errors, scoping to the agent, and one audit entry per mutation.
 */
const ROOT = resolve(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'memstrate-mcp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type ToolResult = { isError?: boolean; content: { type: string; text: string }[] };
const parsed = (r: unknown) => JSON.parse((r as ToolResult).content[0]?.text as string) as any; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('memstrate mcp (stdio)', () => {
  it('serves memory and KV tools for one agent to the SDK client; bad input is a tool error; mutations are audited', async () => {
    const dbPath = join(dir, 'mem.db');
    const config = join(dir, 'memory.config.toml');
    writeFileSync(config, `[memory]\nsqlite_path = ${JSON.stringify(dbPath)}\n`);
    // Another agent's memory: the MCP agent never sees it.
    const seed = await MemorySubstrate.open(config, { env: {} });
    const foreign = await seed.semantic.remember({ agentId: 'someone-else', content: 'Ada is secretly a pelican' });
    await seed.close();

    const env = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => !k.startsWith('MEMSTRATE_') && v !== undefined)) as Record<string, string>;
    const transport = new StdioClientTransport({ command: process.execPath, args: ['--import', 'tsx', 'src/cli/main.ts', '--config', config, 'mcp', '--agent', 'ada'], cwd: ROOT, env, stderr: 'pipe' });
    const client = new Client({ name: 'memstrate-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      const tools = (await client.listTools()).tools.map((t) => t.name).sort();
      expect(tools).toEqual([
        'add_observations', 'create_entities', 'create_relations', 'delete_entities', 'delete_observations', 'delete_relations',
        'forget', 'kv_delete', 'kv_get', 'kv_list', 'kv_set', 'list_memories', 'open_nodes', 'read_graph', 'recall', 'remember', 'search_nodes',
      ]);

      const stored = parsed(await client.callTool({ name: 'remember', arguments: { content: 'Ada prefers Rust', metadata: { topic: 'lang' } } }));
      expect(stored).toMatchObject({ created: true });
      const hits = parsed(await client.callTool({ name: 'recall', arguments: { query: 'Rust', mode: 'keyword' } }));
      expect(hits.map((h: { id: string }) => h.id)).toEqual([stored.id]);
      expect(parsed(await client.callTool({ name: 'recall', arguments: { query: 'pelican', mode: 'keyword' } }))).toEqual([]);
      const page = parsed(await client.callTool({ name: 'list_memories', arguments: { filter: { where: { 'metadata.topic': 'lang' } } } }));
      expect(page.items.map((m: { content: string }) => m.content)).toEqual(['Ada prefers Rust']);

      expect(parsed(await client.callTool({ name: 'kv_set', arguments: { key: 'lang', value: { primary: 'Rust' } } }))).toEqual({ version: 1 });
      expect(parsed(await client.callTool({ name: 'kv_get', arguments: { key: 'lang' } }))).toEqual({ primary: 'Rust' });
      expect(parsed(await client.callTool({ name: 'kv_list', arguments: {} }))).toEqual([{ key: 'lang', value: { primary: 'Rust' }, version: 1 }]);
      expect(parsed(await client.callTool({ name: 'kv_delete', arguments: { key: 'lang' } }))).toEqual({ deleted: true });

      // Another agent's memory is NOT_FOUND, as if absent; forgetting our own works.
      const notOurs = (await client.callTool({ name: 'forget', arguments: { id: foreign } })) as ToolResult;
      expect(notOurs.isError).toBe(true);
      expect(notOurs.content[0]?.text).toMatch(/^NOT_FOUND: /);
      expect(parsed(await client.callTool({ name: 'forget', arguments: { id: stored.id } }))).toEqual({ deleted: true });

      // Bad input: an unknown key and a store-level VALIDATION error are tool errors; the server keeps serving.
      const unknownKey = (await client.callTool({ name: 'remember', arguments: { content: 'x', agentId: 'someone-else' } })) as ToolResult;
      expect(unknownKey.isError).toBe(true);
      expect(unknownKey.content[0]?.text).toMatch(/agentId/);
      const badFilter = (await client.callTool({ name: 'list_memories', arguments: { filter: { where: { 'metadata.topic': { $gtt: 1 } } } } })) as ToolResult;
      expect(badFilter.isError).toBe(true);
      expect(badFilter.content[0]?.text).toMatch(/^VALIDATION: .*\$gtt/);
      expect((await client.listTools()).tools.length).toBe(17);
    } finally {
      await client.close();
    }

    const after = await MemorySubstrate.open(config, { env: {} });
    const actions = (await after.audit.entries({ limit: 100 })).filter((e) => e.agentId === 'ada').map((e) => e.action);
    expect(actions).toEqual(['memory.remember', 'kv.set', 'kv.delete', 'memory.forget']);
    expect(await after.semantic.get(foreign)).toBeDefined();
    await after.close();
  }, 60_000);
});
