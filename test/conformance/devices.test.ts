import { devicesSuite } from '../../src/testing/suites/devices.js';
import { conformance } from '../harness/conformance.js';

conformance(devicesSuite);
