import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { MemorySubstrate } from '../assembly/substrate.js';
import { memoryMcpServer } from './memory-tools.js';

/**
 * Serves `mem` as an MCP server over stdin/stdout for one agent until the client closes the
 * stream (or the process is told to stop); then the substrate is closed. Logs go to stderr only.
 */
export async function serveMcpStdio(mem: MemorySubstrate, agentId: string): Promise<void> {
  const server = memoryMcpServer(mem, agentId);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
  });
  await server.connect(transport);
  try {
    await closed;
  } finally {
    await server.close().catch(() => {});
    await mem.close();
  }
}
