import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, describe, expect, it } from 'vitest';
import { MemorySubstrate } from '../../src/index.js';

/**
 * The knowledge-graph tools of `memstrate mcp --agent ID` over stdio (the SDK's own client), where
 * they differ from or go beyond the reference: bad input and refusals are tool errors naming a
 * code (never a crash, the server keeps serving), and the graph is the connection's agent's only.
 */
const ROOT = resolve(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'memstrate-mcp-graph-stdio-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type ToolResult = { isError?: boolean; content: { type: string; text: string }[]; structuredContent?: Record<string, unknown> };

describe('memstrate mcp knowledge-graph tools (stdio)', () => {
  it('refuses bad input as tool errors, writes nothing on a refused call, and sees only its own agent', async () => {
    const config = join(dir, 'memory.config.toml');
    writeFileSync(config, `[memory]\nsqlite_path = ${JSON.stringify(join(dir, 'mem.db'))}\n`);
    const seed = await MemorySubstrate.open(config, { env: {} });
    await seed.knowledge.addEntities({ agentId: 'someone-else', entities: [{ entityType: 'person', name: 'Secret', properties: { observations: ['hidden'] } }] });
    // A REST-made entity of the agent, with other properties: the tools show it and keep its properties.
    await seed.knowledge.addEntity({ agentId: 'ada', entityType: 'tool', name: 'Hammer', properties: { weight: 2 } });
    await seed.close();

    const env = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => !k.startsWith('MEMSTRATE_') && v !== undefined)) as Record<string, string>;
    const client = new Client({ name: 'memstrate-test', version: '1.0.0' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: ['--import', 'tsx', 'src/cli/main.ts', '--config', config, 'mcp', '--agent', 'ada'], cwd: ROOT, env, stderr: 'pipe' }));
    const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as ToolResult;
    const graph = async () => (await call('read_graph', {})).structuredContent;
    try {
      expect(await graph()).toEqual({ entities: [{ name: 'Hammer', entityType: 'tool', observations: [] }], relations: [] });
      expect((await call('create_entities', { entities: [{ name: 'Ada', entityType: 'person', observations: ['writes code'] }, { name: 'Secret', entityType: 'person', observations: [] }] })).structuredContent).toEqual({
        entities: [{ name: 'Ada', entityType: 'person', observations: ['writes code'] }, { name: 'Secret', entityType: 'person', observations: [] }],
      });
      expect((await call('search_nodes', { query: 'hidden' })).structuredContent).toEqual({ entities: [], relations: [] });

      const refusals: [string, Record<string, unknown>, RegExp][] = [
        // Unknown keys, at the top and inside an item.
        ['create_entities', { entities: [], agentId: 'someone-else' }, /agentId/],
        ['create_entities', { entities: [{ name: 'X', entityType: 'person', observations: [], extra: 1 }] }, /extra/],
        // Empty names and types, and a type too long once stored.
        ['create_entities', { entities: [{ name: '', entityType: 'person', observations: [] }] }, /^VALIDATION: .*name/],
        ['create_entities', { entities: [{ name: 'Ok', entityType: 'person', observations: [] }, { name: 'X', entityType: '', observations: [] }] }, /^VALIDATION: .*entityType/],
        ['create_entities', { entities: [{ name: 'X', entityType: 'ü'.repeat(11), observations: [] }] }, /^VALIDATION: .*64/],
        // A relation to an entity that does not exist (the reference would store it dangling).
        ['create_relations', { relations: [{ from: 'Ada', to: 'Hammer', relationType: 'uses' }, { from: 'Ada', to: 'Nobody', relationType: 'knows' }] }, /^VALIDATION: .*Nobody/],
        ['add_observations', { observations: [{ entityName: 'Nobody', contents: ['x'] }] }, /^NOT_FOUND: .*Nobody/],
        ['search_nodes', {}, /query/],
        ['open_nodes', { names: 'Ada' }, /names/],
      ];
      for (const [tool, args, message] of refusals) {
        const r = await call(tool, args);
        expect(r.isError, `${tool} ${JSON.stringify(args)}`).toBe(true);
        expect(r.content[0]?.text, `${tool} ${JSON.stringify(args)}`).toMatch(message);
      }
      // Nothing of a refused call was written ('Ok' and the Ada→Hammer relation are absent).
      expect(await graph()).toEqual({
        entities: [{ name: 'Hammer', entityType: 'tool', observations: [] }, { name: 'Ada', entityType: 'person', observations: ['writes code'] }, { name: 'Secret', entityType: 'person', observations: [] }],
        relations: [],
      });

      // Observations on a REST-made entity keep its other properties.
      expect((await call('add_observations', { observations: [{ entityName: 'Hammer', contents: ['heavy'] }] })).structuredContent).toEqual({ results: [{ entityName: 'Hammer', addedObservations: ['heavy'] }] });
      expect((await call('delete_entities', { entityNames: ['Secret'] })).isError).toBeFalsy();
    } finally {
      await client.close();
    }

    const after = await MemorySubstrate.open(config, { env: {} });
    try {
      expect((await after.knowledge.findEntities({ agentId: 'ada', name: 'Hammer' }))[0]?.properties).toEqual({ weight: 2, observations: ['heavy'] });
      // The other agent's entity of the same name is untouched.
      expect((await after.knowledge.findEntities({ agentId: 'someone-else', name: 'Secret' }))[0]?.properties).toEqual({ observations: ['hidden'] });
      expect((await after.audit.entries({ limit: 100 })).filter((e) => e.agentId === 'ada').map((e) => e.action)).toEqual(['knowledge.add_entity', 'knowledge.add_entities', 'knowledge.add_observations', 'knowledge.delete_entities']);
    } finally {
      await after.close();
    }
  }, 60_000);
});
