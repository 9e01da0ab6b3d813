import { reembedSuite } from '../../src/testing/suites/reembed.js';
import { conformance } from '../harness/conformance.js';

conformance(reembedSuite);
