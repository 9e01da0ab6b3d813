import type { EpochMs, JsonValue } from './types.js';

export const TASK_STATUSES = ['pending', 'in_progress', 'completed', 'failed'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export interface TaskInput {
  title: string;
  description?: string;
  /** Only this agent may claim it; absent = anyone. */
  assignedTo?: string;
  createdBy?: string;
  /** Higher is claimed first. Default 0. */
  priority?: number;
  /** Attempts before the task stays `failed`. Default 3. */
  maxAttempts?: number;
  /** The work to do: any JSON value (at most LIMITS.valueBytes serialised). */
  payload?: JsonValue;
}

export interface Task {
  id: string;
  title: string;
  description: string;
  status: TaskStatus;
  priority: number;
  assignedTo?: string;
  createdBy?: string;
  /** The agent holding (or that last held) the lease. */
  claimedBy?: string;
  attempts: number;
  maxAttempts: number;
  /** As posted. */
  payload?: JsonValue;
  result?: JsonValue;
  error?: string;
  createdAt: EpochMs;
  updatedAt: EpochMs;
  completedAt?: EpochMs;
  leaseExpiresAt?: EpochMs;
}

export interface ClaimedTask extends Task {
  status: 'in_progress';
  claimedBy: string;
  /** Fencing token: complete/fail/heartbeat must present it. */
  token: string;
  leaseExpiresAt: EpochMs;
}

/**
 * A leased, multi-process-safe queue. Claims are atomic across processes; a claim holds a lease
 * (default 30 s) and a token. An expired lease makes the task claimable again (the expired attempt
 * counts); complete/fail/heartbeat with a stale token or an expired lease throw LeaseLostError.
 */
export interface TaskQueue {
  post(task: TaskInput): Promise<string>;
  claim(agentId: string, options?: { leaseMs?: number }): Promise<ClaimedTask | null>;
  complete(id: string, result: JsonValue, options: { token: string }): Promise<void>;
  /** Back to `pending` while attempts remain, else `failed` (kept for inspection). Returns the new status. */
  fail(id: string, error: string, options: { token: string }): Promise<TaskStatus>;
  /** Extends the lease; returns the new expiry. */
  heartbeat(id: string, token: string, options?: { leaseMs?: number }): Promise<EpochMs>;
  get(id: string): Promise<Task | undefined>;
  /** Newest first. */
  list(options?: { status?: TaskStatus; limit?: number }): Promise<Task[]>;
  /** Retention: deletes completed and failed tasks last updated more than `days` × 24 h ago; returns how many. Pending and in-progress tasks stay. */
  cleanupOlderThan(days: number): Promise<number>;
}
