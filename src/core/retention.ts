import type { CountQuery } from '../contracts/semantic-store.js';
import { DAY_MS } from './clock.js';

/**
 * Retention: how long each store keeps what it holds, in days (unset = forever). The audit log is
 * never pruned by it (each removal is itself recorded there).
 */
export interface RetentionPolicy {
  /** Memories created more than this many days ago. */
  memoriesDays?: number;
  /** Sessions not updated for this many days (canonical sessions stay). */
  sessionsDays?: number;
  /** LLM usage events older than this many days. */
  usageDays?: number;
  /** Completed and failed tasks last updated this many days ago. */
  taskResultsDays?: number;
}

export interface RetentionReport {
  kvExpired: number;
  /** Memories past their expiresAt / ttlMs. */
  memoriesExpired: number;
  memories: number;
  sessions: number;
  usageEvents: number;
  taskResults: number;
}

/** The stores retention prunes, each through its audited method (one audit entry per store that removed something). */
export interface RetentionTargets {
  structured: { purgeExpired(): Promise<number> };
  semantic: { deleteWhere(query: CountQuery): Promise<number>; purgeExpired(): Promise<number> };
  sessions: { cleanupOlderThan(days: number): Promise<number> };
  usage: { cleanupOlderThan(days: number): Promise<number> };
  tasks: { cleanupOlderThan(days: number): Promise<number> };
}

/** Removes what has expired (KV entries and memories with a ttl) and what the policy no longer keeps. */
export async function runRetention(stores: RetentionTargets, policy: RetentionPolicy, now: number): Promise<RetentionReport> {
  const kvExpired = await stores.structured.purgeExpired();
  const memoriesExpired = await stores.semantic.purgeExpired();
  const memories =
    policy.memoriesDays === undefined ? 0 : await stores.semantic.deleteWhere({ allAgents: true, filter: { before: now - policy.memoriesDays * DAY_MS } });
  const sessions = policy.sessionsDays === undefined ? 0 : await stores.sessions.cleanupOlderThan(policy.sessionsDays);
  const usageEvents = policy.usageDays === undefined ? 0 : await stores.usage.cleanupOlderThan(policy.usageDays);
  const taskResults = policy.taskResultsDays === undefined ? 0 : await stores.tasks.cleanupOlderThan(policy.taskResultsDays);
  return { kvExpired, memoriesExpired, memories, sessions, usageEvents, taskResults };
}
