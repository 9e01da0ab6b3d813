import { usageSuite } from '../../src/testing/suites/usage.js';
import { conformance } from '../harness/conformance.js';

conformance(usageSuite);
