import type { ConsolidationReport, ConsolidationStore } from '../contracts/consolidation-store.js';
import type { SemanticBackend } from '../contracts/semantic-backend.js';
import type { Clock } from '../contracts/types.js';
import { DAY_MS } from './clock.js';

/** OpenFang's decay: memories not accessed for this long decay. */
export const DECAY_AFTER_MS = 7 * DAY_MS;
export const CONFIDENCE_FLOOR = 0.1;

/** Consolidation over whichever semantic backend is configured (OpenFang's G-29: SQL only). */
export class Consolidator implements ConsolidationStore {
  constructor(
    private readonly backend: SemanticBackend,
    private readonly decayRate: number,
    private readonly clock: Clock,
    private readonly beforeRun: () => Promise<void> = async () => {},
  ) {}

  async consolidate(options: { dryRun?: boolean } = {}): Promise<ConsolidationReport> {
    const dryRun = options.dryRun === true;
    const started = performance.now();
    await this.beforeRun();
    const now = this.clock();
    const decayed = await this.backend.decay({
      now,
      accessedBefore: now - DECAY_AFTER_MS,
      factor: 1 - this.decayRate,
      floor: CONFIDENCE_FLOOR,
      dryRun,
    });
    const merged = await this.backend.mergeExactDuplicates({ dryRun, now });
    const expired = dryRun ? 0 : await this.backend.purgeExpired(now);
    return { decayed, merged, expired, durationMs: Math.round(performance.now() - started), dryRun };
  }
}
