/**
 * memstrate/testing — the conformance kit. Runs memstrate's whole conformance suite in vitest
 * against a backend plugin (`runConformance`), or single suites over cells of your own
 * (`conformance(suite, cells)`). Requires vitest (an optional peer dependency of memstrate).
 */
export { runConformance } from './run-conformance.js';
export { pluginCells, type ConformanceOptions, type PluginInstance, type PluginRole } from './plugin-cell.js';
export { conformance, defineSuite, type ConformanceSuite, type SuiteContext } from './conformance.js';
export type { BackendCell, CellCapabilities, CellInstance, CellOpenOptions } from './cell.js';
export * from './suites/index.js';
export { ManualClock } from './clock.js';
