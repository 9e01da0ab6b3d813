import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { registerBackend, registeredBackends } from '../assembly/backends.js';
import type { BackendDefinition } from '../contracts/backend-plugin.js';
import { toSnake } from '../config/schema.js';
import { ConfigError } from '../errors.js';

/**
 * Loads backend plugins for the CLI: each module (a package name, or a path relative to the working
 * directory) is imported and every BackendDefinition it exports (`default`, `backend`, or an array
 * `backends`) is registered. A module that registers itself on import needs no export.
 * @throws ConfigError when a module cannot be imported or exports something that is not a definition.
 */
export async function loadPlugins(specifiers: readonly string[]): Promise<string[]> {
  const loaded: string[] = [];
  for (const specifier of specifiers) {
    const target = specifier.startsWith('.') || isAbsolute(specifier) ? pathToFileURL(resolve(specifier)).href : specifier;
    let module: Record<string, unknown>;
    try {
      module = (await import(target)) as Record<string, unknown>;
    } catch (cause) {
      throw new ConfigError([`plugin ${specifier}: cannot be imported (${(cause as Error).message.split('\n')[0]})`], { cause });
    }
    const exported = [module['default'], module['backend'], ...(Array.isArray(module['backends']) ? module['backends'] : [])].filter((d) => d !== undefined);
    for (const definition of exported) registerBackend(definition as BackendDefinition);
    loaded.push(specifier);
  }
  return loaded;
}

/** The plugin modules named by `--plugin` options and `MEMSTRATE_PLUGINS` (comma-separated). */
export function pluginSpecifiers(options: readonly string[], env: NodeJS.ProcessEnv = process.env): string[] {
  const fromEnv = (env['MEMSTRATE_PLUGINS'] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  return [...fromEnv, ...options];
}

/** `memstrate backends`: every registered backend, its options and declared capabilities. */
export function backendsCommand(): Record<string, unknown>[] {
  return registeredBackends().map((d) => ({
    name: d.name,
    description: d.description,
    options: Object.keys(d.options.shape).map(toSnake),
    ...(d.main ? { main: d.main.capabilities } : {}),
    ...(d.semantic ? { semantic: d.semantic.capabilities } : {}),
  }));
}
