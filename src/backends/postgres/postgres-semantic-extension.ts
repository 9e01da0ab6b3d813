import { BackendUnavailableError } from '../../errors.js';
import type { PostgresEngine } from './postgres-engine.js';

/** The pgvector extension as installed in the semantic database. */
export interface VectorExtension {
  /** `extversion`, e.g. `0.8.0`. */
  version: string;
  /** pgvector ≥ 0.8: `hnsw.iterative_scan` exists (filtered ANN keeps scanning until k rows match). */
  iterativeScan: boolean;
}

/** SQLSTATEs a concurrent `create extension` may raise in the process that loses the race. */
const CONCURRENT_CREATE = new Set(['23505', '42710', 'XX000', '40001', '40P01']);

function atLeast(version: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = version.split('.').map((p) => Number.parseInt(p, 10));
  return a > major || (a === major && b >= minor);
}

/**
 * Makes sure the `vector` extension is usable: fails with BackendUnavailableError naming the
 * missing `vector` extension when the server does not offer it (`pg_available_extensions`), creates
 * it in `public` when it is offered but not installed (tolerating another process creating it at
 * the same time), and reports its version. Never part of a migration: the main backend runs the
 * same migrations on servers without pgvector.
 */
export async function ensureVectorExtension(engine: PostgresEngine, redactedUrl: string): Promise<VectorExtension> {
  const backend = { backend: engine.backendName };
  const installedVersion = async (): Promise<string | undefined> => {
    const { rows } = await engine.execute("select extversion from pg_extension where extname = 'vector'");
    return (rows[0] as { extversion?: string } | undefined)?.extversion;
  };
  try {
    const available = await engine.execute("select 1 from pg_available_extensions where name = 'vector'");
    if (available.rows.length === 0) {
      throw new BackendUnavailableError(
        `the PostgreSQL server at ${redactedUrl} does not have the "vector" extension (pgvector) available, which semantic_backend = "postgres" needs: ` +
          'install pgvector on that server, or point semantic_postgres_url at a server that has it',
        backend,
      );
    }
    let version = await installedVersion();
    if (version === undefined) {
      try {
        await engine.execute('create extension if not exists vector with schema public');
      } catch (error) {
        const code = String((error as { code?: string }).code ?? '');
        if (code === '42501') {
          throw new BackendUnavailableError(
            `the "vector" extension is available on ${redactedUrl} but not installed, and this role may not create it: ` +
              'ask an administrator to run `create extension vector` in that database',
            backend,
          );
        }
        if (!CONCURRENT_CREATE.has(code)) throw error;
      }
      version = await installedVersion();
      if (version === undefined) {
        throw new BackendUnavailableError(`the "vector" extension could not be installed on ${redactedUrl}`, backend);
      }
    }
    return { version, iterativeScan: atLeast(version, 0, 8) };
  } catch (error) {
    throw engine.mapError(error, 'check the "vector" extension');
  }
}
