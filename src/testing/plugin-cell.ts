import { rmSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { z } from 'zod';
import { BackendRegistry, registeredBackends, type BackendDefinition, type MainCapabilities, type MemoryConfigInput, type SemanticCapabilities } from '../index.js';
import type { BackendCell, CellCapabilities } from './cell.js';
import { openLayout } from './layout.js';
import { sqliteRawSql, tempDir } from './sqlite-tools.js';
import type { ConformanceSuiteName } from './suites/index.js';

/**
 * Where the plugin runs: `semantic` = the built-in SQLite main store × the plugin (`sqlite × <name>`),
 * `main` = the plugin × SQLite semantic memory (`<name> × sqlite`), `both` = the plugin on both sides
 * (`<name> × <name>`).
 */
export type PluginRole = 'main' | 'semantic' | 'both';

/** One fresh, isolated instance of the plugin's storage (a new file, database schema, collection…). */
export interface PluginInstance<O = Record<string, unknown>> {
  /** The backend's `[memory.<name>]` table for this instance, in camelCase (what the options schema takes). */
  options: O;
  /** Environment the instance needs (secrets named by `*_env` options); child processes get it too. */
  env?: NodeJS.ProcessEnv;
  /** Removes what the instance created; called after its substrate closed. */
  cleanup?(): void | Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface ConformanceOptions<S extends z.ZodObject<any> = z.ZodObject<any>> {
  /** The plugin's definition (the same object it hands to `registerBackend`). */
  backend: BackendDefinition<S>;
  /**
   * The role(s) to run it in, one cell each. Default: `both` when the definition has both facets,
   * else the one facet it has.
   */
  role?: PluginRole | readonly PluginRole[];
  /** A fresh, isolated instance: called for every substrate a test opens (tests may hold two at once). */
  instance(): PluginInstance<z.input<S>> | Promise<PluginInstance<z.input<S>>>;
  /**
   * Raw SQL on the plugin's main store (`?` placeholders; numbers as JS numbers), for the tamper
   * tests of roles `main` / `both`; those tests are skipped without it. With role `semantic` the
   * main store is the built-in SQLite file and these tests always run.
   */
  rawSql?(options: z.input<S>, text: string, params: unknown[]): Promise<unknown[]>;
  /**
   * A module (file URL or absolute path) that registers the backend when imported, e.g.
   * `new URL('../src/register.ts', import.meta.url)`. Tests that spawn OS processes (multi-process
   * claims) run only with it — each child imports it first — and only where both sides declare
   * `multiProcess`. A TypeScript module makes the child run through `--import tsx`.
   */
  register?: string | URL;
  /**
   * Whether the opened substrate reports `sharedTransactions` in role `both` (an instance may refine
   * its declaration, e.g. when both sides share one connection). Default: the semantic facet's
   * declaration. In roles `main` and `semantic` it is always false.
   */
  sharedTransactions?: boolean;
  /** Run only these suites (default: every one). */
  suites?: readonly ConformanceSuiteName[];
}

const SQLITE = 'sqlite';
const SQLITE_ENGINE = 'the built-in SQLite file (better-sqlite3)';

function defaultRoles(backend: BackendDefinition): PluginRole[] {
  if (backend.main && backend.semantic) return ['both'];
  return backend.main ? ['main'] : ['semantic'];
}

function builtinSqlite(): BackendDefinition {
  const sqlite = registeredBackends().find((d) => d.name === SQLITE);
  if (!sqlite) throw new Error('memstrate/testing: the built-in sqlite backend is not registered');
  return sqlite;
}

/**
 * The cells `runConformance` runs: one per role, each opening through a private BackendRegistry that
 * holds the plugin and the built-in sqlite backend (the companion of roles `main` and `semantic`).
 * @throws Error at declaration when a role needs a facet the definition lacks.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function pluginCells<S extends z.ZodObject<any>>(options: ConformanceOptions<S>): BackendCell[] {
  const plugin = options.backend as unknown as BackendDefinition;
  if (typeof plugin?.name !== 'string') throw new Error('memstrate/testing: runConformance needs { backend: <BackendDefinition> }');
  const roles = options.role === undefined ? defaultRoles(plugin) : typeof options.role === 'string' ? [options.role] : [...options.role];
  const registry = new BackendRegistry();
  registry.register(plugin);
  if (plugin.name !== SQLITE) registry.register(builtinSqlite());
  return roles.map((role) => pluginCell(options as unknown as ConformanceOptions, registry, role));
}

function pluginCell(options: ConformanceOptions, registry: BackendRegistry, role: PluginRole): BackendCell {
  const plugin = options.backend;
  const name = plugin.name;
  if ((role === 'main' || role === 'both') && !plugin.main) throw new Error(`memstrate/testing: backend "${name}" has no main facet (role "${role}")`);
  if ((role === 'semantic' || role === 'both') && !plugin.semantic) throw new Error(`memstrate/testing: backend "${name}" has no semantic facet (role "${role}")`);
  if (role !== 'both' && name === SQLITE) throw new Error('memstrate/testing: the kit runs the plugin beside the built-in "sqlite" backend; give the plugin another name');
  const mainName = role === 'semantic' ? SQLITE : name;
  const semanticName = role === 'main' ? SQLITE : name;
  const main = (registry.get(mainName)?.main as { capabilities: MainCapabilities }).capabilities;
  const semantic = (registry.get(semanticName)?.semantic as { capabilities: SemanticCapabilities }).capabilities;
  const mainIsSqlite = role === 'semantic';
  const register = options.register === undefined ? undefined : moduleUrl(options.register);

  const lacking: Partial<Record<keyof CellCapabilities, string>> = {};
  const rawSql = mainIsSqlite || options.rawSql !== undefined;
  if (!rawSql) lacking.rawSql = `no rawSql option: the kit cannot reach ${name}'s main store directly`;
  if (!mainIsSqlite) lacking.sqliteFile = `the main store is ${name}, not the built-in SQLite file`;
  let multiProcess = main.multiProcess && semantic.multiProcess;
  if (!main.multiProcess) lacking.multiProcess = `${mainName} declares main multiProcess: false`;
  else if (!semantic.multiProcess) lacking.multiProcess = `${semanticName} declares semantic multiProcess: false`;
  else if (register === undefined) {
    multiProcess = false;
    lacking.multiProcess = `no register option: a child process could not register ${name}`;
  }
  const exactVectorSearch = semantic.vectorSearch === 'exact';
  if (!exactVectorSearch) lacking.exactVectorSearch = `${semanticName} declares vectorSearch: "${semantic.vectorSearch}"`;
  const vectorSpaceMigration = semantic.vectorSpaceMigration === true;
  if (!vectorSpaceMigration) lacking.vectorSpaceMigration = `${semanticName} does not declare vectorSpaceMigration (SemanticBackend.spaces)`;

  const describe = (n: string) => (n === name ? `${name} (${plugin.description})` : SQLITE_ENGINE);
  return {
    name: `${mainName} × ${semanticName}`,
    main: mainName,
    semantic: semanticName,
    engines: `main: ${describe(mainName)}; semantic: ${describe(semanticName)}`,
    capabilities: { rawSql, multiProcess, sqliteFile: mainIsSqlite, exactVectorSearch, vectorSpaceMigration },
    lacking,
    // Only a backend on both sides can share one transaction between them.
    sharedTransactions: role === 'both' ? (options.sharedTransactions ?? semantic.sharedTransactions) : false,
    backends: registry,
    ...(register !== undefined ? { childModules: [register] } : {}),
    async open(openOptions = {}) {
      const dir = tempDir('memstrate-kit-');
      let instance: PluginInstance;
      try {
        instance = await options.instance();
      } catch (error) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
      const sqlitePath = join(dir, role === 'main' ? 'semantic.db' : 'memstrate.db');
      const config: MemoryConfigInput = {
        backend: mainName,
        semanticBackend: semanticName,
        ...(role === 'both' ? {} : { sqlitePath }),
        [name]: instance.options,
        auditAnchorPath: join(dir, 'audit-anchor'),
        ...openOptions.config,
      };
      const pluginOptions = instance.options;
      return openLayout(
        {
          config,
          backends: registry,
          ...(instance.env ? { env: instance.env } : {}),
          rawSql: async (text, params) => {
            if (mainIsSqlite) return sqliteRawSql(sqlitePath, text, params);
            if (!options.rawSql) throw new Error(`memstrate/testing: no rawSql option for ${name}`);
            return options.rawSql(pluginOptions, text, params);
          },
          async cleanup() {
            try {
              await instance.cleanup?.();
            } finally {
              rmSync(dir, { recursive: true, force: true });
            }
          },
        },
        openOptions,
      );
    },
  };
}

function moduleUrl(module: string | URL): string {
  if (module instanceof URL) return module.href;
  return isAbsolute(module) ? pathToFileURL(module).href : new URL(module).href;
}
