import { sql } from 'kysely';
import type { DailyUsage, ModelUsage, UsageInput, UsageStore, UsageSummary } from '../../contracts/usage-store.js';
import type { EpochMs } from '../../contracts/types.js';
import { DAY_MS, HOUR_MS, startOfUtcDay, startOfUtcMonth, utcDate } from '../../core/clock.js';
import { newId } from '../../core/ids.js';
import { LIMITS } from '../../core/limits.js';
import { num, optNum, SqlStore } from './context.js';

const MODEL_LENGTH = 256;
const MAX_BREAKDOWN_DAYS = 3660;

/**
 * A column's sum in double precision, on every engine: SQLite's integer sum() fails with "integer
 * overflow" past 2^63 and PostgreSQL's numeric sum outgrows a JS number; a double never overflows at
 * the bounded inputs and is exact for integers up to 2^53.
 */
function total(column: 'input_tokens' | 'output_tokens' | 'cost_usd' | 'tool_calls') {
  return sql<number>`sum(cast(${sql.ref(column)} as double precision))`;
}

/**
 * LLM usage events on a SQL engine. Timestamps are integer epoch ms, so every window is an exact
 * integer comparison (OpenFang's G-3 compared text). Calendar windows are UTC.
 */
export class SqlUsageStore extends SqlStore implements UsageStore {
  /**
   * Records one LLM call; returns the new event id. `toolCalls` defaults to 0, `timestamp` to now.
   * @throws ValidationError for a bad agent id, an empty or over-long model (256), token counts that
   *   are not integers in 0..1e9, tool calls not in 0..1e6, a cost not a number in 0..1e6, or a bad
   *   timestamp.
   */
  async record(usage: UsageInput): Promise<string> {
    if (typeof usage !== 'object' || usage === null) this.v.fail('usage must be an object');
    this.v.knownKeys('', usage, ['agentId', 'model', 'inputTokens', 'outputTokens', 'costUsd', 'toolCalls', 'timestamp']);
    const row = {
      id: newId(),
      agent_id: this.v.id('agentId', usage.agentId),
      model: this.v.text('model', usage.model, MODEL_LENGTH),
      input_tokens: this.v.int('inputTokens', usage.inputTokens, 0, LIMITS.usageTokens),
      output_tokens: this.v.int('outputTokens', usage.outputTokens, 0, LIMITS.usageTokens),
      cost_usd: this.v.number('costUsd', usage.costUsd, 0, LIMITS.usageCostUsd),
      tool_calls: usage.toolCalls === undefined ? 0 : this.v.int('toolCalls', usage.toolCalls, 0, LIMITS.usageToolCalls),
      timestamp: usage.timestamp === undefined ? this.clock() : this.v.timestamp('timestamp', usage.timestamp),
    };
    await this.guard('usage record', () => this.engine.run(this.engine.db.insertInto('usage_events').values(row).compile()));
    return row.id;
  }

  /** Cost in the window (now − 1 h, now], for one agent or (agentId omitted) all agents. */
  async costLastHour(agentId?: string): Promise<number> {
    const now = this.clock();
    return this.costBetween('usage cost last hour', agentId, ['>', now - HOUR_MS], ['<=', now]);
  }

  /** Cost of the current UTC calendar day, for one agent or all agents. */
  async costToday(agentId?: string): Promise<number> {
    const start = startOfUtcDay(this.clock());
    return this.costBetween('usage cost today', agentId, ['>=', start], ['<', start + DAY_MS]);
  }

