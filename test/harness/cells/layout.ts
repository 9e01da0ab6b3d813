import { MemorySubstrate, type MemoryConfigInput } from '../../../src/index.js';
import type { CellInstance, CellOpenOptions } from '../cells.js';

/** What a cell sets up before opening: the config, raw SQL on its main database, and its cleanup. */
export interface Layout {
  config: MemoryConfigInput;
  rawSql(text: string, params: unknown[]): Promise<unknown[]>;
  cleanup(): Promise<void>;
}

/**
 * Opens a substrate on a layout and returns the cell instance (reopen on the same data, raw SQL,
 * dispose = close + cleanup). The layout is cleaned up if the first open fails.
 */
export async function openLayout(layout: Layout, options: CellOpenOptions): Promise<CellInstance> {
  const { config } = layout;
  const openWith = (o: CellOpenOptions) =>
    MemorySubstrate.open({ ...config, ...o.config }, { clock: o.clock, embedder: o.embedder, env: o.env ?? {} });
  let mem: MemorySubstrate;
  try {
    mem = await openWith(options);
  } catch (error) {
    await layout.cleanup().catch(() => {});
    throw error;
  }
  return {
    get mem() {
      return mem;
    },
    config,
    async reopen(o = options) {
      await mem.close();
      mem = await openWith(o);
      return mem;
    },
    rawSql: (text, ...params) => layout.rawSql(text, params),
    async dispose() {
      await mem.close().catch(() => {});
      await layout.cleanup();
    },
  };
}
