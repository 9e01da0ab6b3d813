import type { RetentionReport } from './retention.js';
import type { Logger } from '../contracts/types.js';
import type { ConsolidationReport } from '../contracts/consolidation-store.js';
import type { SemanticStore } from '../contracts/semantic-store.js';
import type { StructuredStore } from '../contracts/structured-store.js';

/** What the schedule needs of a substrate. */
export interface SchedulableSubstrate {
  readonly config: { consolidationIntervalHours: number };
  readonly structured: StructuredStore;
  readonly semantic: Pick<SemanticStore, 'purgeExpired'>;
  consolidate(options?: { dryRun?: boolean }): Promise<ConsolidationReport>;
  runRetention(): Promise<RetentionReport>;
}

/** Where the last run's time is kept (the structured store of a reserved agent id). */
export const SYSTEM_AGENT_ID = 'memstrate:system';
const LAST_RUN_KEY = 'consolidation.lastRunAt';
/** setTimeout's largest delay; longer waits are chained. */
const MAX_TIMER_MS = 2_147_483_647;

export interface ConsolidationSchedule {
  /** Stops the schedule; a run in progress is awaited. */
  stop(): Promise<void>;
}

/**
 * Runs `consolidate()` (and removes expired KV entries and memories) every `consolidation_interval_hours` (0 disables), the first run one interval
 * after the last one recorded — persisted, so a restart does not push it back a whole interval
 * (OpenFang's G-29). Used by `memstrate serve`; library users call it themselves if they want it.
 */
export async function startConsolidationSchedule(mem: SchedulableSubstrate, logger: Logger): Promise<ConsolidationSchedule> {
  const intervalMs = mem.config.consolidationIntervalHours * 3_600_000;
  if (intervalMs <= 0) return { stop: async () => {} };
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  const lastRun = async (): Promise<number | undefined> => {
    const value = await mem.structured.get(SYSTEM_AGENT_ID, LAST_RUN_KEY);
    return typeof value === 'number' ? value : undefined;
  };

  const schedule = (dueAt: number): void => {
    if (stopped) return;
    const delay = Math.max(0, dueAt - Date.now());
    timer = setTimeout(() => {
      if (Date.now() < dueAt) return schedule(dueAt);
      running = run().finally(() => {
        running = undefined;
      });
    }, Math.min(delay, MAX_TIMER_MS));
    timer.unref();
  };

  const run = async (): Promise<void> => {
    try {
      // Another process sharing the store may have run it meanwhile.
      const previous = await lastRun();
      if (previous !== undefined && Date.now() < previous + intervalMs) return schedule(previous + intervalMs);
      const report = await mem.consolidate();
      // Retention rides on the same schedule: what expired (already reading as absent) and what the
      // retention settings no longer keep is removed.
      const retention = await mem.runRetention();
      await mem.structured.set(SYSTEM_AGENT_ID, LAST_RUN_KEY, Date.now());
      logger.info({ decayed: report.decayed, merged: report.merged, retention, durationMs: report.durationMs }, 'consolidation ran');
    } catch (error) {
      logger.error({ err: error }, 'scheduled consolidation failed');
    }
    schedule(Date.now() + intervalMs);
  };

  const previous = await lastRun();
  schedule(previous === undefined ? Date.now() + intervalMs : previous + intervalMs);
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (running) await running;
    },
  };
}