  /** Cost of the current UTC calendar month, for one agent or all agents. */
  async costThisMonth(agentId?: string): Promise<number> {
    const now = this.clock();
    const start = startOfUtcMonth(now);
    const d = new Date(start);
    return this.costBetween('usage cost this month', agentId, ['>=', start], ['<', Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)]);
  }

  /** All-time totals for one agent or all agents (zeros when there are no events). */
  async summary(agentId?: string): Promise<UsageSummary> {
    if (agentId !== undefined) this.v.id('agentId', agentId);
    return this.guard('usage summary', async () => {
      let q = this.engine.db.selectFrom('usage_events').select((eb) => [
        eb.fn.coalesce(total('input_tokens'), sql.lit(0)).as('input'),
        eb.fn.coalesce(total('output_tokens'), sql.lit(0)).as('output'),
        eb.fn.coalesce(total('cost_usd'), sql.lit(0)).as('cost'),
        eb.fn.countAll<number>().as('calls'),
        eb.fn.coalesce(total('tool_calls'), sql.lit(0)).as('tools'),
      ]);
      if (agentId !== undefined) q = q.where('agent_id', '=', agentId);
      const row = await this.engine.reader.first(q.compile());
      return {
        totalInputTokens: num(row?.input ?? 0),
        totalOutputTokens: num(row?.output ?? 0),
        totalCostUsd: num(row?.cost ?? 0),
        callCount: num(row?.calls ?? 0),
        totalToolCalls: num(row?.tools ?? 0),
      };
    });
  }

  /** All-time totals per model, ordered by total cost descending, then model. */
  async byModel(): Promise<ModelUsage[]> {
    return this.guard('usage by model', async () => {
      const rows = await this.engine.reader.rows(
        this.engine.db
          .selectFrom('usage_events')
          .select((eb) => [
            'model',
            total('cost_usd').as('cost'),
            total('input_tokens').as('input'),
            total('output_tokens').as('output'),
            eb.fn.countAll<number>().as('calls'),
          ])
          .groupBy('model')
          .orderBy('cost', 'desc')
          .orderBy('model')
          .compile(),
      );
      return rows.map((r) => ({
        model: r.model,
        totalCostUsd: num(r.cost),
        totalInputTokens: num(r.input),
        totalOutputTokens: num(r.output),
        callCount: num(r.calls),
      }));
    });
  }

  /**
   * One row per UTC calendar day for the last `days` days including today, oldest first; days
   * without events are zero-filled.
   * @throws ValidationError unless `days` is an integer in 1..3660.
   */
  async dailyBreakdown(days: number): Promise<DailyUsage[]> {
    this.v.int('days', days, 1, MAX_BREAKDOWN_DAYS);
    const today = startOfUtcDay(this.clock());
    const from = today - (days - 1) * DAY_MS;
    const rows = await this.guard('usage daily breakdown', () => {
      // Integer division by an inline integer literal: exact on SQLite and PostgreSQL (timestamps ≥ 0).
      const day = sql<number>`${sql.ref('timestamp')} / ${sql.lit(DAY_MS)}`;
      return this.engine.reader.rows(
        this.engine.db
          .selectFrom('usage_events')
          .select((eb) => [
            day.as('day'),
            total('cost_usd').as('cost'),
            sql<number>`sum(cast(${sql.ref('input_tokens')} as double precision) + cast(${sql.ref('output_tokens')} as double precision))`.as('tokens'),
            eb.fn.countAll<number>().as('calls'),
          ])
          .where('timestamp', '>=', from)
          .where('timestamp', '<', today + DAY_MS)
          .groupBy(day)
          .compile(),
      );
    });
    const byDay = new Map(rows.map((r) => [num(r.day), r]));
    const result: DailyUsage[] = [];
    for (let i = 0; i < days; i++) {
      const start = from + i * DAY_MS;
      const r = byDay.get(start / DAY_MS);
      result.push({ date: utcDate(start), costUsd: num(r?.cost ?? 0), tokens: num(r?.tokens ?? 0), calls: num(r?.calls ?? 0) });
    }
    return result;
  }

  /** Timestamp of the oldest event, or `undefined` when there are none. */
  async firstEventAt(): Promise<EpochMs | undefined> {
    return this.guard('usage first event', async () => {
      const row = await this.engine.first(
        this.engine.db.selectFrom('usage_events').select((eb) => eb.fn.min('timestamp').as('first')).compile(),
      );
      return optNum(row?.first);
    });
  }

  /**
   * Deletes events with timestamp < now − days × 24 h; returns how many were deleted.
   * @throws ValidationError unless `days` is a non-negative integer.
   */
  async cleanupOlderThan(days: number): Promise<number> {
    this.v.int('days', days, 0, LIMITS.maxRetentionDays);
    const cutoff = this.clock() - days * DAY_MS;
    return this.guard('usage cleanup', () =>
      this.engine.run(this.engine.db.deleteFrom('usage_events').where('timestamp', '<', cutoff).compile()),
    );
  }

  /** Sum of cost for events whose timestamp is within both bounds. */
  private async costBetween(
    action: string,
    agentId: string | undefined,
    [fromOp, from]: readonly ['>' | '>=', number],
    [toOp, to]: readonly ['<' | '<=', number],
  ): Promise<number> {
    if (agentId !== undefined) this.v.id('agentId', agentId);
    return this.guard(action, async () => {
      let q = this.engine.db
        .selectFrom('usage_events')
        .select((eb) => eb.fn.coalesce(total('cost_usd'), sql.lit(0)).as('cost'))
        .where('timestamp', fromOp, from)
        .where('timestamp', toOp, to);
      if (agentId !== undefined) q = q.where('agent_id', '=', agentId);
      const row = await this.engine.reader.first(q.compile());
      return num(row?.cost ?? 0);
    });
  }
}
