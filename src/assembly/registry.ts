import { z } from 'zod';
import type { BackendCatalog, BackendDefinition } from '../contracts/backend-plugin.js';
import { BACKEND_NAME, CONFIG_KEYS } from '../config/schema.js';
import { ConfigError } from '../errors.js';

/**
 * Names a backend may not take: the prefixes of the substrate-wide keys, so that the
 * `MEMSTRATE_<BACKEND>_<OPTION>` variables and `[memory.<backend>]` tables never collide with them.
 */
const RESERVED = new Set(['memory', 'server', 'backend', 'semantic', 'embedding', 'decay', 'consolidation', 'audit', 'backends']);

/**
 * The backends `backend` / `semantic_backend` can name. Built-ins and plugins register the same way
 * (`registerBackend`); configuration validates each backend's table with its schema, and assembly
 * opens the configured ones through their definitions.
 */
export class BackendRegistry implements BackendCatalog {
  private readonly definitions = new Map<string, BackendDefinition>();

  /**
   * Adds a backend. Registering the very same definition again is a no-op; another definition under
   * a registered name, a malformed definition or a reserved name is a ConfigError listing every problem.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  register<S extends z.ZodObject<any>>(definition: BackendDefinition<S>): void {
    // Stored with its options type erased: the registry only hands each definition its own options.
    const d = definition as unknown as BackendDefinition;
    if (this.definitions.get(d?.name) === d) return;
    const problems = definitionProblems(d, this);
    if (problems.length > 0) throw new ConfigError(problems, { backend: typeof d?.name === 'string' ? d.name : undefined });
    this.definitions.set(d.name, d);
  }

  get(name: string): BackendDefinition | undefined {
    return this.definitions.get(name);
  }

  all(): readonly BackendDefinition[] {
    return [...this.definitions.values()];
  }

  /** The names that can be the main (or semantic) backend. */
  names(facet: 'main' | 'semantic'): string[] {
    return this.all().filter((d) => d[facet] !== undefined).map((d) => d.name);
  }
}

function definitionProblems(d: BackendDefinition, registry: BackendRegistry): string[] {
  if (typeof d !== 'object' || d === null) return ['registerBackend: the definition must be an object'];
  const problems: string[] = [];
  const name = String(d.name);
  const at = `backend "${name}"`;
  if (typeof d.name !== 'string' || !BACKEND_NAME.test(d.name)) problems.push(`${at}: name must be lowercase letters, digits and - (at most 40, starting with a letter)`);
  else if (RESERVED.has(d.name)) problems.push(`${at}: the name is reserved (${[...RESERVED].join(', ')})`);
  else if (registry.get(d.name)) problems.push(`${at}: another backend is already registered under this name`);
  if (typeof d.description !== 'string') problems.push(`${at}: description must be a string`);
  if (!(d.options instanceof z.ZodObject)) problems.push(`${at}: options must be a zod object schema (z.strictObject({...}))`);
  if (d.main === undefined && d.semantic === undefined) problems.push(`${at}: provides neither a main nor a semantic facet`);
  if (d.main !== undefined && (typeof d.main.open !== 'function' || typeof d.main.defaultAuditAnchorPath !== 'function' || typeof d.main.capabilities !== 'object')) {
    problems.push(`${at}: main needs capabilities, defaultAuditAnchorPath() and open()`);
  }
  if (d.semantic !== undefined && (typeof d.semantic.open !== 'function' || typeof d.semantic.capabilities !== 'object')) {
    problems.push(`${at}: semantic needs capabilities and open()`);
  }
  const shape = d.options instanceof z.ZodObject ? (d.options.shape as Record<string, unknown>) : {};
  for (const [flatKey, option] of Object.entries(d.flatKeys ?? {})) {
    if (CONFIG_KEYS.has(flatKey)) problems.push(`${at}: flat key "${flatKey}" is a substrate-wide key`);
    if (!(option in shape)) problems.push(`${at}: flat key "${flatKey}" names no option ("${option}")`);
    for (const other of registry.all()) {
      if (other.flatKeys && flatKey in other.flatKeys) problems.push(`${at}: flat key "${flatKey}" already belongs to backend "${other.name}"`);
    }
  }
  return problems;
}
