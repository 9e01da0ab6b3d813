/**
 * `/mcp` on the gateway: the MCP tools (src/mcp) over Streamable HTTP, stateless (a server and a
 * transport per request), behind the gateway's bearer auth. The agent is the token's own when it is
 * bound to one, else the `x-memstrate-agent` header, which the token must be allowed to touch; the
 * token's read / write scopes gate the tools.
 */
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { MemorySubstrate } from '../assembly/substrate.js';
import { memoryMcpServer } from '../mcp/memory-tools.js';
import { mayTouch, requestGrant } from './access.js';

const AGENT_HEADER = 'x-memstrate-agent';

function refuse(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).send({ error: { code, message } });
}

export function installMcpEndpoint(app: FastifyInstance, mem: MemorySubstrate): void {
  app.post('/mcp', async (request: FastifyRequest, reply: FastifyReply) => {
    const grant = requestGrant(request);
    const header = request.headers[AGENT_HEADER];
    const bound = grant.agents !== '*' && grant.agents.size === 1 ? [...grant.agents][0] : undefined;
    const agentId = typeof header === 'string' && header.length > 0 ? header : bound;
    if (agentId === undefined) return refuse(reply, 400, 'VALIDATION', `name the agent in the ${AGENT_HEADER} header (or use a token bound to one agent)`);
    if (!mayTouch(grant, agentId)) return refuse(reply, 403, 'FORBIDDEN', `token "${grant.name}" may not touch agent ${agentId}`);
    const server = memoryMcpServer(mem, agentId, { read: grant.scopes.has('read'), write: grant.scopes.has('write') });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    reply.raw.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    reply.hijack();
    await transport.handleRequest(request.raw, reply.raw, request.body);
  });
  for (const method of ['GET', 'DELETE'] as const) {
    app.route({ method, url: '/mcp', handler: async (_request, reply) => refuse(reply, 405, 'METHOD_NOT_ALLOWED', 'this MCP endpoint is stateless: POST only') });
  }
}
