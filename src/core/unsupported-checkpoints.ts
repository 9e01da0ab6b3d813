import type { CheckpointStore } from '../contracts/checkpoint-store.js';
import { NotSupportedError } from '../errors.js';

/** The checkpoint store of a main backend that has none: every call fails with NOT_SUPPORTED, naming the backend. */
export function unsupportedCheckpoints(backend: string): CheckpointStore {
  const fail = (): Promise<never> => Promise.reject(new NotSupportedError(`the ${backend} main backend has no checkpoint store`, { backend }));
  return { put: fail, putWrites: fail, get: fail, list: fail, deleteThread: fail };
}
