import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/** A fresh temporary directory. */
export function tempDir(prefix = 'memstrate-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Raw SQL on a SQLite file through a short-lived connection. */
export function sqliteRawSql(path: string, text: string, params: unknown[]): unknown[] {
  const db = new Database(path);
  try {
    const stmt = db.prepare(text);
    return stmt.reader ? stmt.all(...params) : (stmt.run(...params), []);
  } finally {
    db.close();
  }
}
