import { conformance as declareFor, type ConformanceSuite } from '../../src/testing/conformance.js';
import { selectedCells } from './cells.js';

export type { BackendCell, CellInstance, CellOpenOptions } from '../../src/testing/cell.js';
export type { ConformanceSuite, SuiteContext } from '../../src/testing/conformance.js';

/**
 * Declares a conformance suite (src/testing/suites/) once for every selected built-in backend cell.
 * Inside, `open()` gives a fresh substrate that is disposed after the test.
 */
export function conformance(suite: ConformanceSuite): void {
  declareFor(suite, selectedCells());
}
