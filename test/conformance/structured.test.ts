import { structuredSuite } from '../../src/testing/suites/structured.js';
import { conformance } from '../harness/conformance.js';

conformance(structuredSuite);
