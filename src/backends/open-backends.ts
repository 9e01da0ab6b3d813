import type { MemoryConfig } from '../config/schema.js';
import type { Embedder } from '../contracts/embedder.js';
import type { MainBackend } from '../contracts/main-backend.js';
import type { SemanticProvider } from '../contracts/semantic-provider.js';
import type { Clock, Logger } from '../contracts/types.js';
import { LocalSemanticProvider } from '../core/local-semantic-provider.js';
import { NotSupportedError } from '../errors.js';
import { openHttpSemanticProvider } from './http/http-semantic-provider.js';
import { openPostgresMainBackend } from './postgres/postgres-main-backend.js';
import { openPostgresSemanticBackend } from './postgres/postgres-semantic-backend.js';
import { SqlMainBackend } from './sql/sql-main-backend.js';
import { openSqliteEngine } from './sqlite/open-sqlite-engine.js';
import { SqliteSemanticBackend } from './sqlite/sqlite-semantic-backend.js';
import { SqliteEngine } from './sqlite/sqlite-engine.js';

export interface BackendContext {
  config: MemoryConfig;
  clock: Clock;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  embedder: Embedder | undefined;
}

/** Opens (connects, probes, migrates) the configured main backend. Each kind is one case here. */
export async function openMainBackend(ctx: BackendContext): Promise<MainBackend> {
  const { config } = ctx;
  switch (config.backend) {
    case 'sqlite': {
      const { engine, schemaVersion } = await openSqliteEngine(config.sqlitePath);
      return new SqlMainBackend(engine, schemaVersion, config.sqlitePath, ctx);
    }
    case 'postgres':
      return openPostgresMainBackend(ctx);
  }
}

/**
 * Opens the configured semantic backend. An explicit `semantic_backend` is always honoured: sqlite
 * semantics on a postgres main backend open the SQLite file (OpenFang's G-10). Never a fallback.
 */
export async function openSemanticProvider(ctx: BackendContext, main: MainBackend): Promise<SemanticProvider> {
  const { config } = ctx;
  const local = { embedder: ctx.embedder, dimensions: config.embeddingDimensions, decayRate: config.decayRate, clock: ctx.clock, logger: ctx.logger };
  switch (config.semanticBackend) {
    case 'sqlite': {
      // Share the main backend's connection when both live in the same SQLite file.
      const shared = main instanceof SqlMainBackend && main.engine instanceof SqliteEngine ? main.engine : undefined;
      let engine: SqliteEngine;
      let owned = false;
      if (shared) engine = shared;
      else {
        engine = (await openSqliteEngine(config.sqlitePath)).engine;
        owned = true;
      }
      try {
        const backend = await SqliteSemanticBackend.open(engine, { clock: ctx.clock, logger: ctx.logger, ownsEngine: owned });
        return await LocalSemanticProvider.open({ backend, ...local });
      } catch (error) {
        if (owned) await engine.close();
        throw error;
      }
    }
    case 'postgres': {
      const backend = await openPostgresSemanticBackend(ctx);
      try {
        return await LocalSemanticProvider.open({ backend, ...local });
      } catch (error) {
        await backend.close();
        throw error;
      }
    }
    case 'http':
      return openHttpSemanticProvider(ctx);
    case 'qdrant':
      throw new NotSupportedError('semantic_backend "qdrant" is not available in this version', { backend: 'qdrant' });
  }
}
