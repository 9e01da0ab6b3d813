import type { AuditLog } from '../contracts/audit-log.js';
import type { BackendTaskQueue } from '../contracts/main-backend.js';
import type { ClaimedTask, Task, TaskInput, TaskQueue, TaskStatus } from '../contracts/task-queue.js';
import type { EpochMs, JsonValue } from '../contracts/types.js';

/** A TaskQueue whose every state change also appends an audit entry. */
export class AuditedTaskQueue implements TaskQueue {
  constructor(private readonly inner: BackendTaskQueue, private readonly audit: AuditLog) {}

  private record(agentId: string | undefined, action: string, detail: object): Promise<unknown> {
    return this.audit.append({ agentId: agentId ?? '', action, detail: JSON.stringify(detail), outcome: 'ok' });
  }

  async post(task: TaskInput): Promise<string> {
    const id = await this.inner.post(task);
    await this.record(task.createdBy, 'task.post', { id, assignedTo: task.assignedTo ?? null });
    return id;
  }

  async claim(agentId: string, options?: { leaseMs?: number }): Promise<ClaimedTask | null> {
    const task = await this.inner.claim(agentId, options);
    if (task) await this.record(agentId, 'task.claim', { id: task.id, attempt: task.attempts });
    return task;
  }

  async complete(id: string, result: JsonValue, options: { token: string }): Promise<void> {
    const { claimedBy } = await this.inner.completeFor(id, result, options);
    await this.record(claimedBy, 'task.complete', { id });
  }

  async fail(id: string, error: string, options: { token: string }): Promise<TaskStatus> {
    const { status, claimedBy } = await this.inner.failFor(id, error, options);
    await this.record(claimedBy, 'task.fail', { id, status });
    return status;
  }

  heartbeat(id: string, token: string, options?: { leaseMs?: number }): Promise<EpochMs> {
    return this.inner.heartbeat(id, token, options);
  }

  get(id: string): Promise<Task | undefined> {
    return this.inner.get(id);
  }

  list(options?: { status?: TaskStatus; limit?: number }): Promise<Task[]> {
    return this.inner.list(options);
  }
}
