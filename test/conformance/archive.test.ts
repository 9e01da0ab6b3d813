import { archiveSuite } from '../../src/testing/suites/archive.js';
import { conformance } from '../harness/conformance.js';

conformance(archiveSuite);
