import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import type { z } from 'zod';
import type { BackendCatalog, BackendDefinition } from '../contracts/backend-plugin.js';
import { ConfigError } from '../errors.js';
import { configVariables, unknownVariables } from './env-names.js';
import { CONFIG_KEYS, memoryConfigSchema, NUMERIC_KEYS, toCamel, toSnake, type MemoryConfig, type MemoryConfigInput } from './schema.js';

/** Where a value came from, so an error points at the place to fix. */
type Origin = { kind: 'file'; path: string; key: string } | { kind: 'object'; key: string } | { kind: 'env'; variable: string };

const TOP_LEVEL_TABLES = new Set(['memory', 'server']);
const SNAKE_TO_CAMEL = new Map([...CONFIG_KEYS].map(([camel, snake]) => [snake, camel]));

export interface LoadConfigOptions {
  /** Environment used for `MEMSTRATE_*` overrides; defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
}

export interface ResolveConfigOptions extends LoadConfigOptions {
  /** The registered backends: their names, option schemas and flat-key aliases. */
  backends: BackendCatalog;
}

/** A flat pre-registry key and the table option it stands for. */
interface FlatAlias {
  backend: string;
  option: string;
}

/** Raw values gathered from every source, before validation. */
class RawConfig {
  readonly core: Record<string, unknown> = {};
  readonly tables = new Map<string, Record<string, unknown>>();
  readonly origins = new Map<string, Origin>();
  readonly problems: string[] = [];
  /** `[key, variable]` of secret variables named outside [memory] (the gateway's `[server] token_env`). */
  readonly secretNames: [string, unknown][] = [];

  table(name: string): Record<string, unknown> {
    let table = this.tables.get(name);
    if (!table) this.tables.set(name, (table = {}));
    return table;
  }

  setCore(key: string, value: unknown, origin: Origin): void {
    this.core[key] = value;
    this.origins.set(key, origin);
  }

  /** Sets a backend option; the same option given twice in one source (flat and table) is a problem. */
  setOption(backend: string, option: string, value: unknown, origin: Origin, override: boolean): void {
    const table = this.table(backend);
    const id = `${backend}.${option}`;
    const before = this.origins.get(id);
    if (!override && before && before.kind !== 'env' && option in table) {
      this.problems.push(`${describe(before)} and ${describe(origin)} set the same option (${id}); keep one`);
    }
    table[option] = value;
    this.origins.set(id, origin);
  }
}

/**
 * Validates a configuration against the registered backends: reads a TOML file (its `[memory]`
 * table) or takes an object, applies `MEMSTRATE_*` overrides, validates the substrate-wide keys and
 * each backend's options (its own zod schema), and lists every problem in one ConfigError.
 */
