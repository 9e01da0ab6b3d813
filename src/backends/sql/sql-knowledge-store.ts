import type { KnowledgeStore } from '../../contracts/knowledge-store.js';
import { NotSupportedError } from '../../errors.js';
import { SqlStore } from './context.js';

/** STUB — being implemented. */
export class SqlKnowledgeStore extends SqlStore implements KnowledgeStore {
  addEntity: KnowledgeStore['addEntity'] = async () => {
    throw new NotSupportedError('SqlKnowledgeStore.addEntity is not implemented yet', { backend: this.engine.backendName });
  };
  addRelation: KnowledgeStore['addRelation'] = async () => {
    throw new NotSupportedError('SqlKnowledgeStore.addRelation is not implemented yet', { backend: this.engine.backendName });
  };
  getEntity: KnowledgeStore['getEntity'] = async () => {
    throw new NotSupportedError('SqlKnowledgeStore.getEntity is not implemented yet', { backend: this.engine.backendName });
  };
  deleteEntity: KnowledgeStore['deleteEntity'] = async () => {
    throw new NotSupportedError('SqlKnowledgeStore.deleteEntity is not implemented yet', { backend: this.engine.backendName });
  };
  queryGraph: KnowledgeStore['queryGraph'] = async () => {
    throw new NotSupportedError('SqlKnowledgeStore.queryGraph is not implemented yet', { backend: this.engine.backendName });
  };
}
