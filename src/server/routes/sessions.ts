/** The session store: `/v1/sessions`, per-agent listings and the canonical session under `/v1/agents/:agentId/canonical`. */
import { checkOwner, ForbiddenError, hiddenFrom, limitedToSomeAgents, mayTouchAgent } from '../access.js';
import type * as C from '../../contracts/session-store.js';
import type { MemorySubstrate } from '../../assembly/substrate.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import type { RouteTable } from '../route.js';
import { AgentParams, CountResponse, DeletedResponse, IdParams } from '../../wire/common.js';
import {
  CanonicalAppend,
  CanonicalContext,
  CanonicalContextQuery,
  CanonicalSave,
  CanonicalSession,
  CanonicalSummary,
  LabelBody,
  LabelParams,
  Session,
  SessionCreate,
  SessionList,
  SessionSave,
} from '../../wire/sessions.js';

const TAG = 'sessions';
const CANONICAL = 'canonical';

function mismatch(what: string, given: string, path: string): ValidationError {
  return new ValidationError(`body ${what} ${JSON.stringify(given)} does not match the path ${JSON.stringify(path)}`, { backend: 'gateway' });
}

export function sessionRoutes(table: RouteTable, mem: MemorySubstrate): void {
  table.add({
    method: 'POST',
    url: '/v1/sessions',
    access: { scope: 'write', agents: ({ body }) => body.agentId },
    operationId: 'createSession',
    tag: TAG,
    summary: 'Create an empty session for an agent (a label must be unique per agent).',
    body: SessionCreate,
    status: 201,
    response: Session,
    errors: [409],
    async handler({ body }) {
      return mem.sessions.create(body.agentId, body.label === undefined ? {} : { label: body.label });
    },
  });

  table.add({
    method: 'GET',
    url: '/v1/sessions',
    access: { scope: 'admin' },
    operationId: 'listSessions',
    tag: TAG,
    summary: 'Every session, newest first.',
    status: 200,
    response: SessionList,
    async handler() {
      return { sessions: await mem.sessions.list() };
    },
  });

  table.add({
    method: 'GET',
    url: '/v1/sessions/:id',
    access: { scope: 'read', owner: true },
    operationId: 'getSession',
    tag: TAG,
    summary: 'One session with its messages (404 when unknown).',
    params: IdParams,
    status: 200,
    response: Session,
    errors: [404],
    async handler({ params }, request) {
      const session = await mem.sessions.get(params.id);
      if (session === undefined) throw new NotFoundError(`no session ${params.id}`, { backend: 'gateway' });
      checkOwner(request, session.agentId, `session ${params.id}`);
      return session;
    },
  });

  table.add({
    method: 'PUT',
    url: '/v1/sessions/:id',
    access: { scope: 'write', owner: true },
    operationId: 'saveSession',
    tag: TAG,
    summary: 'Save a whole session (upsert).',
    params: IdParams,
    body: SessionSave,
    status: 204,
    errors: [409],
    async handler({ params, body }, request) {
      if (body.id !== undefined && body.id !== params.id) throw mismatch('id', body.id, params.id);
      if (limitedToSomeAgents(request)) {
        if (!mayTouchAgent(request, body.agentId)) throw new ForbiddenError(`this token may not touch agent ${body.agentId}`);
        checkOwner(request, (await mem.sessions.get(params.id))?.agentId, `session ${params.id}`);
      }
      const { label, ...rest } = body;
      await mem.sessions.save({ ...rest, id: params.id, ...(label === null || label === undefined ? {} : { label }), updatedAt: body.updatedAt ?? 0 });
    },
  });

  table.add({
    method: 'DELETE',
    url: '/v1/sessions/:id',
    access: { scope: 'write', owner: true },
    operationId: 'deleteSession',
    tag: TAG,
    summary: 'Delete a session.',
    params: IdParams,
    status: 200,
    response: DeletedResponse,
    async handler({ params }, request) {
      if (await hiddenFrom(request, () => mem.sessions.get(params.id))) return { deleted: false };
      return { deleted: await mem.sessions.delete(params.id) };
    },
  });

  table.add({
    method: 'PUT',
    url: '/v1/sessions/:id/label',
    access: { scope: 'write', owner: true },
    operationId: 'setSessionLabel',
    tag: TAG,
    summary: 'Set (or, with null, clear) the label of a session.',
    params: IdParams,
    body: LabelBody,
    status: 204,
    errors: [404, 409],
    async handler({ params, body }, request) {
      if (await hiddenFrom(request, () => mem.sessions.get(params.id))) throw new NotFoundError(`no session ${params.id}`, { backend: 'gateway' });
      await mem.sessions.setLabel(params.id, body.label ?? undefined);
    },
  });

  table.add({
    method: 'GET',
    url: '/v1/agents/:agentId/sessions',
    access: { scope: 'read', agents: ({ params }) => params.agentId },
    operationId: 'listSessionsForAgent',
    tag: TAG,
    summary: 'The agent\'s sessions, newest first.',
    params: AgentParams,
    status: 200,
    response: SessionList,
    async handler({ params }) {
      return { sessions: await mem.sessions.listForAgent(params.agentId) };
    },
  });

  table.add({
    method: 'DELETE',
    url: '/v1/agents/:agentId/sessions',
    access: { scope: 'write', agents: ({ params }) => params.agentId },
    operationId: 'deleteSessionsForAgent',
    tag: TAG,
    summary: 'Delete every regular session of the agent (not its canonical session).',
    params: AgentParams,
    status: 200,
    response: CountResponse,
    async handler({ params }) {
      return { deleted: await mem.sessions.deleteForAgent(params.agentId) };
    },
  });

  table.add({
    method: 'GET',
    url: '/v1/agents/:agentId/sessions/by-label/:label',
    access: { scope: 'read', agents: ({ params }) => params.agentId },
    operationId: 'findSessionByLabel',
    tag: TAG,
    summary: 'The agent\'s session with this label (404 when none).',
    params: LabelParams,
    status: 200,
    response: Session,
    errors: [404],
    async handler({ params }) {
      const session = await mem.sessions.findByLabel(params.agentId, params.label);
      if (session === undefined) throw new NotFoundError(`agent ${params.agentId} has no session labelled ${JSON.stringify(params.label)}`, { backend: 'gateway' });
      return session;
    },
  });

  table.add({
    method: 'GET',
    url: '/v1/agents/:agentId/canonical',
    access: { scope: 'read', agents: ({ params }) => params.agentId },
    operationId: 'loadCanonical',
    tag: CANONICAL,
    summary: 'The agent\'s canonical session (an empty one when none exists).',
    params: AgentParams,
    status: 200,
    response: CanonicalSession,
    async handler({ params }) {
      return mem.sessions.loadCanonical(params.agentId);
    },
  });

  table.add({
    method: 'PUT',
    url: '/v1/agents/:agentId/canonical',
    access: { scope: 'write', agents: ({ params }) => params.agentId },
    operationId: 'saveCanonical',
    tag: CANONICAL,
    summary: 'Save the canonical session as given.',
    params: AgentParams,
    body: CanonicalSave,
    status: 204,
    async handler({ params, body }) {
      if (body.agentId !== undefined && body.agentId !== params.agentId) throw mismatch('agentId', body.agentId, params.agentId);
      const session: C.CanonicalSession = {
        agentId: params.agentId,
        messages: body.messages,
        compactionCursor: body.compactionCursor ?? 0,
        updatedAt: body.updatedAt ?? 0,
        ...(body.compactedSummary === undefined || body.compactedSummary === null ? {} : { compactedSummary: body.compactedSummary }),
      };
      await mem.sessions.saveCanonical(session);
    },
  });

  table.add({
    method: 'POST',
    url: '/v1/agents/:agentId/canonical/messages',
    access: { scope: 'write', agents: ({ params }) => params.agentId },
    operationId: 'appendCanonical',
    tag: CANONICAL,
    summary: 'Append messages atomically; compacts once the window exceeds the threshold. Returns the session.',
    params: AgentParams,
    body: CanonicalAppend,
    status: 200,
    response: CanonicalSession,
    async handler({ params, body }) {
      return mem.sessions.appendCanonical(params.agentId, body.messages, body.threshold === undefined ? {} : { threshold: body.threshold });
    },
  });

  table.add({
    method: 'GET',
    url: '/v1/agents/:agentId/canonical/context',
    access: { scope: 'read', agents: ({ params }) => params.agentId },
    operationId: 'canonicalContext',
    tag: CANONICAL,
    summary: 'The summary and the last `window` messages (default 50).',
    params: AgentParams,
    query: CanonicalContextQuery,
    status: 200,
    response: CanonicalContext,
    async handler({ params, query }) {
      return mem.sessions.canonicalContext(params.agentId, query.window === undefined ? {} : { window: query.window });
    },
  });

  table.add({
    method: 'PUT',
    url: '/v1/agents/:agentId/canonical/summary',
    access: { scope: 'write', agents: ({ params }) => params.agentId },
    operationId: 'storeLlmSummary',
    tag: CANONICAL,
    summary: 'Replace the compacted part with an LLM-written summary and keep these messages.',
    params: AgentParams,
    body: CanonicalSummary,
    status: 204,
    async handler({ params, body }) {
      await mem.sessions.storeLlmSummary(params.agentId, body.summary, body.keptMessages);
    },
  });

  table.add({
    method: 'DELETE',
    url: '/v1/agents/:agentId/canonical',
    access: { scope: 'write', agents: ({ params }) => params.agentId },
    operationId: 'deleteCanonical',
    tag: CANONICAL,
    summary: 'Delete the agent\'s canonical session.',
    params: AgentParams,
    status: 200,
    response: DeletedResponse,
    async handler({ params }) {
      return { deleted: await mem.sessions.deleteCanonical(params.agentId) };
    },
  });
}