export function resolveConfig(source: string | MemoryConfigInput | undefined, options: ResolveConfigOptions): MemoryConfig {
  const catalog = options.backends;
  const flat = flatAliases(catalog);
  const raw = new RawConfig();

  if (typeof source === 'string') {
    readFile(source, raw, catalog, flat);
  } else if (source !== undefined) {
    if (typeof source !== 'object' || source === null || Array.isArray(source)) {
      throw new ConfigError(['configuration must be an object or a path to a TOML file']);
    }
    readObject(source, raw, catalog, flat);
  }
  const env = options.env ?? process.env;
  applyEnv(env, raw, catalog, flat);

  const { problems } = raw;
  const result = memoryConfigSchema.safeParse(raw.core);
  if (!result.success) problems.push(...formatIssues(result.error.issues, (key) => describeCore(key, raw.origins)));
  // Go on with what can be read, so that every problem is listed at once.
  const rawName = (key: string) => (typeof raw.core[key] === 'string' ? (raw.core[key] as string) : undefined);
  const backend = result.data?.backend ?? rawName('backend') ?? 'sqlite';
  const explicitSemantic = result.data ? result.data.semanticBackend : rawName('semanticBackend');
  const main = pick(catalog, backend, 'main', describeCore('backend', raw.origins), problems);
  // An implicit semantic backend (= backend) is reported once, as the main backend.
  const semantic =
    explicitSemantic === undefined && !main
      ? undefined
      : pick(catalog, explicitSemantic ?? backend, 'semantic', describeCore(explicitSemantic === undefined ? 'backend' : 'semanticBackend', raw.origins), problems);

  // Validate the options of every backend in use and of every table given.
  const backendOptions: Record<string, Record<string, unknown>> = {};
  const wanted = new Set([...(main ? [main.name] : []), ...(semantic ? [semantic.name] : []), ...raw.tables.keys()]);
  for (const name of wanted) {
    const definition = catalog.get(name);
    if (!definition) continue; // reported where the table was read
    const given = raw.tables.get(name) ?? {};
    const parsedOptions = definition.options.safeParse(given);
    if (parsedOptions.success) {
      backendOptions[name] = parsedOptions.data as Record<string, unknown>;
    } else {
      problems.push(...formatIssues(parsedOptions.error.issues, (key) => describeOption(name, key, raw.origins), definition));
    }
    // Facet checks (e.g. a required URL) also run on options that failed validation, to list every problem.
    const options = (backendOptions[name] ?? given) as never;
    const checks = [...(definition === main ? (main.main?.check?.(options) ?? []) : []), ...(definition === semantic ? (semantic.semantic?.check?.(options) ?? []) : [])];
    for (const problem of checks) if (!problems.includes(problem)) problems.push(problem);
  }
  const mainOptions = main ? backendOptions[main.name] : undefined;

  const parsed = result.data;
  if (parsed?.embeddingProvider === 'openai' && !parsed.embeddingModel) {
    problems.push(`embedding_model: required when embedding_provider is "openai"`);
  }
  if (parsed?.embeddingProvider === 'none' && parsed.embeddingModel !== undefined) {
    problems.push(`${describeCore('embeddingModel', raw.origins)}: set, but embedding_provider is "none"`);
  }
  // Variables the configuration names for secrets (`*_env` keys, the gateway's token_env) are known too.
  const secretVariables = [...Object.entries(raw.core), ...[...raw.tables.values()].flatMap((t) => Object.entries(t)), ...raw.secretNames]
    .filter(([key, value]) => /Env$/.test(key) && typeof value === 'string')
    .map(([, value]) => value as string);
  problems.push(...unknownVariables(env, configVariables(catalog, flat.keys()), secretVariables));
  if (parsed?.auditAnchorUrl !== undefined && parsed.auditAnchorPath !== undefined) {
    problems.push(`${describeCore('auditAnchorUrl', raw.origins)} and ${describeCore('auditAnchorPath', raw.origins)}: choose one anchor, a file or a PostgreSQL table`);
  }
  if (problems.length > 0 || !parsed) throw new ConfigError(problems);

  const defaultAnchor = main?.main?.defaultAuditAnchorPath(mainOptions ?? {});
  if (parsed.auditAnchorUrl !== undefined) {
    // The shared anchor's row: by default named like the file anchor would be (store identity).
    const name = parsed.auditAnchorName ?? (defaultAnchor ? basename(defaultAnchor).replace(/\.audit-anchor$/, '') : 'memstrate');
    return { ...parsed, semanticBackend: explicitSemantic ?? backend, auditAnchorPath: undefined, auditAnchorName: name, backendOptions };
  }
  return {
    ...parsed,
    semanticBackend: explicitSemantic ?? backend,
    auditAnchorPath: parsed.auditAnchorPath ?? defaultAnchor,
    backendOptions,
  };
}

/** The definition named `name` with the wanted facet, or a problem listing the registered ones. */
function pick(catalog: BackendCatalog, name: string, facet: 'main' | 'semantic', where: string, problems: string[]): BackendDefinition | undefined {
  const definition = catalog.get(name);
  if (definition?.[facet]) return definition;
  const names = catalog.all().filter((d) => d[facet] !== undefined).map((d) => JSON.stringify(d.name));
  const kind = facet === 'main' ? 'main backend' : 'semantic backend';
  problems.push(`${where}: unknown ${kind} ${JSON.stringify(name)}; registered ${kind}s: ${names.join(', ') || '(none)'}`);
  return undefined;
}

