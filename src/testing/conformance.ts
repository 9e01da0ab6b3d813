import { afterEach, describe, it } from 'vitest';
import type { BackendCell, CellCapabilities, CellInstance, CellOpenOptions } from './cell.js';

/** What a suite's body gets: the cell, a fresh-substrate opener, and capability-gated tests. */
export interface SuiteContext {
  cell: BackendCell;
  /** A fresh substrate on the cell, disposed after the test. */
  open(options?: CellOpenOptions): Promise<CellInstance>;
  /** A test that runs only where the cell declares the capability; otherwise skipped with the reason in its title. */
  itIf(capability: keyof CellCapabilities, title: string, fn: () => Promise<void>, timeout?: number): void;
}

/** One store's conformance suite: written once against the contracts, declared once per cell. */
export interface ConformanceSuite {
  /** The store it covers; the describe block is `<store> [<cell name> <label>]`. */
  readonly store: string;
  /** Declares the suite's tests (vitest `it`, or `ctx.itIf`) for one cell. */
  readonly body: (ctx: SuiteContext) => void;
}

export function defineSuite(store: string, body: (ctx: SuiteContext) => void): ConformanceSuite {
  return { store, body };
}

/**
 * Declares a suite once for every cell: a `<store> [<cell>]` block in which `open()` gives a fresh
 * substrate that is disposed after the test.
 */
export function conformance(suite: ConformanceSuite, cells: readonly BackendCell[]): void {
  for (const cell of cells) {
    const title = `${suite.store} [${cell.name}${cell.label ? ` ${cell.label}` : ''}]`;
    if (cell.unavailable !== undefined) {
      const reason = cell.unavailable;
      describe(title, () => it.skip(`every ${suite.store} test — skipped: ${reason}`, () => {}));
      continue;
    }
    describe(title, () => {
      const opened: CellInstance[] = [];
      afterEach(async ({ task }) => {
        // Which engines this cell really ran on (resolved once a substrate was opened), for reports.
        (task.meta as { engines?: string }).engines = cell.engines;
        while (opened.length > 0) await opened.pop()?.dispose();
      });
      suite.body({
        cell,
        open: async (options?: CellOpenOptions) => {
          const instance = await cell.open(options);
          opened.push(instance);
          return instance;
        },
        itIf: (capability, title, fn, timeout) => {
          if (cell.capabilities[capability]) {
            it(title, fn, timeout);
          } else {
            const why = cell.lacking?.[capability];
            it.skip(`${title} — skipped: ${cell.name} lacks capability "${capability}"${why ? ` (${why})` : ''}`, fn);
          }
        },
      });
    });
  }
}
