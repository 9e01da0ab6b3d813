import { appliedMigration } from '../sql/applied-migration.js';
import { sqliteMigrations } from '../../../migrations/sqlite/index.js';
import { SqliteEngine, type SqliteEngineOptions } from './sqlite-engine.js';

/** Opens a SQLite file (or `:memory:`) and applies the migrations; shared by the main and semantic backends. */
export async function openSqliteEngine(path: string, options: SqliteEngineOptions = {}): Promise<{ engine: SqliteEngine; schemaVersion: string }> {
  const engine = SqliteEngine.open(path, options);
  try {
    const schemaVersion = options.readOnly ? await appliedMigration(engine) : await engine.migrate(sqliteMigrations);
    return { engine, schemaVersion };
  } catch (error) {
    await engine.close();
    throw error;
  }
}
