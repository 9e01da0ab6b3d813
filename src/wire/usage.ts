/** Schemas of the usage store (LLM metering). */
import { z } from 'zod';
import type * as C from '../contracts/usage-store.js';
import { LIMITS } from '../core/limits.js';
import { EpochMs, Id, intQuery, named } from './common.js';

export const UsageInput = named(
  'UsageInput',
  z.strictObject({
    agentId: Id,
    model: z.string(),
    inputTokens: z.int().min(0).max(LIMITS.usageTokens),
    outputTokens: z.int().min(0).max(LIMITS.usageTokens),
    costUsd: z.number().min(0).max(LIMITS.usageCostUsd),
    toolCalls: z.int().min(0).max(LIMITS.usageToolCalls).optional(),
    timestamp: EpochMs.optional().describe('Default: the server clock\'s now.'),
  }) satisfies z.ZodType<C.UsageInput>,
);

export const AgentQuery = z.strictObject({ agentId: Id.optional().describe('Only this agent; absent = every agent.') });
export const DaysQuery = z.strictObject({ days: intQuery(1, 3660, 'Days including today.') });
export const CleanupBody = named('UsageCleanup', z.strictObject({ olderThanDays: z.int().min(0) }), 'Deletes events older than this many days.');

export const CostResponse = named('CostResponse', z.object({ costUsd: z.number() }));
export const UsageSummary = named(
  'UsageSummary',
  z.object({ totalInputTokens: z.int(), totalOutputTokens: z.int(), totalCostUsd: z.number(), callCount: z.int(), totalToolCalls: z.int() }) satisfies z.ZodType<C.UsageSummary>,
);
export const ModelUsageList = named(
  'ModelUsageList',
  z.object({
    models: z.array(z.object({ model: z.string(), totalCostUsd: z.number(), totalInputTokens: z.int(), totalOutputTokens: z.int(), callCount: z.int() }) satisfies z.ZodType<C.ModelUsage>),
  }),
);
export const DailyUsageList = named(
  'DailyUsageList',
  z.object({ days: z.array(z.object({ date: z.string().describe('UTC day, YYYY-MM-DD.'), costUsd: z.number(), tokens: z.int(), calls: z.int() }) satisfies z.ZodType<C.DailyUsage>) }),
);
export const FirstEvent = named('FirstEvent', z.object({ firstEventAt: EpochMs.nullable() }));
