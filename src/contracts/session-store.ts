import type { EpochMs, JsonValue } from './types.js';

export type MessageRole = 'system' | 'user' | 'assistant';

export type ContentBlock =
  | { type: 'text'; text: string }
  | { type: 'image'; mediaType: string; data?: string }
  | { type: 'tool_use'; id: string; name: string; input: JsonValue }
  | { type: 'tool_result'; toolUseId: string; toolName?: string; content: string; isError?: boolean }
  | { type: 'thinking'; thinking: string };

export interface Message {
  role: MessageRole;
  content: string | ContentBlock[];
}

export interface Session {
  id: string;
  agentId: string;
  messages: Message[];
  contextWindowTokens: number;
  label?: string;
  createdAt: EpochMs;
  updatedAt: EpochMs;
}

/** One line of a session listing — the same shape on every backend (OpenFang's G-8). */
export interface SessionSummary {
  id: string;
  agentId: string;
  label?: string;
  messageCount: number;
  createdAt: EpochMs;
  updatedAt: EpochMs;
}

export interface CanonicalSession {
  agentId: string;
  /** The post-compaction window. */
  messages: Message[];
  compactionCursor: number;
  compactedSummary?: string;
  updatedAt: EpochMs;
}

export interface CanonicalContext {
  summary?: string;
  messages: Message[];
}

export interface SessionStore {
  /** A new empty session. A label must be unique per agent (ConflictError). */
  create(agentId: string, options?: { label?: string }): Promise<Session>;
  get(id: string): Promise<Session | undefined>;
  /** Upsert of the whole session. */
  save(session: Session): Promise<void>;
  delete(id: string): Promise<boolean>;
  /** Deletes every regular session of the agent (not its canonical session); returns how many. */
  deleteForAgent(agentId: string): Promise<number>;
  /** Retention: deletes the sessions of every agent not updated for `days` × 24 h; returns how many. Canonical sessions stay. */
  cleanupOlderThan(days: number): Promise<number>;
  /** Newest first (createdAt desc, then id). */
  list(): Promise<SessionSummary[]>;
  listForAgent(agentId: string): Promise<SessionSummary[]>;
  /** `undefined` clears the label. NotFoundError for an unknown session. */
  setLabel(id: string, label: string | undefined): Promise<void>;
  findByLabel(agentId: string, label: string): Promise<Session | undefined>;

  /** The agent's canonical session; an empty one (not persisted) when none exists. */
  loadCanonical(agentId: string): Promise<CanonicalSession>;
  saveCanonical(session: CanonicalSession): Promise<void>;
  /**
   * Appends atomically (concurrent appends never lose messages) and compacts once the window exceeds
   * `threshold` (default 100): all but the last 50 messages are folded into the summary.
   */
  appendCanonical(agentId: string, messages: readonly Message[], options?: { threshold?: number }): Promise<CanonicalSession>;
  /** The summary and the last `window` (default 50) messages. */
  canonicalContext(agentId: string, options?: { window?: number }): Promise<CanonicalContext>;
  storeLlmSummary(agentId: string, summary: string, keptMessages: readonly Message[]): Promise<void>;
  deleteCanonical(agentId: string): Promise<boolean>;
}
