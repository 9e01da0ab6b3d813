import type { z } from 'zod';
import type { BackendDefinition } from '../contracts/backend-plugin.js';
import { httpBackend } from '../backends/http/http-backend.js';
import { postgresBackend } from '../backends/postgres/postgres-backend.js';
import { qdrantBackend } from '../backends/qdrant/qdrant-backend.js';
import { sqliteBackend } from '../backends/sqlite/sqlite-backend.js';
import { BackendRegistry } from './registry.js';

/** The process-wide registry `MemorySubstrate.open` and `loadConfig` use unless given another. */
export const backendRegistry = new BackendRegistry();

/**
 * Registers a backend plugin so that `backend` / `semantic_backend` can name it. The built-ins
 * register through this very call, below.
 * @throws ConfigError for a malformed definition, a reserved name, or a name already taken.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function registerBackend<S extends z.ZodObject<any>>(definition: BackendDefinition<S>): void {
  backendRegistry.register(definition);
}

/** Every registered backend, in registration order (built-ins first). */
export function registeredBackends(): readonly BackendDefinition[] {
  return backendRegistry.all();
}

registerBackend(sqliteBackend);
registerBackend(postgresBackend);
registerBackend(httpBackend);
registerBackend(qdrantBackend);
