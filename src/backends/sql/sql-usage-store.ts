import type { UsageStore } from '../../contracts/usage-store.js';
import { NotSupportedError } from '../../errors.js';
import { SqlStore } from './context.js';

/** STUB — being implemented. */
export class SqlUsageStore extends SqlStore implements UsageStore {
  record: UsageStore['record'] = async () => {
    throw new NotSupportedError('SqlUsageStore.record is not implemented yet', { backend: this.engine.backendName });
  };
  costLastHour: UsageStore['costLastHour'] = async () => {
    throw new NotSupportedError('SqlUsageStore.costLastHour is not implemented yet', { backend: this.engine.backendName });
  };
  costToday: UsageStore['costToday'] = async () => {
    throw new NotSupportedError('SqlUsageStore.costToday is not implemented yet', { backend: this.engine.backendName });
  };
  costThisMonth: UsageStore['costThisMonth'] = async () => {
    throw new NotSupportedError('SqlUsageStore.costThisMonth is not implemented yet', { backend: this.engine.backendName });
  };
  summary: UsageStore['summary'] = async () => {
    throw new NotSupportedError('SqlUsageStore.summary is not implemented yet', { backend: this.engine.backendName });
  };
  byModel: UsageStore['byModel'] = async () => {
    throw new NotSupportedError('SqlUsageStore.byModel is not implemented yet', { backend: this.engine.backendName });
  };
  dailyBreakdown: UsageStore['dailyBreakdown'] = async () => {
    throw new NotSupportedError('SqlUsageStore.dailyBreakdown is not implemented yet', { backend: this.engine.backendName });
  };
  firstEventAt: UsageStore['firstEventAt'] = async () => {
    throw new NotSupportedError('SqlUsageStore.firstEventAt is not implemented yet', { backend: this.engine.backendName });
  };
  cleanupOlderThan: UsageStore['cleanupOlderThan'] = async () => {
    throw new NotSupportedError('SqlUsageStore.cleanupOlderThan is not implemented yet', { backend: this.engine.backendName });
  };
}
