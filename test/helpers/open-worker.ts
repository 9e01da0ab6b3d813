/** Child process: opens the substrate on the given SQLite file, prints its schema version, closes. */
import { MemorySubstrate } from '../../src/index.js';

const path = process.argv[2];
if (!path) throw new Error('usage: open-worker <sqlitePath>');
const mem = await MemorySubstrate.open({ sqlitePath: path }, { env: {} });
process.stdout.write(`${mem.info.schemaVersion}\n`);
await mem.close();
