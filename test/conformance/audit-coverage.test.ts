import { expect, it } from 'vitest';
import { STORE_METHODS } from '../../src/contracts/store-methods.js';
import { auditCoverageSuite, SCENARIOS, type Stores } from '../../src/testing/suites/audit-coverage.js';
import { conformance } from '../harness/conformance.js';

it('every mutating method of every store contract has an audit scenario (and nothing else does)', () => {
  for (const [store, kinds] of Object.entries(STORE_METHODS)) {
    const mutations = Object.entries(kinds).filter(([, kind]) => kind === 'mutation').map(([name]) => name).sort();
    expect(Object.keys(SCENARIOS[store as keyof Stores]).sort(), store).toEqual(mutations);
  }
});

conformance(auditCoverageSuite);
