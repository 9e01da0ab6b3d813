import type { z } from 'zod';
import { conformance } from './conformance.js';
import { pluginCells, type ConformanceOptions } from './plugin-cell.js';
import { CONFORMANCE_SUITES } from './suites/index.js';

/**
 * Declares memstrate's whole conformance suite (every store, the audit chain and its coverage) in
 * vitest for a backend plugin: one `<store> [<main> × <semantic>]` block per suite and role. Call it
 * at the top level of a test file. The plugin is opened through a private BackendRegistry (holding it
 * and the built-in sqlite backend for the other role); tests a cell cannot run are skipped by a
 * capability, with the reason in their title.
 *
 * ```ts
 * import { runConformance } from 'memstrate/testing';
 * runConformance({
 *   backend: myBackend,
 *   role: 'semantic',
 *   instance: () => {
 *     const dir = mkdtempSync(join(tmpdir(), 'my-backend-'));
 *     return { options: { dir }, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
 *   },
 * });
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function runConformance<S extends z.ZodObject<any>>(options: ConformanceOptions<S>): void {
  const cells = pluginCells(options);
  const wanted = options.suites === undefined ? undefined : new Set<string>(options.suites);
  for (const suite of CONFORMANCE_SUITES) {
    if (wanted === undefined || wanted.has(suite.store)) conformance(suite, cells);
  }
}
