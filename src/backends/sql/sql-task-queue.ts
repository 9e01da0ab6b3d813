import { sql } from 'kysely';
import type { BackendTaskQueue } from '../../contracts/main-backend.js';
import { TASK_STATUSES, type ClaimedTask, type Task, type TaskInput, type TaskStatus } from '../../contracts/task-queue.js';
import type { EpochMs, JsonValue } from '../../contracts/types.js';
import { newId } from '../../core/ids.js';
import { DAY_MS } from '../../core/clock.js';
import { LIMITS } from '../../core/limits.js';
import { LeaseLostError, NotFoundError } from '../../errors.js';
import { num, optNum, SqlStore, type SqlStoreContext } from './context.js';
import { prepare } from './prepared.js';
import type { TasksTable } from './schema.js';

/** Defaults and bounds of the queue (identical on every backend). */
export const TASK_LIMITS = {
  titleBytes: 1024,
  defaultLeaseMs: 30_000,
  maxLeaseMs: 86_400_000,
  defaultMaxAttempts: 3,
  maxAttempts: 100,
  /** Priorities fit a 32-bit integer column on every engine. */
  minPriority: -2_147_483_648,
  maxPriority: 2_147_483_647,
  defaultListLimit: 100,
} as const;

function toTask(row: TasksTable): Task {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    status: row.status as TaskStatus,
    priority: num(row.priority),
    assignedTo: row.assigned_to ?? undefined,
    createdBy: row.created_by ?? undefined,
    claimedBy: row.claimed_by ?? undefined,
    attempts: num(row.attempts),
    maxAttempts: num(row.max_attempts),
    ...(row.payload === null || row.payload === undefined ? {} : { payload: JSON.parse(row.payload) as JsonValue }),
    result: row.result === null ? undefined : (JSON.parse(row.result) as JsonValue),
    error: row.error ?? undefined,
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
    completedAt: optNum(row.completed_at),
    leaseExpiresAt: optNum(row.lease_expires_at),
  };
}

/**
 * The leased task queue on a SQL engine (OpenFang's G-7 fixed). A claim is one exclusive
 * transaction: tasks whose lease expired with no attempts left are failed, then a single
 * `UPDATE … WHERE id = (SELECT … LIMIT 1 [FOR UPDATE SKIP LOCKED]) RETURNING *` takes the best
 * claimable task. complete/fail/heartbeat are single statements fenced by the lease token and expiry.
 */
export class SqlTaskQueue extends SqlStore implements BackendTaskQueue {
  private readonly qExpire;
  private readonly qClaim;
  private readonly qComplete;
  private readonly qFail;
  private readonly qHeartbeat;
  private readonly qGet;

  constructor(ctx: SqlStoreContext) {
    super(ctx);
    const db = this.engine.db;
    const lock = this.engine.dialect === 'postgres' ? `${this.engine.forUpdate} SKIP LOCKED` : this.engine.forUpdate;

    this.qExpire = prepare<'now', unknown>((p) =>
      db
        .updateTable('tasks')
        .set({ status: 'failed', error: 'lease expired', lease_token: null, lease_expires_at: null, updated_at: p('now') })
        .where('status', '=', 'in_progress')
        .where('lease_expires_at', '<=', p('now'))
        .where((eb) => eb('attempts', '>=', eb.ref('max_attempts'))),
    );

    this.qClaim = prepare<'agentId' | 'token' | 'now' | 'expires', TasksTable>((p) =>
      db
        .updateTable('tasks')
        .set((eb) => ({
          status: 'in_progress',
          claimed_by: p('agentId'),
          lease_token: p('token'),
          lease_expires_at: p('expires'),
          attempts: eb('attempts', '+', 1),
          updated_at: p('now'),
        }))
        .where('id', '=', (eb) =>
          eb
            .selectFrom('tasks as candidate')
            .select('candidate.id')
            .where((w) =>
              w.or([
                w('candidate.status', '=', 'pending'),
                w.and([w('candidate.status', '=', 'in_progress'), w('candidate.lease_expires_at', '<=', p('now'))]),
              ]),
            )
            .where((w) => w.or([w('candidate.assigned_to', 'is', null), w('candidate.assigned_to', '=', p('agentId'))]))
            .orderBy('candidate.priority', 'desc')
            .orderBy('candidate.created_at', 'asc')
            .orderBy('candidate.id', 'asc')
            .limit(1)
            .modifyEnd(sql.raw(lock)),
        )
        .returningAll(),
    );

    // complete / fail / heartbeat share one fence: in progress, same token, lease not yet expired.
    this.qComplete = prepare<'id' | 'token' | 'now' | 'result', { claimed_by: string | null }>((p) =>
      db
        .updateTable('tasks')
        .set({ status: 'completed', result: p('result'), completed_at: p('now'), updated_at: p('now'), lease_token: null, lease_expires_at: null })
        .where('id', '=', p('id'))
        .where('status', '=', 'in_progress')
        .where('lease_token', '=', p('token'))
        .where('lease_expires_at', '>', p('now'))
        .returning('claimed_by'),
    );

    this.qFail = prepare<'id' | 'token' | 'now' | 'error', { status: string; claimed_by: string | null }>((p) =>
      db
        .updateTable('tasks')
        .set((eb) => ({
          status: eb.case().when('attempts', '<', eb.ref('max_attempts')).then('pending').else('failed').end(),
          error: p('error'),
          updated_at: p('now'),
          lease_token: null,
          lease_expires_at: null,
        }))
        .where('id', '=', p('id'))
        .where('status', '=', 'in_progress')
        .where('lease_token', '=', p('token'))
        .where('lease_expires_at', '>', p('now'))
        .returning(['status', 'claimed_by']),
    );

    this.qHeartbeat = prepare<'id' | 'token' | 'now' | 'expires', { claimed_by: string | null }>((p) =>
      db
        .updateTable('tasks')
        .set({ lease_expires_at: p('expires'), updated_at: p('now') })
        .where('id', '=', p('id'))
        .where('status', '=', 'in_progress')
        .where('lease_token', '=', p('token'))
        .where('lease_expires_at', '>', p('now'))
        .returning('claimed_by'),
    );

    this.qGet = prepare<'id', TasksTable>((p) => db.selectFrom('tasks').selectAll().where('id', '=', p('id')));
  }

