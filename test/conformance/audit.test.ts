import { auditSuite } from '../../src/testing/suites/audit.js';
import { conformance } from '../harness/conformance.js';

conformance(auditSuite);
