import { MemorySubstrate, type BackendCatalog, type MemoryConfigInput } from '../index.js';
import type { CellInstance, CellOpenOptions } from './cell.js';

/** What a cell sets up before opening: the config, raw SQL on its main database, and its cleanup. */
export interface Layout {
  config: MemoryConfigInput;
  /** The backends to open through; default: the process-wide registry. */
  backends?: BackendCatalog;
  /** Environment every open gets (a test's own `env` is merged over it). */
  env?: NodeJS.ProcessEnv;
  rawSql(text: string, params: unknown[]): Promise<unknown[]>;
  cleanup(): Promise<void>;
}

/**
 * Opens a substrate on a layout and returns the cell instance (reopen on the same data, raw SQL,
 * dispose = close + cleanup). The layout is cleaned up if the first open fails.
 */
export async function openLayout(layout: Layout, options: CellOpenOptions): Promise<CellInstance> {
  const { config, backends } = layout;
  const openWith = (o: CellOpenOptions) =>
    MemorySubstrate.open({ ...config, ...o.config }, { clock: o.clock, embedder: o.embedder, env: { ...layout.env, ...o.env }, backends });
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
    ...(layout.env ? { env: layout.env } : {}),
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
