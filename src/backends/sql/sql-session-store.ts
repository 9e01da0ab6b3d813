import { sql } from 'kysely';
import type {
  CanonicalContext,
  CanonicalSession,
  Message,
  Session,
  SessionSummary,
} from '../../contracts/session-store.js';
import type { BackendSessionStore, Owner } from '../../contracts/main-backend.js';
import { compactCanonical, COMPACTION } from '../../core/compaction.js';
import { newId } from '../../core/ids.js';
import { DAY_MS } from '../../core/clock.js';
import { LIMITS } from '../../core/limits.js';
import type { Validator } from '../../core/validate.js';
import { ConflictError, NotFoundError } from '../../errors.js';
import { num, SqlStore, type SqlStoreContext } from './context.js';
import { prepare } from './prepared.js';
import type { CanonicalSessionsTable, SessionsTable } from './schema.js';

const ROLES = ['system', 'user', 'assistant'] as const;
const MAX_TOKENS = Number.MAX_SAFE_INTEGER;
/** `threshold` and `window` only need to be positive integers. */
const MAX_WINDOW = Number.MAX_SAFE_INTEGER;

type SummaryRow = Pick<SessionsTable, 'id' | 'agent_id' | 'label' | 'message_count' | 'created_at' | 'updated_at'>;

function toSession(row: SessionsTable): Session {
  return {
    id: row.id,
    agentId: row.agent_id,
    messages: JSON.parse(row.messages) as Message[],
    contextWindowTokens: num(row.context_window_tokens),
    label: row.label ?? undefined,
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
  };
}

function toSummary(row: SummaryRow): SessionSummary {
  return {
    id: row.id,
    agentId: row.agent_id,
    label: row.label ?? undefined,
    messageCount: num(row.message_count),
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
  };
}

