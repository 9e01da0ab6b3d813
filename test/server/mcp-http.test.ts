import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { describe, expect, it } from 'vitest';
import { startGateway, type GatewayUnderTest } from './fixture.js';

/**
 * `/mcp` on the gateway, spoken to by the MCP SDK's client over Streamable HTTP: the gateway's
 * bearer tokens decide the agent (a token bound to one agent, or the x-memstrate-agent header the
 * token must be allowed to touch) and the tools (read / write scopes).
 */
const TOKENS = [
  { name: 'a-rw', token: 'mcp-token-a-rw', agents: ['a'], scopes: ['read', 'write'] as ('read' | 'write' | 'admin')[] },
  { name: 'a-r', token: 'mcp-token-a-r', agents: ['a'], scopes: ['read'] as ('read' | 'write' | 'admin')[] },
  { name: 'ops', token: 'mcp-token-ops', agents: ['*'] as string[], scopes: ['read', 'write', 'admin'] as ('read' | 'write' | 'admin')[] },
];

type ToolResult = { isError?: boolean; content: { type: string; text: string }[] };

async function connect(gw: GatewayUnderTest, token: string, agent?: string): Promise<Client> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...(agent ? { 'x-memstrate-agent': agent } : {}) };
  const client = new Client({ name: 'memstrate-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${gw.base}/mcp`), { requestInit: { headers } }));
  return client;
}

describe('/mcp on the gateway (Streamable HTTP)', () => {
  it('a token bound to one agent writes and reads that agent; a read-only token cannot write; an unlimited token names the agent', async () => {
    const gw = await startGateway({ tokens: TOKENS.map((t) => ({ ...t })) });
    const rw = await connect(gw, 'mcp-token-a-rw');
    try {
      const stored = (await rw.callTool({ name: 'remember', arguments: { content: 'Ada prefers Rust' } })) as ToolResult;
      expect(stored.isError).toBeFalsy();
      const { id } = JSON.parse(stored.content[0]?.text as string) as { id: string };
      expect((await gw.mem.semantic.get(id))?.agentId).toBe('a');
    } finally {
      await rw.close();
    }

    const ro = await connect(gw, 'mcp-token-a-r');
    try {
      const hits = (await ro.callTool({ name: 'recall', arguments: { query: 'Rust', mode: 'keyword' } })) as ToolResult;
      expect(JSON.parse(hits.content[0]?.text as string)).toHaveLength(1);
      const refused = (await ro.callTool({ name: 'kv_set', arguments: { key: 'k', value: 1 } })) as ToolResult;
      expect(refused.isError).toBe(true);
      expect(refused.content[0]?.text).toMatch(/^FORBIDDEN: .*write/);
    } finally {
      await ro.close();
    }

    const ops = await connect(gw, 'mcp-token-ops', 'b');
    try {
      expect(JSON.parse(((await ops.callTool({ name: 'recall', arguments: { query: 'Rust', mode: 'keyword' } })) as ToolResult).content[0]?.text as string)).toEqual([]);
    } finally {
      await ops.close();
    }

    // Without an agent, or for an agent the token may not touch: refused before any MCP exchange.
    await expect(connect(gw, 'mcp-token-ops')).rejects.toThrow(/x-memstrate-agent/);
    await expect(connect(gw, 'mcp-token-a-rw', 'b')).rejects.toThrow(/may not touch agent b/);
    await expect(connect(gw, 'not-a-token', 'a')).rejects.toThrow();
    expect((await gw.call('GET', '/mcp', undefined, { auth: 'Bearer mcp-token-ops' })).status).toBe(405);
  });

  it('the knowledge-graph tools: write tools need the write scope, reads need read, and the graph is the connection agent\'s', async () => {
    const gw = await startGateway({ tokens: TOKENS.map((t) => ({ ...t })) });
    const call = async (client: Client, name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as ToolResult & { structuredContent?: unknown };
    const rw = await connect(gw, 'mcp-token-a-rw');
    try {
      expect((await call(rw, 'create_entities', { entities: [{ name: 'Ada', entityType: 'person', observations: ['writes code'] }, { name: 'Acme', entityType: 'organization', observations: [] }] })).isError).toBeFalsy();
      expect((await call(rw, 'create_relations', { relations: [{ from: 'Ada', to: 'Acme', relationType: 'works at' }] })).structuredContent).toEqual({ relations: [{ from: 'Ada', to: 'Acme', relationType: 'works at' }] });
    } finally {
      await rw.close();
    }
    expect((await gw.mem.knowledge.findEntities({ agentId: 'a', name: 'Ada' }))[0]?.properties).toEqual({ observations: ['writes code'] });

    const ro = await connect(gw, 'mcp-token-a-r');
    try {
      expect((await call(ro, 'open_nodes', { names: ['Ada'] })).structuredContent).toEqual({
        entities: [{ name: 'Ada', entityType: 'person', observations: ['writes code'] }],
        relations: [{ from: 'Ada', to: 'Acme', relationType: 'works at' }],
      });
      for (const [tool, args] of [
        ['create_entities', { entities: [{ name: 'X', entityType: 'person', observations: [] }] }],
        ['create_relations', { relations: [] }],
        ['add_observations', { observations: [{ entityName: 'Ada', contents: ['x'] }] }],
        ['delete_entities', { entityNames: ['Ada'] }],
        ['delete_observations', { deletions: [{ entityName: 'Ada', observations: ['writes code'] }] }],
        ['delete_relations', { relations: [{ from: 'Ada', to: 'Acme', relationType: 'works at' }] }],
      ] as const) {
        const refused = await call(ro, tool, args);
        expect(refused.isError, tool).toBe(true);
        expect(refused.content[0]?.text, tool).toMatch(/^FORBIDDEN: .*write/);
      }
    } finally {
      await ro.close();
    }
    expect((await gw.mem.knowledge.listEntities({ agentId: 'a' })).items.map((e) => e.name)).toEqual(['Ada', 'Acme']);

    // Another agent (named by an unlimited token) has an empty graph of its own.
    const ops = await connect(gw, 'mcp-token-ops', 'b');
    try {
      expect((await call(ops, 'read_graph', {})).structuredContent).toEqual({ entities: [], relations: [] });
      expect((await call(ops, 'delete_entities', { entityNames: ['Ada'] })).isError).toBeFalsy();
    } finally {
      await ops.close();
    }
    expect(await gw.mem.knowledge.findEntities({ agentId: 'a', name: 'Ada' })).toHaveLength(1);
  });
});
