import { z } from 'zod';

/**
 * `[memory.jsonfile]`: where the memories file is. Validated by memstrate with this schema (snake_case
 * in TOML, camelCase in objects, `MEMSTRATE_JSONFILE_PATH` in the environment).
 */
export const jsonfileOptions = z.strictObject({
  /** The JSON file (its directory is created at open, the file on the first write). */
  path: z.string().min(1).default('./data/memories.json'),
});

export type JsonfileOptions = z.output<typeof jsonfileOptions>;
