import type { StructuredStore } from '../../contracts/structured-store.js';
import { NotSupportedError } from '../../errors.js';
import { SqlStore } from './context.js';

/** STUB — being implemented. */
export class SqlStructuredStore extends SqlStore implements StructuredStore {
  get: StructuredStore['get'] = async () => {
    throw new NotSupportedError('SqlStructuredStore.get is not implemented yet', { backend: this.engine.backendName });
  };
  set: StructuredStore['set'] = async () => {
    throw new NotSupportedError('SqlStructuredStore.set is not implemented yet', { backend: this.engine.backendName });
  };
  delete: StructuredStore['delete'] = async () => {
    throw new NotSupportedError('SqlStructuredStore.delete is not implemented yet', { backend: this.engine.backendName });
  };
  list: StructuredStore['list'] = async () => {
    throw new NotSupportedError('SqlStructuredStore.list is not implemented yet', { backend: this.engine.backendName });
  };
  saveAgent: StructuredStore['saveAgent'] = async () => {
    throw new NotSupportedError('SqlStructuredStore.saveAgent is not implemented yet', { backend: this.engine.backendName });
  };
  loadAgent: StructuredStore['loadAgent'] = async () => {
    throw new NotSupportedError('SqlStructuredStore.loadAgent is not implemented yet', { backend: this.engine.backendName });
  };
  removeAgent: StructuredStore['removeAgent'] = async () => {
    throw new NotSupportedError('SqlStructuredStore.removeAgent is not implemented yet', { backend: this.engine.backendName });
  };
  listAgents: StructuredStore['listAgents'] = async () => {
    throw new NotSupportedError('SqlStructuredStore.listAgents is not implemented yet', { backend: this.engine.backendName });
  };
}
