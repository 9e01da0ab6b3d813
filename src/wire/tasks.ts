/** Schemas of the leased task queue. */
import { z } from 'zod';
import * as C from '../contracts/task-queue.js';
import { LIMITS } from '../core/limits.js';
import { EpochMs, Id, intQuery, JsonValue, named } from './common.js';

export const TaskStatus = z.enum(C.TASK_STATUSES);

export const TaskInput = named(
  'TaskInput',
  z.strictObject({
    title: z.string(),
    description: z.string().optional(),
    assignedTo: Id.optional().describe('Only this agent may claim it; absent = anyone.'),
    createdBy: Id.optional(),
    priority: z.int().optional().describe('Higher is claimed first. Default 0.'),
    maxAttempts: z.int().min(1).optional().describe('Attempts before the task stays failed. Default 3.'),
    payload: JsonValue.optional().describe('The work to do: any JSON value.'),
  }) satisfies z.ZodType<C.TaskInput>,
);

export const Task = named(
  'Task',
  z.object({
    id: z.string(),
    title: z.string(),
    description: z.string(),
    status: TaskStatus,
    priority: z.int(),
    assignedTo: z.string().optional(),
    createdBy: z.string().optional(),
    claimedBy: z.string().optional(),
    attempts: z.int(),
    maxAttempts: z.int(),
    payload: JsonValue.optional(),
    result: JsonValue.optional(),
    error: z.string().optional(),
    createdAt: EpochMs,
    updatedAt: EpochMs,
    completedAt: EpochMs.optional(),
    leaseExpiresAt: EpochMs.optional(),
    token: z.string().optional().describe('Present on a claimed task: the fencing token complete/fail/heartbeat must present.'),
  }) satisfies z.ZodType<C.Task>,
);

export const ClaimBody = named('TaskClaim', z.strictObject({ agentId: Id, leaseMs: z.int().min(1).optional().describe('Default 30000.') }));
export const ClaimResponse = named('TaskClaimResult', z.object({ task: Task.nullable().describe('null when nothing is claimable.') }));
export const CompleteBody = named('TaskComplete', z.strictObject({ token: Id, result: JsonValue }));
export const FailBody = named('TaskFail', z.strictObject({ token: Id, error: z.string() }));
export const FailResponse = named('TaskFailResult', z.object({ status: TaskStatus }));
export const HeartbeatBody = named('TaskHeartbeat', z.strictObject({ token: Id, leaseMs: z.int().min(1).optional() }));
export const HeartbeatResponse = named('TaskHeartbeatResult', z.object({ leaseExpiresAt: EpochMs }));
export const TaskListQuery = z.strictObject({ status: TaskStatus.optional(), limit: intQuery(1, LIMITS.maxListLimit, 'Default 100.').optional() });
export const TaskList = named('TaskList', z.object({ tasks: z.array(Task) }));