  private leaseMs(value: number | undefined): number {
    return value === undefined ? TASK_LIMITS.defaultLeaseMs : this.v.int('leaseMs', value, 1, TASK_LIMITS.maxLeaseMs);
  }

  private optionalId(field: string, value: unknown): string | undefined {
    return value === undefined || value === null ? undefined : this.v.id(field, value);
  }

  /** After a fenced write changed nothing: NotFoundError for an unknown id, LeaseLostError otherwise. */
  private async lostLease(id: string, action: string): Promise<never> {
    const row = await this.guard(`task ${action}`, () => this.engine.first(this.qGet({ id })));
    if (!row) throw new NotFoundError(`task ${id} does not exist`, { backend: this.engine.backendName });
    throw new LeaseLostError(`cannot ${action} task ${id}: the lease was lost (stale token, expired lease, or task not in progress)`, {
      backend: this.engine.backendName,
    });
  }

  /**
   * Posts a pending task; returns its id. Defaults: description '', priority 0, maxAttempts 3.
   * @throws ValidationError for an empty or over-long title (1024 bytes), a description over
   *   LIMITS.textLength, a non-integer priority, maxAttempts outside 1..100, or bad agent ids.
   */
  async post(task: TaskInput): Promise<string> {
    if (typeof task !== 'object' || task === null || Array.isArray(task)) this.v.fail('task must be an object');
    this.v.knownKeys('', task, ['title', 'description', 'assignedTo', 'createdBy', 'priority', 'maxAttempts', 'payload']);
    const title = this.v.text('title', task.title, TASK_LIMITS.titleBytes);
    const description = this.v.text('description', task.description ?? '', LIMITS.textLength, { allowEmpty: true });
    const assignedTo = this.optionalId('assignedTo', task.assignedTo);
    const createdBy = this.optionalId('createdBy', task.createdBy);
    const priority = this.v.int('priority', task.priority ?? 0, TASK_LIMITS.minPriority, TASK_LIMITS.maxPriority);
    const maxAttempts = this.v.int('maxAttempts', task.maxAttempts ?? TASK_LIMITS.defaultMaxAttempts, 1, TASK_LIMITS.maxAttempts);
    const payload = task.payload === undefined ? null : this.v.json('payload', task.payload, LIMITS.valueBytes);
    const id = newId();
    const now = this.clock();
    await this.guard('task post', () =>
      this.engine.run(
        this.engine.db
          .insertInto('tasks')
          .values({
            id,
            title,
            description,
            status: 'pending',
            priority,
            assigned_to: assignedTo ?? null,
            created_by: createdBy ?? null,
            claimed_by: null,
            lease_token: null,
            lease_expires_at: null,
            attempts: 0,
            max_attempts: maxAttempts,
            result: null,
            error: null,
            payload,
            created_at: now,
            updated_at: now,
            completed_at: null,
          })
          .compile(),
      ),
    );
    return id;
  }

  /**
   * Atomically (across processes) claims the highest-priority, oldest claimable task: pending, or in
   * progress with an expired lease, and unassigned or assigned to `agentId`. The claim counts as an
   * attempt and holds a lease of `leaseMs` (default 30 000, 1..86 400 000). Tasks whose lease expired
   * with no attempts left become `failed` ('lease expired') first. Returns null when nothing is claimable.
   */
  async claim(agentId: string, options: { leaseMs?: number } = {}): Promise<ClaimedTask | null> {
    this.v.id('agentId', agentId);
    const leaseMs = this.leaseMs(options?.leaseMs);
    const token = newId();
    return this.guard('task claim', () =>
      this.engine.transaction(async (tx) => {
        const now = this.clock();
        const expires = now + leaseMs;
        await tx.run(this.qExpire({ now }));
        const row = await tx.first(this.qClaim({ agentId, token, now, expires }));
        if (!row) return null;
        return { ...toTask(row), status: 'in_progress', claimedBy: agentId, token, leaseExpiresAt: expires } satisfies ClaimedTask;
      }),
    );
  }

