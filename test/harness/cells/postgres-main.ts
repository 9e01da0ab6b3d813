import type { BackendCell } from '../cells.js';

/** Cells being added (see the issue for this backend). */
export const POSTGRES_MAIN_CELLS: BackendCell[] = [];
