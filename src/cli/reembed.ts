import type { ReembedReport } from '../core/reembed.js';
import type { VectorSpaces } from '../contracts/semantic-backend.js';
import { ValidationError } from '../errors.js';
import { progressReporter, stderr, type ProgressSink } from './archive.js';
import { wholeNumber } from './args.js';
import { withSubstrate } from './commands.js';

export interface ReembedCommandOptions {
  provider?: string;
  model?: string;
  dimensions?: string;
  url?: string;
  batchSize?: string;
  dropPrevious?: boolean;
  abort?: boolean;
  status?: boolean;
  json?: boolean;
}

/** `--provider/--model/--dimensions/--url` as the `MEMSTRATE_EMBEDDING_*` overrides the config loader applies over the file. */
function embedderOverrides(options: ReembedCommandOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  if (options.provider !== undefined) env['MEMSTRATE_EMBEDDING_PROVIDER'] = options.provider;
  if (options.model !== undefined) env['MEMSTRATE_EMBEDDING_MODEL'] = options.model;
  if (options.dimensions !== undefined) env['MEMSTRATE_EMBEDDING_DIMENSIONS'] = String(wholeNumber('--dimensions', options.dimensions));
  if (options.url !== undefined) env['MEMSTRATE_EMBEDDING_URL'] = options.url;
  return env;
}

/**
 * `memstrate reembed [--provider P --model M --dimensions N --url U] [--batch-size N] [--drop-previous]`:
 * re-embeds every memory with the configured embedder (the flags override the config's
 * `embedding_*` keys) into a new vector space beside the current one, with progress on stderr, and
 * switches when done; prints the report. The store is opened without its embedder, so a store whose
 * space differs from the configuration — which other commands refuse to open — is exactly what it
 * takes. Interrupted, a re-run resumes. `--status` prints the vector spaces, `--abort` abandons an
 * unfinished re-embedding, `--drop-previous` drops the previous space (after the run, if one runs).
 */
export async function reembedCommand(
  config: string | undefined,
  options: ReembedCommandOptions,
  sink: ProgressSink = stderr,
): Promise<ReembedReport | (VectorSpaces & { aborted?: boolean; droppedPrevious?: boolean })> {
  if (options.status === true && options.abort === true) throw new ValidationError('give --status or --abort, not both', { backend: 'cli' });
  const batchSize = wholeNumber('--batch-size', options.batchSize);
  const env = { ...process.env, ...embedderOverrides(options) };
  const progress = progressReporter(sink, options.json === true, undefined, 'memories');
  return withSubstrate(
    config,
    async (mem) => {
      if (options.status === true) return mem.vectorSpaces();
      if (options.abort === true) {
        const aborted = await mem.abortReembed();
        const droppedPrevious = options.dropPrevious === true ? await mem.dropPreviousVectorSpace() : undefined;
        return { ...(await mem.vectorSpaces()), aborted, ...(droppedPrevious === undefined ? {} : { droppedPrevious }) };
      }
      let last = { done: 0, total: 0 };
      try {
        const report = await mem.reembed({
          ...(batchSize !== undefined ? { batchSize } : {}),
          onProgress: (p) => {
            last = p;
            progress.update('reembed', p.done, p.total);
          },
        });
        if (report.outcome === 'switched') progress.done('reembed', last.done, last.total);
        // Also when this run switched nothing: a previous space an earlier run left is dropped on request.
        return options.dropPrevious === true ? { ...report, droppedPrevious: await mem.dropPreviousVectorSpace() } : report;
      } catch (error) {
        progress.clear();
        throw error;
      }
    },
    { ignoreEmbedder: true, env },
  );
}
