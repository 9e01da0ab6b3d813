import { tasksSuite } from '../../src/testing/suites/tasks.js';
import { conformance } from '../harness/conformance.js';

conformance(tasksSuite);
