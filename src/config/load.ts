import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { CONFIG_KEYS, memoryConfigSchema, NUMERIC_KEYS, type MemoryConfig, type MemoryConfigInput } from './schema.js';

/** Where each key's value came from, so an error points at the place to fix. */
type Origin = { kind: 'file'; path: string } | { kind: 'object' } | { kind: 'env'; variable: string };

const SNAKE_TO_CAMEL = new Map([...CONFIG_KEYS].map(([camel, snake]) => [snake, camel]));
const TOP_LEVEL_TABLES = new Set(['memory', 'server']);

export interface LoadConfigOptions {
  /** Environment used for `MEMSTRATE_*` overrides; defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** Reads a TOML file (its `[memory]` table), or takes an object; applies env overrides; validates. */
export async function loadConfig(
  source?: string | MemoryConfigInput,
  options: LoadConfigOptions = {},
): Promise<MemoryConfig> {
  return resolveConfig(source, options);
}

/** Synchronous core of loadConfig. */
export function resolveConfig(source?: string | MemoryConfigInput, options: LoadConfigOptions = {}): MemoryConfig {
  const problems: string[] = [];
  const raw: Record<string, unknown> = {};
  const origins = new Map<string, Origin>();

  if (typeof source === 'string') {
    readMemoryTable(source, raw, origins, problems);
  } else if (source !== undefined) {
    if (typeof source !== 'object' || source === null || Array.isArray(source)) {
      throw new ConfigError(['configuration must be an object or a path to a TOML file']);
    }
    for (const [key, value] of Object.entries(source)) {
      if (value === undefined) continue;
      raw[key] = value;
      origins.set(key, { kind: 'object' });
    }
  }

  applyEnv(options.env ?? process.env, raw, origins, problems);

  const result = memoryConfigSchema.safeParse(raw);
  if (!result.success) problems.push(...formatIssues(result.error.issues, origins));
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);

  const parsed = result.data;
  const config: MemoryConfig = {
    ...parsed,
    semanticBackend: parsed.semanticBackend ?? parsed.backend,
    auditAnchorPath: parsed.auditAnchorPath ?? defaultAnchorPath(parsed),
  };
  problems.push(...crossFieldProblems(config, origins));
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/**
 * Beside the SQLite file; none (an in-memory anchor) for `:memory:`; for PostgreSQL one file per
 * database and schema under ./data, so two stores never share an anchor.
 */
function defaultAnchorPath(parsed: { backend: string; sqlitePath: string; postgresUrl?: string | undefined; postgresSchema: string }): string | undefined {
  if (parsed.backend === 'sqlite') return parsed.sqlitePath === ':memory:' ? undefined : `${parsed.sqlitePath}.audit-anchor`;
  let database = 'postgres';
  try {
    database = decodeURIComponent(new URL(parsed.postgresUrl ?? '').pathname.slice(1)) || database;
  } catch {
    // keep the default name; the URL is validated elsewhere
  }
  const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_');
  return join('.', 'data', `memstrate-${safe(database)}-${safe(parsed.postgresSchema)}.audit-anchor`);
}

/** Reads and parses a TOML file; ConfigError (without echoing the file's text) when it cannot. */
export function readTomlFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError([`cannot read config file ${path}: ${(cause as NodeJS.ErrnoException).code ?? 'error'}`], { cause });
  }
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (cause) {
    // The parser's error quotes the offending line, which may hold a secret: keep only its first line
    // (position and reason) and do not attach it as the cause.
    throw new ConfigError([`${path} is not valid TOML: ${(cause as Error).message.split('\n')[0]}`]);
  }
}

function readMemoryTable(path: string, raw: Record<string, unknown>, origins: Map<string, Origin>, problems: string[]): void {
  const doc = readTomlFile(path);
  for (const table of Object.keys(doc)) {
    if (!TOP_LEVEL_TABLES.has(table)) problems.push(`${path}: unknown table or key "${table}" (expected [memory] or [server])`);
  }
  const memory = doc['memory'];
  if (memory === undefined) return;
  if (typeof memory !== 'object' || memory === null || Array.isArray(memory)) {
    problems.push(`${path}: memory must be a table`);
    return;
  }
  for (const [snake, value] of Object.entries(memory)) {
    const camel = SNAKE_TO_CAMEL.get(snake);
    if (camel === undefined) {
      problems.push(`memory.${snake}: unknown key (in ${path})`);
      continue;
    }
    raw[camel] = value;
    origins.set(camel, { kind: 'file', path });
  }
}

function applyEnv(env: NodeJS.ProcessEnv, raw: Record<string, unknown>, origins: Map<string, Origin>, problems: string[]): void {
  for (const [camel, snake] of CONFIG_KEYS) {
    const variable = `MEMSTRATE_${snake.toUpperCase()}`;
    const value = env[variable];
    if (value === undefined) continue;
    origins.set(camel, { kind: 'env', variable });
    if (NUMERIC_KEYS.has(camel)) {
      const n = value.trim() === '' ? Number.NaN : Number(value);
      if (!Number.isFinite(n)) {
        problems.push(`${variable}: expected a number, got ${JSON.stringify(value)}`);
        delete raw[camel];
        continue;
      }
      raw[camel] = n;
    } else {
      raw[camel] = value;
    }
  }
}

function describeKey(camel: string, origins: Map<string, Origin>): string {
  const origin = origins.get(camel);
  const snake = CONFIG_KEYS.get(camel) ?? camel;
  if (!origin) return camel;
  if (origin.kind === 'env') return origin.variable;
  if (origin.kind === 'file') return `memory.${snake} (in ${origin.path})`;
  return camel;
}

function formatIssues(issues: readonly z.core.$ZodIssue[], origins: Map<string, Origin>): string[] {
  const out: string[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push(`${key}: unknown key`);
      continue;
    }
    const key = String(issue.path[0] ?? '');
    const where = key ? describeKey(key, origins) : 'config';
    if (issue.code === 'invalid_value') {
      out.push(`${where}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(' | ')}`);
    } else if (issue.code === 'too_small' || issue.code === 'too_big') {
      const bound = issue.code === 'too_small' ? `>= ${String(issue.minimum)}` : `<= ${String(issue.maximum)}`;
      out.push(`${where}: must be ${bound}`);
    } else if (issue.code === 'invalid_type') {
      out.push(`${where}: expected ${issue.expected}`);
    } else {
      out.push(`${where}: ${issue.message}`);
    }
  }
  return out;
}

function crossFieldProblems(config: MemoryConfig, origins: Map<string, Origin>): string[] {
  const problems: string[] = [];
  if (config.backend === 'postgres' && !config.postgresUrl) {
    problems.push(`postgres_url: required when backend is "postgres"`);
  }
  if (config.semanticBackend === 'postgres' && !config.postgresUrl && !config.semanticPostgresUrl) {
    problems.push(`postgres_url (or semantic_postgres_url): required when semantic_backend is "postgres"`);
  }
  if (config.semanticBackend === 'http' && !config.httpUrl) {
    problems.push(`http_url: required when semantic_backend is "http"`);
  }
  if (config.embeddingProvider === 'openai' && !config.embeddingModel) {
    problems.push(`embedding_model: required when embedding_provider is "openai"`);
  }
  if (config.embeddingProvider === 'none' && config.embeddingModel !== undefined) {
    problems.push(`${describeKey('embeddingModel', origins)}: set, but embedding_provider is "none"`);
  }
  return problems;
}
