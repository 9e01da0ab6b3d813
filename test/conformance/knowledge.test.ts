import { knowledgeSuite } from '../../src/testing/suites/knowledge.js';
import { conformance } from '../harness/conformance.js';

conformance(knowledgeSuite);
