import { memoryKeysSuite, memoryUpdateSuite, semanticSuite } from '../../src/testing/suites/semantic.js';
import { conformance } from '../harness/conformance.js';

conformance(semanticSuite);
conformance(memoryKeysSuite);
conformance(memoryUpdateSuite);
