import { semanticSuite } from '../../src/testing/suites/semantic.js';
import { conformance } from '../harness/conformance.js';

conformance(semanticSuite);
