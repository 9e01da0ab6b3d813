import type { SessionStore } from '../../contracts/session-store.js';
import { NotSupportedError } from '../../errors.js';
import { SqlStore } from './context.js';

/** STUB — being implemented. */
export class SqlSessionStore extends SqlStore implements SessionStore {
  create: SessionStore['create'] = async () => {
    throw new NotSupportedError('SqlSessionStore.create is not implemented yet', { backend: this.engine.backendName });
  };
  get: SessionStore['get'] = async () => {
    throw new NotSupportedError('SqlSessionStore.get is not implemented yet', { backend: this.engine.backendName });
  };
  save: SessionStore['save'] = async () => {
    throw new NotSupportedError('SqlSessionStore.save is not implemented yet', { backend: this.engine.backendName });
  };
  delete: SessionStore['delete'] = async () => {
    throw new NotSupportedError('SqlSessionStore.delete is not implemented yet', { backend: this.engine.backendName });
  };
  deleteForAgent: SessionStore['deleteForAgent'] = async () => {
    throw new NotSupportedError('SqlSessionStore.deleteForAgent is not implemented yet', { backend: this.engine.backendName });
  };
  list: SessionStore['list'] = async () => {
    throw new NotSupportedError('SqlSessionStore.list is not implemented yet', { backend: this.engine.backendName });
  };
  listForAgent: SessionStore['listForAgent'] = async () => {
    throw new NotSupportedError('SqlSessionStore.listForAgent is not implemented yet', { backend: this.engine.backendName });
  };
  setLabel: SessionStore['setLabel'] = async () => {
    throw new NotSupportedError('SqlSessionStore.setLabel is not implemented yet', { backend: this.engine.backendName });
  };
  findByLabel: SessionStore['findByLabel'] = async () => {
    throw new NotSupportedError('SqlSessionStore.findByLabel is not implemented yet', { backend: this.engine.backendName });
  };
  loadCanonical: SessionStore['loadCanonical'] = async () => {
    throw new NotSupportedError('SqlSessionStore.loadCanonical is not implemented yet', { backend: this.engine.backendName });
  };
  saveCanonical: SessionStore['saveCanonical'] = async () => {
    throw new NotSupportedError('SqlSessionStore.saveCanonical is not implemented yet', { backend: this.engine.backendName });
  };
  appendCanonical: SessionStore['appendCanonical'] = async () => {
    throw new NotSupportedError('SqlSessionStore.appendCanonical is not implemented yet', { backend: this.engine.backendName });
  };
  canonicalContext: SessionStore['canonicalContext'] = async () => {
    throw new NotSupportedError('SqlSessionStore.canonicalContext is not implemented yet', { backend: this.engine.backendName });
  };
  storeLlmSummary: SessionStore['storeLlmSummary'] = async () => {
    throw new NotSupportedError('SqlSessionStore.storeLlmSummary is not implemented yet', { backend: this.engine.backendName });
  };
  deleteCanonical: SessionStore['deleteCanonical'] = async () => {
    throw new NotSupportedError('SqlSessionStore.deleteCanonical is not implemented yet', { backend: this.engine.backendName });
  };
}
