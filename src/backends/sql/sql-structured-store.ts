import { sql } from 'kysely';
import type { AgentEntry, KvEntry, KvSetOptions, StructuredStore } from '../../contracts/structured-store.js';
import type { JsonValue } from '../../contracts/types.js';
import { LIMITS } from '../../core/limits.js';
import { num, SqlStore, type SqlStoreContext } from './context.js';
import { prepare } from './prepared.js';

/** Longest agent name accepted by the registry (characters and UTF-8 bytes). */
const AGENT_NAME_BYTES = 1024;

/**
 * Per-agent key/value memory and the agent registry on a SQL engine. KV get/set/delete are the hot
 * path: their SQL is compiled once, and `set` is a single upsert statement (no transaction, no read
 * before write) that returns the key's new version.
 */
/** Longest ttlMs: 100 years. */
const MAX_TTL_MS = 100 * 365 * 86_400_000;

export class SqlStructuredStore extends SqlStore implements StructuredStore {
  private readonly qGet;
  private readonly qSet;
  private readonly qDelete;

  constructor(ctx: SqlStoreContext) {
    super(ctx);
    const db = this.engine.db;
    this.qGet = prepare<'agentId' | 'key' | 'now', { value: string }>((p) =>
      db
        .selectFrom('kv')
        .select('value')
        .where('agent_id', '=', p('agentId'))
        .where('key', '=', p('key'))
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', p('now'))])),
    );
    // An entry that expired counts as absent: writing it again starts over at version 1.
    this.qSet = prepare<'agentId' | 'key' | 'value' | 'now' | 'expiresAt', { version: number }>((p) =>
      db
        .insertInto('kv')
        .values({ agent_id: p('agentId'), key: p('key'), value: p('value'), version: sql.lit(1), updated_at: p('now'), expires_at: p('expiresAt') })
        .onConflict((oc) =>
          oc.columns(['agent_id', 'key']).doUpdateSet((eb) => ({
            value: eb.ref('excluded.value'),
            version: sql<number>`case when ${sql.ref('kv.expires_at')} is not null and ${sql.ref('kv.expires_at')} <= ${sql.ref('excluded.updated_at')} then 1 else ${sql.ref('kv.version')} + 1 end`,
            updated_at: eb.ref('excluded.updated_at'),
            expires_at: eb.ref('excluded.expires_at'),
          })),
        )
        .returning('version'),
    );
    this.qDelete = prepare<'agentId' | 'key', { expires_at: number | null }>((p) =>
      db.deleteFrom('kv').where('agent_id', '=', p('agentId')).where('key', '=', p('key')).returning('expires_at'),
    );
  }

  /**
   * The value stored under `key` for the agent, or `undefined` when the key is not set.
   * @throws ValidationError for an empty/over-long agent id or key.
   */
  async get(agentId: string, key: string): Promise<JsonValue | undefined> {
    this.v.id('agentId', agentId);
    this.checkKey(key);
    try {
      const row = await this.engine.first(this.qGet({ agentId, key, now: this.clock() }));
      return row === undefined ? undefined : (JSON.parse(row.value) as JsonValue);
    } catch (error) {
      throw this.engine.mapError(error, 'kv get');
    }
  }

  /**
   * Upserts `value` under `key`; returns the new version (1 on the first write, +1 on each overwrite).
   * @throws ValidationError for a bad id or key, or a value JSON cannot hold faithfully (undefined,
   *   NaN/Infinity, functions, class instances, cycles) or larger than LIMITS.valueBytes; nothing is written.
   */
  async set(agentId: string, key: string, value: JsonValue, options: KvSetOptions = {}): Promise<number> {
    this.v.id('agentId', agentId);
    this.checkKey(key);
    const text = this.v.json('value', value, LIMITS.valueBytes);
    if (typeof options !== 'object' || options === null) this.v.fail('options must be an object');
    this.v.knownKeys('options.', options, ['ttlMs', 'expiresAt']);
    if (options.ttlMs !== undefined && options.expiresAt !== undefined) this.v.fail('give either ttlMs or expiresAt, not both');
    const now = this.clock();
    const expiresAt =
      options.ttlMs !== undefined ? now + this.v.int('ttlMs', options.ttlMs, 1, MAX_TTL_MS) : options.expiresAt !== undefined ? this.v.timestamp('expiresAt', options.expiresAt) : null;
    try {
      const row = await this.engine.first(this.qSet({ agentId, key, value: text, now, expiresAt }));
      return num(row?.version);
    } catch (error) {
      throw this.engine.mapError(error, 'kv set');
    }
  }

