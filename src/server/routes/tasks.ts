/** The leased task queue under `/v1/tasks…` (the substrate's queue, which audits every transition). */
import type { FastifyRequest } from 'fastify';
import type { Task as TaskRecord } from '../../contracts/task-queue.js';
import { limitedToSomeAgents, mayTouchAgent } from '../access.js';
import type { MemorySubstrate } from '../../assembly/substrate.js';
import { NotFoundError } from '../../errors.js';
import type { RouteTable } from '../route.js';
import { IdParams, IdResponse } from '../../wire/common.js';
import {
  ClaimBody,
  ClaimResponse,
  CompleteBody,
  FailBody,
  FailResponse,
  HeartbeatBody,
  HeartbeatResponse,
  Task,
  TaskInput,
  TaskList,
  TaskListQuery,
} from '../../wire/tasks.js';

const TASKS = 'tasks';

/** A task concerns its creator, its assignee and the agent holding its lease. */
function taskVisible(request: FastifyRequest, task: TaskRecord): boolean {
  return [task.createdBy, task.assignedTo, task.claimedBy].some((agentId) => agentId !== undefined && mayTouchAgent(request, agentId));
}

export function taskRoutes(table: RouteTable, mem: MemorySubstrate): void {
  /** Lease operations: the token must be allowed the agent holding the lease (else NOT_FOUND). */
  const checkTaskOwner = async (request: FastifyRequest, id: string): Promise<void> => {
    if (!limitedToSomeAgents(request)) return;
    const task = await mem.tasks.get(id);
    if (task?.claimedBy === undefined || !mayTouchAgent(request, task.claimedBy)) throw new NotFoundError(`no task ${id} held by an agent of this token`, { backend: 'gateway' });
  };

  table.add({
    method: 'POST',
    url: '/v1/tasks',
    access: { scope: 'write', agents: ({ body }) => [body.createdBy, body.assignedTo] },
    operationId: 'postTask',
    tag: TASKS,
    summary: 'Post a task; returns its id.',
    body: TaskInput,
    status: 201,
    response: IdResponse,
    async handler({ body }) {
      return { id: await mem.tasks.post(body) };
    },
  });

  table.add({
    method: 'POST',
    url: '/v1/tasks/claim',
    access: { scope: 'write', agents: ({ body }) => body.agentId },
    operationId: 'claimTask',
    tag: TASKS,
    summary: 'Atomically claim the best pending task for the agent, with a lease and a fencing token (task: null when none).',
    body: ClaimBody,
    status: 200,
    response: ClaimResponse,
    async handler({ body }) {
      return { task: await mem.tasks.claim(body.agentId, body.leaseMs === undefined ? {} : { leaseMs: body.leaseMs }) };
    },
  });

  table.add({
    method: 'POST',
    url: '/v1/tasks/:id/complete',
    access: { scope: 'write', owner: true },
    operationId: 'completeTask',
    tag: TASKS,
    summary: 'Complete a claimed task (409 LEASE_LOST with a stale token or an expired lease).',
    params: IdParams,
    body: CompleteBody,
    status: 204,
    errors: [404, 409],
    async handler({ params, body }, request) {
      await checkTaskOwner(request, params.id);
      await mem.tasks.complete(params.id, body.result, { token: body.token });
    },
  });

  table.add({
    method: 'POST',
    url: '/v1/tasks/:id/fail',
    access: { scope: 'write', owner: true },
    operationId: 'failTask',
    tag: TASKS,
    summary: 'Record a failed attempt: back to pending while attempts remain, else failed. Returns the new status.',
    params: IdParams,
    body: FailBody,
    status: 200,
    response: FailResponse,
    errors: [404, 409],
    async handler({ params, body }, request) {
      await checkTaskOwner(request, params.id);
      return { status: await mem.tasks.fail(params.id, body.error, { token: body.token }) };
    },
  });

  table.add({
    method: 'POST',
    url: '/v1/tasks/:id/heartbeat',
    access: { scope: 'write', owner: true },
    operationId: 'heartbeatTask',
    tag: TASKS,
    summary: 'Extend the lease; returns the new expiry.',
    params: IdParams,
    body: HeartbeatBody,
    status: 200,
    response: HeartbeatResponse,
    errors: [404, 409],
    async handler({ params, body }, request) {
      await checkTaskOwner(request, params.id);
      return { leaseExpiresAt: await mem.tasks.heartbeat(params.id, body.token, body.leaseMs === undefined ? {} : { leaseMs: body.leaseMs }) };
    },
  });

  table.add({
    method: 'GET',
    url: '/v1/tasks/:id',
    access: { scope: 'read', owner: true },
    operationId: 'getTask',
    tag: TASKS,
    summary: 'One task (404 when unknown).',
    params: IdParams,
    status: 200,
    response: Task,
    errors: [404],
    async handler({ params }, request) {
      const task = await mem.tasks.get(params.id);
      if (task === undefined) throw new NotFoundError(`no task ${params.id}`, { backend: 'gateway' });
      if (limitedToSomeAgents(request) && !taskVisible(request, task)) throw new NotFoundError(`no task ${params.id}`, { backend: 'gateway' });
      return task;
    },
  });

  table.add({
    method: 'GET',
    url: '/v1/tasks',
    access: { scope: 'admin' },
    operationId: 'listTasks',
    tag: TASKS,
    summary: 'Tasks, newest first, optionally by status.',
    query: TaskListQuery,
    status: 200,
    response: TaskList,
    async handler({ query }) {
      return {
        tasks: await mem.tasks.list({ ...(query.status ? { status: query.status } : {}), ...(query.limit !== undefined ? { limit: query.limit } : {}) }),
      };
    },
  });
}
