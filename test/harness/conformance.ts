import { afterEach, describe, it } from 'vitest';
import { selectedCells, type BackendCell, type CellCapabilities, type CellInstance, type CellOpenOptions } from './cells.js';

export type { BackendCell, CellInstance, CellOpenOptions } from './cells.js';

/**
 * Declares a conformance suite once; it runs for every selected backend cell. Inside, `open()`
 * gives a fresh substrate that is disposed after the test.
 */
export function conformance(store: string, body: (ctx: SuiteContext) => void): void {
  for (const cell of selectedCells()) {
    describe(`${store} [${cell.name}]`, () => {
      const opened: CellInstance[] = [];
      afterEach(async () => {
        while (opened.length > 0) await opened.pop()?.dispose();
      });
      body({
        cell,
        open: async (options?: CellOpenOptions) => {
          const instance = await cell.open(options);
          opened.push(instance);
          return instance;
        },
        itIf: (capability, title, fn, timeout) => {
          if (cell.capabilities[capability]) it(title, fn, timeout);
          else it.skip(`${title} — skipped: ${cell.name} lacks capability "${capability}"`, fn);
        },
      });
    });
  }
}

export interface SuiteContext {
  cell: BackendCell;
  open(options?: CellOpenOptions): Promise<CellInstance>;
  /** A test that runs only where the cell declares the capability; otherwise skipped with the reason in its title. */
  itIf(capability: keyof CellCapabilities, title: string, fn: () => Promise<void>, timeout?: number): void;
}