function flatAliases(catalog: BackendCatalog): Map<string, FlatAlias> {
  const aliases = new Map<string, FlatAlias>();
  for (const definition of catalog.all()) {
    for (const [flatKey, option] of Object.entries(definition.flatKeys ?? {})) aliases.set(flatKey, { backend: definition.name, option });
  }
  return aliases;
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

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function registeredList(catalog: BackendCatalog): string {
  return catalog.all().map((d) => d.name).join(', ');
}

function readFile(path: string, raw: RawConfig, catalog: BackendCatalog, flat: Map<string, FlatAlias>): void {
  const doc = readTomlFile(path);
  for (const table of Object.keys(doc)) {
    if (!TOP_LEVEL_TABLES.has(table)) raw.problems.push(`${path}: unknown table or key "${table}" (expected [memory] or [server])`);
  }
  const server = doc['server'];
  if (isTable(server) && typeof server['token_env'] === 'string') raw.secretNames.push(['tokenEnv', server['token_env']]);
  if (isTable(server) && Array.isArray(server['tokens'])) {
    for (const t of server['tokens']) if (isTable(t) && typeof t['token_env'] === 'string') raw.secretNames.push(['tokenEnv', t['token_env']]);
  }
  const memory = doc['memory'];
  if (memory === undefined) return;
  if (!isTable(memory)) {
    raw.problems.push(`${path}: memory must be a table`);
    return;
  }
  for (const [snake, value] of Object.entries(memory)) {
    const camel = SNAKE_TO_CAMEL.get(snake);
    const alias = flat.get(toCamel(snake));
    if (camel !== undefined) {
      raw.setCore(camel, value, { kind: 'file', path, key: `memory.${snake}` });
    } else if (alias !== undefined && !isTable(value)) {
      raw.setOption(alias.backend, alias.option, value, { kind: 'file', path, key: `memory.${snake}` }, false);
    } else if (catalog.get(snake) !== undefined) {
      if (!isTable(value)) {
        raw.problems.push(`memory.${snake} (in ${path}): must be a table of the ${snake} backend's options ([memory.${snake}])`);
        continue;
      }
      raw.table(snake);
      for (const [option, v] of Object.entries(value)) {
        raw.setOption(snake, toCamel(option), v, { kind: 'file', path, key: `memory.${snake}.${option}` }, false);
      }
    } else if (isTable(value)) {
      raw.problems.push(`memory.${snake} (in ${path}): no backend named "${snake}" is registered (registered: ${registeredList(catalog)})`);
    } else {
      raw.problems.push(`memory.${snake}: unknown key (in ${path})`);
    }
  }
}

function readObject(source: MemoryConfigInput, raw: RawConfig, catalog: BackendCatalog, flat: Map<string, FlatAlias>): void {
  for (const [key, value] of Object.entries(source)) {
    if (value === undefined) continue;
    const alias = flat.get(key);
    if (CONFIG_KEYS.has(key)) {
      raw.setCore(key, value, { kind: 'object', key });
    } else if (alias !== undefined) {
      raw.setOption(alias.backend, alias.option, value, { kind: 'object', key }, false);
    } else if (catalog.get(key) !== undefined) {
      if (!isTable(value)) {
        raw.problems.push(`${key}: must be an object of the ${key} backend's options`);
        continue;
      }
      raw.table(key);
      for (const [option, v] of Object.entries(value)) {
        if (v !== undefined) raw.setOption(key, option, v, { kind: 'object', key: `${key}.${option}` }, false);
      }
    } else if (isTable(value)) {
      raw.problems.push(`${key}: no backend named "${key}" is registered (registered: ${registeredList(catalog)})`);
    } else {
      raw.problems.push(`${key}: unknown key`);
    }
  }
}

/** `MEMSTRATE_<KEY>` for substrate-wide and flat keys, `MEMSTRATE_<BACKEND>_<OPTION>` for backend options. */
function applyEnv(env: NodeJS.ProcessEnv, raw: RawConfig, catalog: BackendCatalog, flat: Map<string, FlatAlias>): void {
  for (const [camel, snake] of CONFIG_KEYS) {
    const variable = `MEMSTRATE_${snake.toUpperCase()}`;
    const value = env[variable];
    if (value === undefined) continue;
    if (NUMERIC_KEYS.has(camel)) {
      const n = value.trim() === '' ? Number.NaN : Number(value);
      if (!Number.isFinite(n)) {
        raw.problems.push(`${variable}: expected a number, got ${JSON.stringify(value)}`);
        delete raw.core[camel];
        continue;
      }
      raw.setCore(camel, n, { kind: 'env', variable });
    } else {
      raw.setCore(camel, value, { kind: 'env', variable });
    }
  }
  const variables = new Map<string, FlatAlias>();
  for (const [flatKey, alias] of flat) variables.set(`MEMSTRATE_${toSnake(flatKey).toUpperCase()}`, alias);
  for (const definition of catalog.all()) {
    const prefix = `MEMSTRATE_${definition.name.replace(/-/g, '_').toUpperCase()}_`;
    for (const option of Object.keys(definition.options.shape)) {
      variables.set(`${prefix}${toSnake(option).toUpperCase()}`, { backend: definition.name, option });
    }
  }
  for (const [variable, alias] of variables) {
    const value = env[variable];
    if (value === undefined) continue;
    const definition = catalog.get(alias.backend);
    const field = (definition?.options.shape as Record<string, z.ZodType> | undefined)?.[alias.option];
    raw.setOption(alias.backend, alias.option, field ? coerce(field, value) : value, { kind: 'env', variable }, true);
  }
}

/** An env string as the option's schema wants it: the string itself, else a number, else a boolean. */
function coerce(field: z.ZodType, value: string): unknown {
  if (field.safeParse(value).success) return value;
  const trimmed = value.trim();
  if (trimmed !== '' && Number.isFinite(Number(trimmed)) && field.safeParse(Number(trimmed)).success) return Number(trimmed);
  if ((trimmed === 'true' || trimmed === 'false') && field.safeParse(trimmed === 'true').success) return trimmed === 'true';
  // Not acceptable in any form: pass a number when it looks like one, so the message says why (e.g. ">= 1").
  return trimmed !== '' && Number.isFinite(Number(trimmed)) ? Number(trimmed) : value;
}

function describe(origin: Origin): string {
  if (origin.kind === 'env') return origin.variable;
  if (origin.kind === 'file') return `${origin.key} (in ${origin.path})`;
  return origin.key;
}

function describeCore(camel: string, origins: Map<string, Origin>): string {
  const origin = origins.get(camel);
  return origin ? describe(origin) : camel;
}

function describeOption(backend: string, option: string, origins: Map<string, Origin>): string {
  const origin = origins.get(`${backend}.${option}`);
  return origin ? describe(origin) : `${backend}.${option}`;
}

function formatIssues(issues: readonly z.core.$ZodIssue[], where: (key: string) => string, definition?: BackendDefinition): string[] {
  const out: string[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const known = definition ? ` (options of ${definition.name}: ${Object.keys(definition.options.shape).map(toSnake).join(', ')})` : '';
      for (const key of issue.keys) out.push(`${definition ? `${definition.name}.${toSnake(key)}` : key}: unknown key${known}`);
      continue;
    }
    const key = String(issue.path[0] ?? '');
    const at = key ? where(key) : definition ? `${definition.name} options` : 'config';
    if (issue.code === 'invalid_value') {
      out.push(`${at}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(' | ')}`);
    } else if (issue.code === 'too_small' || issue.code === 'too_big') {
      const bound = issue.code === 'too_small' ? `>= ${String(issue.minimum)}` : `<= ${String(issue.maximum)}`;
      out.push(`${at}: must be ${bound}`);
    } else if (issue.code === 'invalid_type') {
      out.push(`${at}: expected ${issue.expected}`);
    } else {
      out.push(`${at}: ${issue.message}`);
    }
  }
  return out;
}
