import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { readTomlFile } from './load.js';


/**
 * The `[server]` table: settings of `memstrate serve` (the HTTP gateway), snake_case in TOML,
 * camelCase here. Unknown keys and out-of-range values are errors, all listed in one ConfigError.
 */
/** What a bearer token may do (enforced by the gateway: src/server/access.ts). */
export const TOKEN_SCOPES = ['read', 'write', 'admin'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** A configured token, resolved from its env var. */
export interface GatewayToken {
  /** Names the token in logs and errors (never the token itself). */
  name: string;
  token: string;
  /** Agent ids the token may touch, or `*` for every agent. */
  agents: '*' | readonly string[];
  scopes: readonly TokenScope[];
}

const envVar = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');

export const serverConfigSchema = z.strictObject({
  /** Environment variable holding the bearer token with every scope on every agent. */
  tokenEnv: envVar.default('MEMSTRATE_TOKEN'),
  /** Largest request body accepted (413 beyond): 1 KiB .. 1 GiB, default 1 MiB. */
  bodyLimitBytes: z.int().min(1024).max(1_073_741_824).default(1_048_576),
  /** Requests per minute per client (its token, or its address); 429 beyond. Absent: no limit. */
  rateLimitPerMinute: z.int().min(1).max(1_000_000).optional(),
  /**
   * Scoped tokens (`[[server.tokens]]`), each from its own env var: the agents it may touch (`*` =
   * every agent) and its scopes (`read`, `write`, `admin`). See src/server/access.ts.
   */
  tokens: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (1..64)'),
        tokenEnv: envVar,
        agents: z.array(z.string().min(1).max(256)).min(1),
        scopes: z.array(z.enum(TOKEN_SCOPES)).min(1),
      }),
    )
    .default([]),
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
    else if (camel === 'tokens' && Array.isArray(value)) raw[camel] = value.map((t) => (typeof t === 'object' && t !== null && !Array.isArray(t) ? camelKeys(t as Record<string, unknown>) : t));
    else raw[camel] = value;
  }
  const result = serverConfigSchema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const where = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p).replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`)).join('');
      const unknown = issue.code === 'unrecognized_keys' ? `: unknown key(s) ${issue.keys.map((k) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)).join(', ')}` : `: ${issue.message}`;
      problems.push(`server${where} (in ${path})${unknown}`);
    }
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return result.data;
}

function camelKeys(table: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(table).map(([k, v]) => [k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()), v]));
}

/**
 * The scoped tokens of `[[server.tokens]]`, each read from its env var. ConfigError, listing every
 * problem, when a variable is unset or empty, a token holds whitespace, two tokens are equal, or two
 * share a name.
 */
export function readScopedTokens(config: ServerConfig, env: NodeJS.ProcessEnv = process.env, unscoped?: string): GatewayToken[] {
  const problems: string[] = [];
  const out: GatewayToken[] = [];
  const seen = new Map<string, string>(unscoped !== undefined ? [[unscoped, config.tokenEnv]] : []);
  const names = new Set<string>();
  for (const t of config.tokens) {
    const value = env[t.tokenEnv];
    if (value === undefined || value.trim() === '') {
      problems.push(`server.tokens "${t.name}": environment variable ${t.tokenEnv} is not set or empty`);
      continue;
    }
    if (/\s/.test(value)) problems.push(`server.tokens "${t.name}": the token in ${t.tokenEnv} must not contain whitespace`);
    if (seen.has(value)) problems.push(`server.tokens "${t.name}": ${t.tokenEnv} holds the same token as ${seen.get(value)}; every token must differ`);
    if (names.has(t.name)) problems.push(`server.tokens: two tokens are named "${t.name}"`);
    seen.set(value, t.tokenEnv);
    names.add(t.name);
    out.push({ name: t.name, token: value, agents: t.agents.includes('*') ? '*' : t.agents, scopes: t.scopes });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}

/** The bearer token from the environment variable the config names; undefined when unset or empty. */
export function readServerToken(config: ServerConfig, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[config.tokenEnv];
  return value === undefined || value.trim() === '' ? undefined : value;
}