  /** Removes the key; true when a value was removed. @throws ValidationError for a bad id or key. */
  async delete(agentId: string, key: string): Promise<boolean> {
    this.v.id('agentId', agentId);
    this.checkKey(key);
    try {
      const now = this.clock();
      // An expired entry is removed too, but it was already absent: nothing "was removed".
      return (await this.engine.rows(this.qDelete({ agentId, key }))).some((r) => r.expires_at === null || num(r.expires_at) > now);
    } catch (error) {
      throw this.engine.mapError(error, 'kv delete');
    }
  }

  /** Deletes every agent's entries that have expired (retention); returns how many. */
  async purgeExpired(): Promise<number> {
    const now = this.clock();
    return this.guard('kv purge expired', () =>
      this.engine.run(this.engine.db.deleteFrom('kv').where('expires_at', 'is not', null).where('expires_at', '<=', now).compile()),
    );
  }

  /** Every entry of the agent, ordered by key. @throws ValidationError for a bad agent id. */
  async list(agentId: string): Promise<KvEntry[]> {
    this.v.id('agentId', agentId);
    return this.guard('kv list', async () => {
      const rows = await this.engine.rows(
        this.engine.db
          .selectFrom('kv')
          .select(['key', 'value', 'version', 'updated_at'])
          .where('agent_id', '=', agentId)
          .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', this.clock())]))
          .orderBy('key')
          .compile(),
      );
      return rows.map((r) => ({ key: r.key, value: JSON.parse(r.value) as JsonValue, version: num(r.version), updatedAt: num(r.updated_at) }));
    });
  }

  /**
   * Registers or replaces an agent. The whole entry is stored as one JSON document, so every field
   * comes back exactly as saved; top-level fields whose value is `undefined` are dropped (JSON has no
   * `undefined`). The first save's creation time is kept on later saves.
   * @throws ValidationError when `id`/`name` are not non-empty strings or a field is not JSON; nothing is written.
   */
  async saveAgent(entry: AgentEntry): Promise<void> {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) this.v.fail('agent entry must be an object');
    const id = this.v.id('entry.id', entry.id);
    const name = this.v.text('entry.name', entry.name, AGENT_NAME_BYTES);
    const defined = Object.fromEntries(Object.entries(entry).filter(([, value]) => value !== undefined));
    const text = this.v.json('entry', defined, LIMITS.valueBytes);
    const now = this.clock();
    await this.guard('agent save', async () => {
      await this.engine.run(
        this.engine.db
          .insertInto('agents')
          .values({ id, name, entry: text, created_at: now, updated_at: now })
          .onConflict((oc) =>
            oc.column('id').doUpdateSet((eb) => ({
              name: eb.ref('excluded.name'),
              entry: eb.ref('excluded.entry'),
              updated_at: eb.ref('excluded.updated_at'),
            })),
          )
          .compile(),
      );
    });
  }

  /** The entry exactly as saved, or `undefined`. @throws ValidationError for a bad id. */
  async loadAgent(id: string): Promise<AgentEntry | undefined> {
    this.v.id('id', id);
    return this.guard('agent load', async () => {
      const row = await this.engine.first(this.engine.db.selectFrom('agents').select('entry').where('id', '=', id).compile());
      return row === undefined ? undefined : (JSON.parse(row.entry) as AgentEntry);
    });
  }

  /** Deletes the registry entry only (KV, memories, sessions stay); true when one was removed. */
  async removeAgent(id: string): Promise<boolean> {
    this.v.id('id', id);
    return this.guard('agent remove', async () => {
      return (await this.engine.run(this.engine.db.deleteFrom('agents').where('id', '=', id).compile())) > 0;
    });
  }

  /** Every registered agent, ordered by name, then id. */
  async listAgents(): Promise<AgentEntry[]> {
    return this.guard('agent list', async () => {
      const rows = await this.engine.rows(
        this.engine.db.selectFrom('agents').select('entry').orderBy('name').orderBy('id').compile(),
      );
      return rows.map((r) => JSON.parse(r.entry) as AgentEntry);
    });
  }

  private checkKey(key: unknown): void {
    if (typeof key !== 'string' || key.length === 0) this.v.fail('key must be a non-empty string');
    this.v.text('key', key, LIMITS.keyLength);
  }
}