function toCanonical(row: CanonicalSessionsTable): CanonicalSession {
  return {
    agentId: row.agent_id,
    messages: JSON.parse(row.messages) as Message[],
    compactionCursor: num(row.compaction_cursor),
    compactedSummary: row.compacted_summary ?? undefined,
    updatedAt: num(row.updated_at),
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks one content block's shape (the closed ContentBlock union). */
function checkBlock(v: Validator, path: string, block: unknown): void {
  if (!isPlainObject(block)) v.fail(`${path} must be a content block object`);
  const str = (key: string, optional = false): void => {
    const value = block[key];
    if (optional && value === undefined) return;
    if (typeof value !== 'string') v.fail(`${path}.${key} must be a string`);
  };
  switch (block['type']) {
    case 'text':
      return str('text');
    case 'image':
      str('mediaType');
      return str('data', true);
    case 'tool_use':
      str('id');
      str('name');
      if (!('input' in block)) v.fail(`${path}.input is required`);
      return;
    case 'tool_result':
      str('toolUseId');
      str('content');
      str('toolName', true);
      if (block['isError'] !== undefined && typeof block['isError'] !== 'boolean') v.fail(`${path}.isError must be a boolean`);
      return;
    case 'thinking':
      return str('thinking');
    default:
      v.fail(`${path}.type must be one of text, image, tool_use, tool_result, thinking`);
  }
}

/**
 * Validates a message list and serialises it (JSON text ≤ LIMITS.sessionBytes). Every message needs
 * a role (system | user | assistant) and content that is a string or an array of content blocks.
 */
function serialiseMessages(v: Validator, field: string, messages: unknown): { list: Message[]; text: string } {
  if (!Array.isArray(messages)) v.fail(`${field} must be an array of messages`);
  messages.forEach((message: unknown, i) => {
    const path = `${field}[${i}]`;
    if (!isPlainObject(message)) v.fail(`${path} must be a message object`);
    v.oneOf(`${path}.role`, message['role'], ROLES);
    const content = message['content'];
    if (typeof content === 'string') return;
    if (!Array.isArray(content)) v.fail(`${path}.content must be a string or an array of content blocks`);
    content.forEach((block: unknown, j) => checkBlock(v, `${path}.content[${j}]`, block));
  });
  return { list: messages as Message[], text: v.json(field, messages, LIMITS.sessionBytes) };
}

/**
 * Sessions and the per-agent canonical session on a SQL engine. Messages are JSON text; labels are
 * unique per agent (a partial unique index); the canonical append is one locked read-modify-write.
 */
export class SqlSessionStore extends SqlStore implements BackendSessionStore {
  private readonly qGet;
  private readonly qCanonical;
  private readonly qCanonicalLocked;
  private readonly qUpsertCanonical;

  constructor(ctx: SqlStoreContext) {
    super(ctx);
    const db = this.engine.db;
    this.qGet = prepare<'id', SessionsTable>((p) => db.selectFrom('sessions').selectAll().where('id', '=', p('id')));
    this.qCanonical = prepare<'agentId', CanonicalSessionsTable>((p) =>
      db.selectFrom('canonical_sessions').selectAll().where('agent_id', '=', p('agentId')),
    );
    this.qCanonicalLocked = prepare<'agentId', CanonicalSessionsTable>((p) =>
      db
        .selectFrom('canonical_sessions')
        .selectAll()
        .where('agent_id', '=', p('agentId'))
        .modifyEnd(sql.raw(this.engine.forUpdate)),
    );
    this.qUpsertCanonical = prepare<'agentId' | 'messages' | 'cursor' | 'summary' | 'updatedAt', unknown>((p) =>
      db
        .insertInto('canonical_sessions')
        .values({
          agent_id: p('agentId'),
          messages: p('messages'),
          compaction_cursor: p('cursor'),
          compacted_summary: p('summary'),
          updated_at: p('updatedAt'),
        })
        .onConflict((oc) =>
          oc.column('agent_id').doUpdateSet((eb) => ({
            messages: eb.ref('excluded.messages'),
            compaction_cursor: eb.ref('excluded.compaction_cursor'),
            compacted_summary: eb.ref('excluded.compacted_summary'),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        ),
    );
  }

  private label(value: unknown): string | undefined {
    return this.v.optionalText('label', value, LIMITS.labelLength);
  }

  private labelConflict(agentId: string, label: string): ConflictError {
    return new ConflictError(`agent ${agentId} already has a session labelled "${label}"`, { backend: this.engine.backendName });
  }

  /** Runs a write that may hit the per-agent label index, reporting a clash as ConflictError. */
  private async labelled<T>(action: string, agentId: string, label: string | undefined, fn: () => Promise<T>): Promise<T> {
    try {
      return await this.guard(action, fn);
    } catch (error) {
      if (label !== undefined && error instanceof ConflictError) throw this.labelConflict(agentId, label);
      throw error;
    }
  }

  /**
   * A new empty session (no messages, 0 tokens, createdAt = updatedAt = now).
   * @throws ValidationError for a bad agent id or label; ConflictError when the agent already has a session with that label.
   */
  async create(agentId: string, options: { label?: string } = {}): Promise<Session> {
    this.v.id('agentId', agentId);
    const label = this.label(options?.label);
    const now = this.clock();
    const session: Session = { id: newId(), agentId, messages: [], contextWindowTokens: 0, label, createdAt: now, updatedAt: now };
    await this.labelled('session create', agentId, label, () =>
      this.engine.run(
        this.engine.db
          .insertInto('sessions')
          .values({
            id: session.id,
            agent_id: agentId,
            label: label ?? null,
            messages: '[]',
            message_count: 0,
            context_window_tokens: 0,
            created_at: now,
            updated_at: now,
          })
          .compile(),
      ),
    );
    return session;
  }

  /** The session, or undefined. */
  async get(id: string): Promise<Session | undefined> {
    this.v.id('id', id);
    const row = await this.guard('session get', () => this.engine.first(this.qGet({ id })));
    return row ? toSession(row) : undefined;
  }

  /**
   * Upserts the whole session: messages, tokens and label are replaced, updatedAt becomes now;
   * createdAt is taken from the session on insert and kept on update.
   * @throws ValidationError for bad fields (messages over LIMITS.sessionBytes, bad roles or blocks…);
   *   ConflictError when the label is used by another session of the agent, or the id belongs to another agent.
   */
  async save(session: Session): Promise<void> {
    if (!isPlainObject(session)) this.v.fail('session must be an object');
    this.v.knownKeys('session.', session, ['id', 'agentId', 'messages', 'contextWindowTokens', 'label', 'createdAt', 'updatedAt']);
    const id = this.v.id('session.id', session.id);
    const agentId = this.v.id('session.agentId', session.agentId);
    const { list, text } = serialiseMessages(this.v, 'session.messages', session.messages);
    const tokens = this.v.int('session.contextWindowTokens', session.contextWindowTokens, 0, MAX_TOKENS);
    const label = this.label(session.label);
    const createdAt = this.v.timestamp('session.createdAt', session.createdAt);
    const now = this.clock();
    const changed = await this.labelled('session save', agentId, label, () =>
      this.engine.run(
        this.engine.db
          .insertInto('sessions')
          .values({
            id,
            agent_id: agentId,
            label: label ?? null,
            messages: text,
            message_count: list.length,
            context_window_tokens: tokens,
            created_at: createdAt,
            updated_at: now,
          })
          .onConflict((oc) =>
            oc
              .column('id')
              .doUpdateSet((eb) => ({
                label: eb.ref('excluded.label'),
                messages: eb.ref('excluded.messages'),
                message_count: eb.ref('excluded.message_count'),
                context_window_tokens: eb.ref('excluded.context_window_tokens'),
                updated_at: eb.ref('excluded.updated_at'),
              }))
              .where('sessions.agent_id', '=', agentId),
          )
          .compile(),
      ),
    );
    if (changed === 0) {
      throw new ConflictError(`session ${id} belongs to another agent`, { backend: this.engine.backendName });
    }
  }

  /** Deletes one session; false when it did not exist. */
  async delete(id: string): Promise<boolean> {
    return (await this.deleteFor(id)) !== undefined;
  }

  /** `delete`, returning the owner of the removed session (undefined when there was none). */
  async deleteFor(id: string): Promise<Owner | undefined> {
    this.v.id('id', id);
    const row = await this.guard('session delete', () =>
      this.engine.first(this.engine.db.deleteFrom('sessions').where('id', '=', id).returning('agent_id').compile()),
    );
    return row ? { agentId: row.agent_id } : undefined;
  }

  /** Deletes every regular session of the agent (its canonical session stays); returns how many. */
  async deleteForAgent(agentId: string): Promise<number> {
    this.v.id('agentId', agentId);
    return this.guard('session delete for agent', () =>
      this.engine.run(this.engine.db.deleteFrom('sessions').where('agent_id', '=', agentId).compile()),
    );
  }

  async cleanupOlderThan(days: number): Promise<number> {
    this.v.int('days', days, 0, LIMITS.maxRetentionDays);
    const cutoff = this.clock() - days * DAY_MS;
    return this.guard('session cleanup', () => this.engine.run(this.engine.db.deleteFrom('sessions').where('updated_at', '<', cutoff).compile()));
  }

  private summaries(agentId: string | undefined): Promise<SessionSummary[]> {
    return this.guard('session list', async () => {
      let q = this.engine.db
        .selectFrom('sessions')
        .select(['id', 'agent_id', 'label', 'message_count', 'created_at', 'updated_at']);
      if (agentId !== undefined) q = q.where('agent_id', '=', agentId);
      const rows = await this.engine.rows(q.orderBy('created_at', 'desc').orderBy('id', 'desc').compile());
      return rows.map(toSummary);
    });
  }

  /** Every session, newest first (createdAt desc, then id desc). */
  list(): Promise<SessionSummary[]> {
    return this.summaries(undefined);
  }

  /** The agent's sessions, newest first (createdAt desc, then id desc). */
  async listForAgent(agentId: string): Promise<SessionSummary[]> {
    this.v.id('agentId', agentId);
    return this.summaries(agentId);
  }

  /**
   * Sets (or with `undefined`, clears) the label and bumps updatedAt.
   * @throws NotFoundError for an unknown session; ConflictError when the agent already uses the label.
   */
  async setLabel(id: string, label: string | undefined): Promise<void> {
    await this.setLabelFor(id, label);
  }

  /** `setLabel`, returning the session's agent. */
  async setLabelFor(id: string, label: string | undefined): Promise<Owner> {
    this.v.id('id', id);
    const value = this.label(label);
    const now = this.clock();
    const row = await this.guard('session set label', () =>
      this.engine.first(
        this.engine.db.updateTable('sessions').set({ label: value ?? null, updated_at: now }).where('id', '=', id).returning('agent_id').compile(),
      ),
    );
    if (!row) throw new NotFoundError(`session ${id} does not exist`, { backend: this.engine.backendName });
    return { agentId: row.agent_id };
  }

  /** The agent's session with that label, or undefined. */
  async findByLabel(agentId: string, label: string): Promise<Session | undefined> {
    this.v.id('agentId', agentId);
    this.v.text('label', label, LIMITS.labelLength);
    const row = await this.guard('session find by label', () =>
      this.engine.first(
        this.engine.db.selectFrom('sessions').selectAll().where('agent_id', '=', agentId).where('label', '=', label).limit(1).compile(),
      ),
    );
    return row ? toSession(row) : undefined;
  }

  // ── canonical session ──

  /** The agent's canonical session; when none exists, an empty one (updatedAt = now) that is NOT persisted. */
  async loadCanonical(agentId: string): Promise<CanonicalSession> {
    this.v.id('agentId', agentId);
    const row = await this.guard('canonical load', () => this.engine.first(this.qCanonical({ agentId })));
    return row ? toCanonical(row) : this.emptyCanonical(agentId);
  }

  private emptyCanonical(agentId: string): CanonicalSession {
    return { agentId, messages: [], compactionCursor: 0, compactedSummary: undefined, updatedAt: this.clock() };
  }

  private summaryText(field: string, value: unknown): string | undefined {
    if (value === undefined || value === null) return undefined;
    return this.v.text(field, value, LIMITS.textLength, { allowEmpty: true });
  }

  /**
   * Upserts the canonical session as given (updatedAt becomes now).
   * @throws ValidationError for bad messages, a negative cursor or a summary over LIMITS.textLength.
   */
  async saveCanonical(session: CanonicalSession): Promise<void> {
    if (!isPlainObject(session)) this.v.fail('canonical session must be an object');
    this.v.knownKeys('session.', session, ['agentId', 'messages', 'compactionCursor', 'compactedSummary', 'updatedAt']);
    const agentId = this.v.id('session.agentId', session.agentId);
    const { text } = serialiseMessages(this.v, 'session.messages', session.messages);
    const cursor = this.v.int('session.compactionCursor', session.compactionCursor ?? 0, 0, MAX_TOKENS);
    const summary = this.summaryText('session.compactedSummary', session.compactedSummary);
    const updatedAt = this.clock();
    await this.guard('canonical save', () =>
      this.engine.run(this.qUpsertCanonical({ agentId, messages: text, cursor, summary: summary ?? null, updatedAt })),
    );
  }

  /**
   * Appends messages to the agent's canonical session in one locked read-modify-write (concurrent
   * appends never lose messages), then compacts as OpenFang does once the window holds more than
   * `threshold` (default 100) messages: all but the last 50 are folded into the summary.
   * @throws ValidationError for bad messages, a threshold that is not a positive integer, or a window over LIMITS.sessionBytes.
   */
  async appendCanonical(agentId: string, messages: readonly Message[], options: { threshold?: number } = {}): Promise<CanonicalSession> {
    this.v.id('agentId', agentId);
    const { list } = serialiseMessages(this.v, 'messages', messages);
    const threshold = this.v.int('threshold', options?.threshold ?? COMPACTION.threshold, 1, MAX_WINDOW);
    return this.guard('canonical append', () =>
      this.engine.transaction(async (tx) => {
        const row = await tx.first(this.qCanonicalLocked({ agentId }));
        const current = row ? toCanonical(row) : this.emptyCanonical(agentId);
        const next = compactCanonical({ ...current, messages: [...current.messages, ...list] }, threshold);
        const text = this.v.json('canonical messages', next.messages, LIMITS.sessionBytes);
        const updatedAt = this.clock();
        await tx.run(
          this.qUpsertCanonical({ agentId, messages: text, cursor: next.compactionCursor, summary: next.compactedSummary ?? null, updatedAt }),
        );
        return { agentId, messages: next.messages, compactionCursor: next.compactionCursor, compactedSummary: next.compactedSummary, updatedAt };
      }, { lock: `canonical:${agentId}` }),
    );
  }

  /** The summary and the last `window` (default 50, a positive integer) messages. Writes nothing. */
  async canonicalContext(agentId: string, options: { window?: number } = {}): Promise<CanonicalContext> {
    this.v.id('agentId', agentId);
    const window = this.v.int('window', options?.window ?? COMPACTION.keep, 1, MAX_WINDOW);
    const canonical = await this.loadCanonical(agentId);
    return { summary: canonical.compactedSummary, messages: canonical.messages.slice(-window) };
  }

  /** Replaces the summary and the window (cursor 0, updatedAt now) — for an LLM-written summary. */
  async storeLlmSummary(agentId: string, summary: string, keptMessages: readonly Message[]): Promise<void> {
    this.v.id('agentId', agentId);
    const text = this.v.text('summary', summary, LIMITS.textLength, { allowEmpty: true });
    const kept = serialiseMessages(this.v, 'keptMessages', keptMessages);
    const updatedAt = this.clock();
    await this.guard('canonical store summary', () =>
      this.engine.run(this.qUpsertCanonical({ agentId, messages: kept.text, cursor: 0, summary: text, updatedAt })),
    );
  }

  /** Deletes the canonical session; false when there was none. */
  async deleteCanonical(agentId: string): Promise<boolean> {
    this.v.id('agentId', agentId);
    const changed = await this.guard('canonical delete', () =>
      this.engine.run(this.engine.db.deleteFrom('canonical_sessions').where('agent_id', '=', agentId).compile()),
    );
    return changed > 0;
  }
}
