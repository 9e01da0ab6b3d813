/** The usage store (LLM metering) under `/v1/usage…`. */
import type { MemorySubstrate } from '../../assembly/substrate.js';
import type { RouteTable } from '../route.js';
import { CountResponse, IdResponse } from '../../wire/common.js';
import {
  AgentQuery,
  CleanupBody,
  CostResponse,
  DailyUsageList,
  DaysQuery,
  FirstEvent,
  ModelUsageList,
  UsageInput,
  UsageSummary,
} from '../../wire/usage.js';

const USAGE = 'usage';

export function usageRoutes(table: RouteTable, mem: MemorySubstrate): void {
  table.add({
    method: 'POST',
    url: '/v1/usage',
    access: { scope: 'write', agents: ({ body }) => body.agentId },
    operationId: 'recordUsage',
    tag: USAGE,
    summary: 'Record one LLM call\'s usage; returns the event id.',
    body: UsageInput,
    status: 201,
    response: IdResponse,
    async handler({ body }) {
      return { id: await mem.usage.record(body) };
    },
  });

  const windows = [
    ['last-hour', 'costLastHour', 'Cost in the last hour, (now − 1 h, now].'],
    ['today', 'costToday', 'Cost since 00:00 UTC today.'],
    ['this-month', 'costThisMonth', 'Cost since 00:00 UTC on the first of this month.'],
  ] as const;
  for (const [path, method, summary] of windows) {
    table.add({
      method: 'GET',
      url: `/v1/usage/cost/${path}`,
      access: { scope: 'read', agents: ({ query }) => query.agentId, allAgents: ({ query }) => query.agentId === undefined },
      operationId: method,
      tag: USAGE,
      summary,
      query: AgentQuery,
      status: 200,
      response: CostResponse,
      async handler({ query }) {
        return { costUsd: await mem.usage[method](query.agentId) };
      },
    });
  }

  table.add({
    method: 'GET',
    url: '/v1/usage/summary',
    access: { scope: 'read', agents: ({ query }) => query.agentId, allAgents: ({ query }) => query.agentId === undefined },
    operationId: 'usageSummary',
    tag: USAGE,
    summary: 'Totals for one agent, or for every agent.',
    query: AgentQuery,
    status: 200,
    response: UsageSummary,
    async handler({ query }) {
      return mem.usage.summary(query.agentId);
    },
  });

  table.add({
    method: 'GET',
    url: '/v1/usage/by-model',
    access: { scope: 'admin' },
    operationId: 'usageByModel',
    tag: USAGE,
    summary: 'Totals per model, by total cost descending.',
    status: 200,
    response: ModelUsageList,
    async handler() {
      return { models: await mem.usage.byModel() };
    },
  });

  table.add({
    method: 'GET',
    url: '/v1/usage/daily',
    access: { scope: 'admin' },
    operationId: 'usageDaily',
    tag: USAGE,
    summary: 'One row per UTC day for the last `days` days including today, oldest first (zero-filled).',
    query: DaysQuery,
    status: 200,
    response: DailyUsageList,
    async handler({ query }) {
      return { days: await mem.usage.dailyBreakdown(query.days) };
    },
  });

  table.add({
    method: 'GET',
    url: '/v1/usage/first-event',
    access: { scope: 'admin' },
    operationId: 'usageFirstEvent',
    tag: USAGE,
    summary: 'When the first recorded event happened (null when none).',
    status: 200,
    response: FirstEvent,
    async handler() {
      return { firstEventAt: (await mem.usage.firstEventAt()) ?? null };
    },
  });

  table.add({
    method: 'POST',
    url: '/v1/usage/cleanup',
    access: { scope: 'admin' },
    operationId: 'usageCleanup',
    tag: USAGE,
    summary: 'Delete events older than `olderThanDays` days; returns how many.',
    body: CleanupBody,
    status: 200,
    response: CountResponse,
    async handler({ body }) {
      return { deleted: await mem.usage.cleanupOlderThan(body.olderThanDays) };
    },
  });
}
