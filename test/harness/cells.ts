import type { BackendCell } from '../../src/testing/cell.js';
import { SQLITE_CELLS } from './cells/sqlite.js';
import { POSTGRES_MAIN_CELLS } from './cells/postgres-main.js';
import { PGVECTOR_CELLS } from './cells/pgvector.js';
import { HTTP_CELLS } from './cells/http.js';
import { QDRANT_CELLS } from './cells/qdrant.js';

/** The cell types live with the suites in src/testing (the plugin kit builds its cells from them too). */
export type { BackendCell, CellCapabilities, CellInstance, CellOpenOptions } from '../../src/testing/cell.js';

const ALL_CELLS: BackendCell[] = [...SQLITE_CELLS, ...POSTGRES_MAIN_CELLS, ...PGVECTOR_CELLS, ...QDRANT_CELLS, ...HTTP_CELLS];

/** Cells selected by MEMSTRATE_TEST_CELLS (comma-separated names like `sqlite×sqlite`), default all. */
export function selectedCells(): BackendCell[] {
  const wanted = process.env['MEMSTRATE_TEST_CELLS'];
  if (!wanted) return ALL_CELLS;
  const names = new Set(wanted.split(',').map((s) => s.replace(/\s+/g, '')));
  return ALL_CELLS.filter((c) => names.has(c.name.replace(/\s+/g, '')));
}
