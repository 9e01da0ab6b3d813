import type { EpochMs, JsonValue } from './types.js';

export interface KvEntry {
  key: string;
  value: JsonValue;
  /** Starts at 1, +1 on every overwrite. */
  version: number;
  updatedAt: EpochMs;
}

/**
 * A registered agent. `id` and `name` are required; every other field is kept exactly as saved
 * (the whole entry persists — OpenFang's G-13 lost tags, parent, mode, …).
 */
export interface AgentEntry {
  id: string;
  name: string;
  [field: string]: JsonValue | undefined;
}

export interface KvSetOptions {
  /** Milliseconds from now after which the entry reads as absent. */
  ttlMs?: number;
  /** Epoch ms after which the entry reads as absent (not together with ttlMs). */
  expiresAt?: EpochMs;
}

/** Per-agent key/value memory plus the agent registry. */
export interface StructuredStore {
  /** The value, or `undefined` when the key is not set. */
  get(agentId: string, key: string): Promise<JsonValue | undefined>;
  /**
   * Upsert; returns the key's new version (1 on first write, and on the first write after it
   * expired). `ttlMs` or `expiresAt` make the entry read as absent from then on; a set without
   * either keeps it forever.
   */
  set(agentId: string, key: string, value: JsonValue, options?: KvSetOptions): Promise<number>;
  /** True when a value was removed. */
  delete(agentId: string, key: string): Promise<boolean>;
  /** Every entry of the agent, ordered by key. */
  list(agentId: string): Promise<KvEntry[]>;
  /** Deletes the entries of every agent that have expired; returns how many (retention). */
  purgeExpired(): Promise<number>;

  saveAgent(entry: AgentEntry): Promise<void>;
  loadAgent(id: string): Promise<AgentEntry | undefined>;
  removeAgent(id: string): Promise<boolean>;
  /** Ordered by name, then id. */
  listAgents(): Promise<AgentEntry[]>;
}
