/**
 * memstrate as an MCP server (@modelcontextprotocol/sdk): memory and KV tools (and the knowledge-graph
 * tools of graph-tools.ts), every one scoped to
 * one agent fixed when the server is made (an argument never widens it), every input checked by a
 * strict schema (unknown keys refused), every store error returned as an MCP tool error naming its
 * code — never a crash — and every mutation audited by the substrate's stores like any other.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { MemorySubstrate } from '../assembly/substrate.js';
import type { JsonValue } from '../contracts/types.js';
import { MemoryError, NotFoundError } from '../errors.js';
import { MEMSTRATE_VERSION } from '../version.js';
import { registerGraphTools, type ToolRunner } from './graph-tools.js';

const json = (value: unknown): CallToolResult => ({ content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: { result: value as JsonValue } });

/** Runs a tool body; a MemoryError (bad input, not found, …) becomes an MCP tool error naming its code. */
async function guarded(fn: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await fn();
  } catch (error) {
    if (!MemoryError.is(error)) throw error;
    return { isError: true, content: [{ type: 'text', text: `${error.code}: ${error.message}` }] };
  }
}

const Metadata = z.record(z.string(), z.json());
const Filter = z.record(z.string(), z.json()).describe('A memstrate MemoryFilter: scope, source, minConfidence, after, before, metadata, where (see README "Filtering memories").');

/** What the caller may do: reads and writes (the gateway passes its token's scopes; stdio may both). */
export interface McpPermissions {
  read: boolean;
  write: boolean;
}

/**
 * An MCP server whose tools read and write the memories and KV entries of `agentId` only; a tool
 * the permissions do not cover answers a FORBIDDEN tool error.
 */
export function memoryMcpServer(mem: MemorySubstrate, agentId: string, may: McpPermissions = { read: true, write: true }): McpServer {
  const server = new McpServer({ name: 'memstrate', version: MEMSTRATE_VERSION });
  const runTool: ToolRunner = (scope, fn) =>
    may[scope] ? guarded(fn) : Promise.resolve({ isError: true, content: [{ type: 'text', text: `FORBIDDEN: this connection lacks the ${scope} scope` }] });
  const run = (scope: 'read' | 'write', fn: () => Promise<unknown>): Promise<CallToolResult> => runTool(scope, async () => json(await fn()));
  const own = async (id: string) => {
    const record = await mem.semantic.get(id);
    if (record === undefined || record.agentId !== agentId) throw new NotFoundError(`no memory ${id}`, { backend: 'mcp' });
    return record;
  };

  server.registerTool(
    'remember',
    {
      description: `Store a memory of agent "${agentId}". With key, a memory of the same key is replaced; with ttlMs it expires.`,
      inputSchema: z.strictObject({
        content: z.string(),
        scope: z.string().optional(),
        metadata: Metadata.optional(),
        key: z.string().optional(),
        ttlMs: z.int().optional(),
        confidence: z.number().optional(),
      }),
    },
    (args) => run('write', () => mem.semantic.rememberWithResult({ agentId, ...args, ...(args.metadata ? { metadata: args.metadata as Record<string, JsonValue> } : {}) })),
  );

  server.registerTool(
    'recall',
    {
      description: `Recall memories of agent "${agentId}" relevant to a query (hybrid, vector or keyword), optionally filtered.`,
      inputSchema: z.strictObject({
        query: z.string(),
        limit: z.int().optional(),
        mode: z.enum(['hybrid', 'vector', 'keyword']).optional(),
        minScore: z.number().optional(),
        filter: Filter.optional(),
      }),
    },
    ({ query, filter, ...rest }) =>
      run('read', async () =>
        (await mem.semantic.recall({ agentId, text: query, ...rest, ...(filter ? { filter: filter as never } : {}) })).map((r) => ({
          id: r.memory.id,
          content: r.memory.content,
          score: r.score,
          scope: r.memory.scope,
          metadata: r.memory.metadata,
          createdAt: r.memory.createdAt,
        })),
      ),
  );

  server.registerTool(
    'forget',
    { description: `Forget one memory of agent "${agentId}" by id.`, inputSchema: z.strictObject({ id: z.string() }) },
    ({ id }) => run('write', async () => ({ deleted: (await own(id)) !== undefined && (await mem.semantic.forget(id)) })),
  );

  server.registerTool(
    'list_memories',
    {
      description: `One page of agent "${agentId}"'s memories, newest first unless orderBy is "createdAt"; pass nextCursor back as cursor.`,
      inputSchema: z.strictObject({
        filter: Filter.optional(),
        limit: z.int().optional(),
        cursor: z.string().optional(),
        orderBy: z.enum(['createdAt', '-createdAt']).optional(),
      }),
    },
    ({ filter, ...rest }) => run('read', () => mem.semantic.list({ agentId, ...rest, ...(filter ? { filter: filter as never } : {}) })),
  );

  server.registerTool(
    'kv_get',
    { description: `Read a key of agent "${agentId}" (null when absent).`, inputSchema: z.strictObject({ key: z.string() }) },
    ({ key }) => run('read', async () => (await mem.structured.get(agentId, key)) ?? null),
  );
  server.registerTool(
    'kv_set',
    { description: `Set a key of agent "${agentId}" to any JSON value; ttlMs makes it expire.`, inputSchema: z.strictObject({ key: z.string(), value: z.json(), ttlMs: z.int().optional() }) },
    ({ key, value, ttlMs }) => run('write', async () => ({ version: await mem.structured.set(agentId, key, value as JsonValue, ttlMs === undefined ? undefined : { ttlMs }) })),
  );
  server.registerTool(
    'kv_delete',
    { description: `Delete a key of agent "${agentId}".`, inputSchema: z.strictObject({ key: z.string() }) },
    ({ key }) => run('write', async () => ({ deleted: await mem.structured.delete(agentId, key) })),
  );
  server.registerTool(
    'kv_list',
    { description: `Every key of agent "${agentId}" with its value.`, inputSchema: z.strictObject({}) },
    () => run('read', async () => (await mem.structured.list(agentId)).map((e) => ({ key: e.key, value: e.value, version: e.version }))),
  );
  registerGraphTools(server, mem, agentId, runTool);
  return server;
}
