import type { BackendCell } from '../cells.js';

/** Cells being added (see the issue for this backend). */
export const HTTP_CELLS: BackendCell[] = [];