  /**
   * Marks the task completed with `result` (any JSON value ≤ LIMITS.valueBytes).
   * @throws NotFoundError for an unknown id; LeaseLostError when the task is not in progress, the
   *   token is stale or the lease has expired; ValidationError for a result JSON cannot hold.
   */
  async complete(id: string, result: JsonValue, options: { token: string }): Promise<void> {
    await this.completeFor(id, result, options);
  }

  /** `complete`, returning the agent that held the lease (for the audit entry, without another read). */
  async completeFor(id: string, result: JsonValue, options: { token: string }): Promise<{ claimedBy: string | undefined }> {
    this.v.id('id', id);
    const text = this.v.json('result', result, LIMITS.valueBytes);
    const token = this.v.id('token', options?.token);
    const row = await this.guard('task complete', () => this.engine.first(this.qComplete({ id, token, now: this.clock(), result: text })));
    if (!row) return this.lostLease(id, 'complete');
    return { claimedBy: row.claimed_by ?? undefined };
  }

  /**
   * Records a failed attempt: back to `pending` (lease cleared, error kept) while attempts remain,
   * else `failed` for good. Returns the new status. Same fencing and errors as `complete`.
   */
  async fail(id: string, error: string, options: { token: string }): Promise<TaskStatus> {
    return (await this.failFor(id, error, options)).status;
  }

  /** `fail`, also returning the agent that held the lease. */
  async failFor(id: string, error: string, options: { token: string }): Promise<{ status: TaskStatus; claimedBy: string | undefined }> {
    this.v.id('id', id);
    const message = this.v.text('error', error, LIMITS.textLength, { allowEmpty: true });
    const token = this.v.id('token', options?.token);
    const row = await this.guard('task fail', () => this.engine.first(this.qFail({ id, token, now: this.clock(), error: message })));
    if (!row) return this.lostLease(id, 'fail');
    return { status: row.status as TaskStatus, claimedBy: row.claimed_by ?? undefined };
  }

  /**
   * Extends the lease to now + `leaseMs` (default 30 000); returns the new expiry. Same fencing and
   * errors as `complete`.
   */
  async heartbeat(id: string, token: string, options: { leaseMs?: number } = {}): Promise<EpochMs> {
    return (await this.heartbeatFor(id, token, options)).leaseExpiresAt;
  }

  /** `heartbeat`, also returning the agent that holds the lease. */
  async heartbeatFor(id: string, token: string, options: { leaseMs?: number } = {}): Promise<{ leaseExpiresAt: EpochMs; claimedBy: string | undefined }> {
    this.v.id('id', id);
    this.v.id('token', token);
    const leaseMs = this.leaseMs(options?.leaseMs);
    const now = this.clock();
    const expires = now + leaseMs;
    const row = await this.guard('task heartbeat', () => this.engine.first(this.qHeartbeat({ id, token, now, expires })));
    if (!row) return this.lostLease(id, 'heartbeat');
    return { leaseExpiresAt: expires, claimedBy: row.claimed_by ?? undefined };
  }

  /** The task, or undefined. */
  async get(id: string): Promise<Task | undefined> {
    this.v.id('id', id);
    const row = await this.guard('task get', () => this.engine.first(this.qGet({ id })));
    return row ? toTask(row) : undefined;
  }

  async cleanupOlderThan(days: number): Promise<number> {
    this.v.int('days', days, 0, LIMITS.maxRetentionDays);
    const cutoff = this.clock() - days * DAY_MS;
    return this.guard('task cleanup', () =>
      this.engine.run(this.engine.db.deleteFrom('tasks').where('status', 'in', ['completed', 'failed']).where('updated_at', '<', cutoff).compile()),
    );
  }

  /** Tasks newest first (createdAt desc, then id desc), optionally of one status; limit default 100 (1..LIMITS.maxListLimit). */
  async list(options: { status?: TaskStatus; limit?: number } = {}): Promise<Task[]> {
    const status = options?.status === undefined ? undefined : this.v.oneOf('status', options.status, TASK_STATUSES);
    const limit = this.v.int('limit', options?.limit ?? TASK_LIMITS.defaultListLimit, 1, LIMITS.maxListLimit);
    return this.guard('task list', async () => {
      let q = this.engine.db.selectFrom('tasks').selectAll();
      if (status !== undefined) q = q.where('status', '=', status);
      const rows = await this.engine.rows(q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).compile());
      return rows.map(toTask);
    });
  }
}
