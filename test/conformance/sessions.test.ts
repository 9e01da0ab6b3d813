import { sessionsSuite } from '../../src/testing/suites/sessions.js';
import { conformance } from '../harness/conformance.js';

conformance(sessionsSuite);
