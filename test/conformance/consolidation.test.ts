import { consolidationSuite } from '../../src/testing/suites/consolidation.js';
import { conformance } from '../harness/conformance.js';

conformance(consolidationSuite);
