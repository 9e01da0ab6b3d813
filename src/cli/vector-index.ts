import type { VectorIndexBuild, VectorIndexStatus } from '../contracts/semantic-backend.js';
import { ValidationError } from '../errors.js';
import { progressReporter, stderr, type ProgressSink } from './archive.js';
import { withSubstrate } from './commands.js';

export interface IndexCommandOptions {
  build?: string;
  drop?: string;
  json?: boolean;
}

/**
 * `memstrate index [--build <agentId> | --drop <agentId>] [--json]`: builds (or rebuilds) an agent's
 * approximate vector index with progress on stderr, or drops it, then prints every agent's index
 * (`vector_search` in [memory.sqlite] says when recall uses them). NOT_SUPPORTED on a semantic
 * backend without such indexes.
 */
export async function indexCommand(
  config: string | undefined,
  options: IndexCommandOptions,
  sink: ProgressSink = stderr,
): Promise<{ built?: VectorIndexBuild; dropped?: boolean; indexes: VectorIndexStatus[] }> {
  if (options.build !== undefined && options.drop !== undefined) throw new ValidationError('give --build or --drop, not both', { backend: 'cli' });
  const progress = progressReporter(sink, options.json === true, undefined, 'memories');
  return withSubstrate(config, async (mem) => {
    if (options.build !== undefined) {
      let last = { done: 0, total: 0 };
      try {
        const built = await mem.buildVectorIndex(options.build, {
          onProgress: (done, total) => {
            last = { done, total };
            progress.update('index', done, total);
          },
        });
        progress.done('index', last.done, last.total);
        return { built, indexes: await mem.vectorIndexes() };
      } catch (error) {
        progress.clear();
        throw error;
      }
    }
    if (options.drop !== undefined) return { dropped: await mem.dropVectorIndex(options.drop), indexes: await mem.vectorIndexes() };
    return { indexes: await mem.vectorIndexes() };
  });
}
