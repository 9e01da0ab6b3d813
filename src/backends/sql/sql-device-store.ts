import type { PairedDeviceStore } from '../../contracts/device-store.js';
import { NotSupportedError } from '../../errors.js';
import { SqlStore } from './context.js';

/** STUB — being implemented. */
export class SqlDeviceStore extends SqlStore implements PairedDeviceStore {
  list: PairedDeviceStore['list'] = async () => {
    throw new NotSupportedError('SqlDeviceStore.list is not implemented yet', { backend: this.engine.backendName });
  };
  save: PairedDeviceStore['save'] = async () => {
    throw new NotSupportedError('SqlDeviceStore.save is not implemented yet', { backend: this.engine.backendName });
  };
  remove: PairedDeviceStore['remove'] = async () => {
    throw new NotSupportedError('SqlDeviceStore.remove is not implemented yet', { backend: this.engine.backendName });
  };
}
