import type { EpochMs } from './types.js';

export interface UsageInput {
  agentId: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  toolCalls?: number;
  /** Defaults to the substrate clock's now. */
  timestamp?: EpochMs;
}

export interface UsageSummary {
  totalInputTokens: number;
  totalOutputTokens: number;
  totalCostUsd: number;
  callCount: number;
  totalToolCalls: number;
}

export interface ModelUsage {
  model: string;
  totalCostUsd: number;
  totalInputTokens: number;
  totalOutputTokens: number;
  callCount: number;
}

export interface DailyUsage {
  /** UTC calendar day, `YYYY-MM-DD`. */
  date: string;
  costUsd: number;
  /** input + output tokens. */
  tokens: number;
  calls: number;
}

/**
 * LLM usage metering. Windows are exact and UTC on every backend: the last hour is (now − 1 h, now],
 * today starts at 00:00 UTC, this month at 00:00 UTC of its first day.
 */
export interface UsageStore {
  /** Returns the event id. */
  record(usage: UsageInput): Promise<string>;
  costLastHour(agentId?: string): Promise<number>;
  costToday(agentId?: string): Promise<number>;
  costThisMonth(agentId?: string): Promise<number>;
  summary(agentId?: string): Promise<UsageSummary>;
  /** Ordered by total cost descending, then model. */
  byModel(): Promise<ModelUsage[]>;
  /** One row per UTC calendar day for the last `days` days including today, oldest first (zero-filled). */
  dailyBreakdown(days: number): Promise<DailyUsage[]>;
  firstEventAt(): Promise<EpochMs | undefined>;
  /** Deletes events older than `days` days; returns how many. */
  cleanupOlderThan(days: number): Promise<number>;
}
