import { resolveConfig, type LoadConfigOptions } from '../config/load.js';
import type { MemoryConfig, MemoryConfigInput } from '../config/schema.js';
import type { BackendCatalog } from '../contracts/backend-plugin.js';
import { backendRegistry } from './backends.js';

/**
 * Reads a TOML file (its `[memory]` table) or takes an object, applies `MEMSTRATE_*` overrides and
 * validates everything — the substrate-wide keys and each backend's table, against the registered
 * backends — listing every problem in one ConfigError.
 */
export async function loadConfig(
  source?: string | MemoryConfigInput,
  options: LoadConfigOptions & { backends?: BackendCatalog } = {},
): Promise<MemoryConfig> {
  return resolveConfig(source, { ...options, backends: options.backends ?? backendRegistry });
}
