import type { TaskQueue } from '../../contracts/task-queue.js';
import { NotSupportedError } from '../../errors.js';
import { SqlStore } from './context.js';

/** STUB — being implemented. */
export class SqlTaskQueue extends SqlStore implements TaskQueue {
  post: TaskQueue['post'] = async () => {
    throw new NotSupportedError('SqlTaskQueue.post is not implemented yet', { backend: this.engine.backendName });
  };
  claim: TaskQueue['claim'] = async () => {
    throw new NotSupportedError('SqlTaskQueue.claim is not implemented yet', { backend: this.engine.backendName });
  };
  complete: TaskQueue['complete'] = async () => {
    throw new NotSupportedError('SqlTaskQueue.complete is not implemented yet', { backend: this.engine.backendName });
  };
  fail: TaskQueue['fail'] = async () => {
    throw new NotSupportedError('SqlTaskQueue.fail is not implemented yet', { backend: this.engine.backendName });
  };
  heartbeat: TaskQueue['heartbeat'] = async () => {
    throw new NotSupportedError('SqlTaskQueue.heartbeat is not implemented yet', { backend: this.engine.backendName });
  };
  get: TaskQueue['get'] = async () => {
    throw new NotSupportedError('SqlTaskQueue.get is not implemented yet', { backend: this.engine.backendName });
  };
  list: TaskQueue['list'] = async () => {
    throw new NotSupportedError('SqlTaskQueue.list is not implemented yet', { backend: this.engine.backendName });
  };
}
