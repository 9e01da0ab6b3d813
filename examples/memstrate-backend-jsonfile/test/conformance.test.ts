// memstrate's whole conformance suite, run against this backend (the built-in SQLite file is the main store).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runConformance } from 'memstrate/testing';
import { jsonfileBackend } from '../src/index.js';

runConformance({
  backend: jsonfileBackend,
  role: 'semantic',
  instance: () => {
    const dir = mkdtempSync(join(tmpdir(), 'jsonfile-conformance-'));
    return { options: { path: join(dir, 'memories.json') }, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  },
});
