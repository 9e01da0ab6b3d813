import type { ConformanceSuite } from '../conformance.js';
import { archiveSuite } from './archive.js';
import { auditCoverageSuite } from './audit-coverage.js';
import { auditSuite } from './audit.js';
import { consolidationSuite } from './consolidation.js';
import { devicesSuite } from './devices.js';
import { knowledgeSuite } from './knowledge.js';
import { memoryKeysSuite, memoryUpdateSuite, semanticSuite } from './semantic.js';
import { reembedSuite } from './reembed.js';
import { sessionsSuite } from './sessions.js';
import { structuredSuite } from './structured.js';
import { substrateSuite } from './substrate.js';
import { tasksSuite } from './tasks.js';
import { usageSuite } from './usage.js';

export {
  archiveSuite,
  auditCoverageSuite,
  auditSuite,
  consolidationSuite,
  devicesSuite,
  knowledgeSuite,
  memoryKeysSuite,
  memoryUpdateSuite,
  reembedSuite,
  semanticSuite,
  sessionsSuite,
  structuredSuite,
  substrateSuite,
  tasksSuite,
  usageSuite,
};

/** Every conformance suite, one per store (plus the substrate and audit coverage), in a fixed order. */
export const CONFORMANCE_SUITES: readonly ConformanceSuite[] = [
  substrateSuite,
  structuredSuite,
  semanticSuite,
  memoryKeysSuite,
  memoryUpdateSuite,
  knowledgeSuite,
  sessionsSuite,
  usageSuite,
  devicesSuite,
  tasksSuite,
  consolidationSuite,
  auditSuite,
  auditCoverageSuite,
  archiveSuite,
  reembedSuite,
];

/** The suites' store names: `substrate`, `structured`, `semantic`, …, `audit coverage`. */
export type ConformanceSuiteName =
  | 'substrate'
  | 'structured'
  | 'semantic'
  | 'semantic keys, dedupe and expiry'
  | 'semantic update'
  | 'reembed'
  | 'knowledge'
  | 'sessions'
  | 'usage'
  | 'devices'
  | 'tasks'
  | 'consolidation'
  | 'audit'
  | 'audit coverage'
  | 'archive';
