import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { ValidationError } from '../errors.js';
import { ARCHIVE_STORES, type ArchiveStore } from '../core/archive-format.js';
import type { ExportSummary, ImportReport, OnConflict } from '../core/archive.js';
import { withSubstrate } from './commands.js';
import { wholeNumber } from './args.js';

/** Where progress goes: stderr, as a rewritten line on a terminal, plain lines otherwise, or JSON lines. */
export interface ProgressSink {
  write(text: string): void;
  isTTY: boolean;
}

/**
 * A progress reporter: on a terminal one line rewritten in place (count, rate, ETA when the total is
 * known); otherwise a plain line at most once a second and at the end; with `json`, the same as
 * JSON lines `{ "progress": phase, "done", "total", "rate", "etaSeconds" }`.
 */
export function progressReporter(sink: ProgressSink, json: boolean, now: () => number = () => performance.now(), unit = 'records') {
  const started = now();
  let last = -Infinity;
  let lastPhase: string | undefined;
  let drawn = false;
  const render = (phase: string, done: number, total: number | undefined, final: boolean): void => {
    const t = now();
    // The first report of a phase always shows; then at most every 100 ms on a terminal, every second otherwise.
    if (!final && phase === lastPhase && t - last < (sink.isTTY && !json ? 100 : 1000)) return;
    last = t;
    lastPhase = phase;
    const seconds = Math.max((t - started) / 1000, 1e-3);
    const rate = done / seconds;
    const eta = total !== undefined && rate > 0 ? Math.max(0, (total - done) / rate) : undefined;
    if (json) {
      sink.write(`${JSON.stringify({ progress: phase, done, ...(total !== undefined ? { total } : {}), rate: Math.round(rate), ...(eta !== undefined ? { etaSeconds: Math.round(eta) } : {}) })}\n`);
      return;
    }
    const text =
      `${phase}: ${done.toLocaleString('en-US')}${total !== undefined ? ` / ${total.toLocaleString('en-US')}` : ''} ${unit}` +
      `${total ? ` (${Math.floor((done / total) * 100)}%)` : ''}, ${Math.round(rate).toLocaleString('en-US')}/s` +
      `${eta !== undefined && !final ? `, ETA ${Math.ceil(eta)}s` : ''}`;
    if (sink.isTTY) {
      sink.write(`\r\u001b[2K${text}${final ? '\n' : ''}`);
      drawn = !final;
    } else sink.write(`${text}\n`);
  };
  return {
    update: (phase: string, done: number, total?: number) => render(phase, done, total, false),
    done: (phase: string, done: number, total?: number) => render(phase, done, total, true),
    /** Ends a line left open on a terminal (before an error message). */
    clear: () => {
      if (drawn) sink.write('\n');
      drawn = false;
    },
  };
}

export const stderr: ProgressSink = { write: (text) => process.stderr.write(text), isTTY: process.stderr.isTTY === true };

/**
 * `memstrate export --out FILE [--agent ID…] [--store S…] [--gzip]`: writes the archive to a temporary
 * file next to FILE and renames it into place when complete (a failed export leaves no FILE).
 */
export async function exportCommand(
  config: string | undefined,
  options: { out?: string; agent?: string[]; store?: string[]; gzip?: boolean; json?: boolean; forensic?: boolean },
  sink: ProgressSink = stderr,
): Promise<{ out: string } & ExportSummary> {
  const out = options.out;
  if (!out) throw new ValidationError('say --out <file>: where to write the archive');
  for (const s of options.store ?? []) {
    if (!(ARCHIVE_STORES as readonly string[]).includes(s)) throw new ValidationError(`--store ${s}: not a store; one of ${ARCHIVE_STORES.join(', ')}`);
  }
  const progress = progressReporter(sink, options.json === true);
  const partial = `${out}.partial-${process.pid}`;
  return withSubstrate(config, async (mem) => {
    let summary: ExportSummary | undefined;
    let records = 0;
    let total: number | undefined;
    try {
      const stream = mem.export({
        ...(options.agent && options.agent.length > 0 ? { agents: options.agent } : {}),
        ...(options.store && options.store.length > 0 ? { stores: options.store as ArchiveStore[] } : {}),
        gzip: options.gzip === true,
        onProgress: (p) => {
          records = p.records;
          total = p.total;
          if (p.finished) summary = p.finished;
          else progress.update('export', p.records, p.total);
        },
      });
      await pipeline(stream, createWriteStream(partial, { flags: 'wx' }));
      await rename(partial, out);
    } catch (error) {
      progress.clear();
      await rm(partial, { force: true });
      throw error;
    }
    progress.done('export', records, total);
    return { out, ...(summary as ExportSummary) };
  }, { existingOnly: true, forensic: options.forensic === true });
}

/**
 * `memstrate import FILE [--dry-run] [--on-conflict skip|overwrite|fail] [--batch-size N]`: validates
 * the whole archive, then writes it; prints the report. Records that failed make the exit status 1.
 */
export async function importCommand(
  config: string | undefined,
  file: string,
  options: { dryRun?: boolean; onConflict?: string; batchSize?: string; json?: boolean },
  sink: ProgressSink = stderr,
): Promise<{ report: ImportReport; failed: number }> {
  const onConflict = (options.onConflict ?? 'skip') as OnConflict;
  if (!['skip', 'overwrite', 'fail'].includes(onConflict)) throw new ValidationError(`--on-conflict ${options.onConflict}: one of skip, overwrite, fail`);
  const batchSize = wholeNumber('--batch-size', options.batchSize);
  const progress = progressReporter(sink, options.json === true);
  return withSubstrate(config, async (mem) => {
    let last = { phase: 'import', done: 0, total: 0 };
    try {
      const report = await mem.import(file, {
        onConflict,
        dryRun: options.dryRun === true,
        ...(batchSize !== undefined ? { batchSize } : {}),
        onProgress: (p) => {
          last = { phase: p.phase === 'validate' ? 'validated' : 'import', done: p.done, total: p.total };
          if (p.phase === 'validate') progress.done('validated', p.done, p.total);
          else progress.update('import', p.done, p.total);
        },
      });
      if (!report.dryRun) progress.done('import', last.done, last.total);
      const failed = Object.values(report.stores).reduce((n, r) => n + r.failed.length, 0);
      return { report, failed };
    } catch (error) {
      progress.clear();
      throw error;
    }
  });
}
