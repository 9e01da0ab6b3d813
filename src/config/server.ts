import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { readTomlFile } from './load.js';

/**
 * The `[server]` table: settings of `memstrate serve` (the HTTP gateway), snake_case in TOML,
 * camelCase here. Unknown keys and out-of-range values are errors, all listed in one ConfigError.
 */
export const serverConfigSchema = z.strictObject({
  /** Environment variable holding the bearer token. */
  tokenEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name').default('MEMSTRATE_TOKEN'),
  /** Largest request body accepted (413 beyond): 1 KiB .. 1 GiB, default 1 MiB. */
  bodyLimitBytes: z.int().min(1024).max(1_073_741_824).default(1_048_576),
});

export type ServerConfig = z.output<typeof serverConfigSchema>;

const SERVER_KEYS: ReadonlyMap<string, string> = new Map(
  Object.keys(serverConfigSchema.shape).map((camel) => [camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), camel]),
);

/** The `[server]` table of a TOML file (defaults when there is no file or no table). */
export function loadServerConfig(path?: string): ServerConfig {
  if (path === undefined) return serverConfigSchema.parse({});
  const table = readTomlFile(path)['server'];
  if (table === undefined) return serverConfigSchema.parse({});
  if (typeof table !== 'object' || table === null || Array.isArray(table)) throw new ConfigError([`${path}: server must be a table`]);
  const problems: string[] = [];
  const raw: Record<string, unknown> = {};
  for (const [snake, value] of Object.entries(table)) {
    const camel = SERVER_KEYS.get(snake);
    if (camel === undefined) problems.push(`server.${snake}: unknown key (in ${path})`);
    else raw[camel] = value;
  }
  const result = serverConfigSchema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const camel = String(issue.path[0] ?? '');
      const snake = camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
      problems.push(`server.${snake} (in ${path}): ${issue.message}`);
    }
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return result.data;
}

/** The bearer token from the environment variable the config names; undefined when unset or empty. */
export function readServerToken(config: ServerConfig, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[config.tokenEnv];
  return value === undefined || value.trim() === '' ? undefined : value;
}
