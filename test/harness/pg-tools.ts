import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server the PostgreSQL cells and tests use: MEMSTRATE_TEST_PG_URL (set by `.ci/run`) or the local default. */
export const TEST_PG_URL = process.env['MEMSTRATE_TEST_PG_URL'] || 'postgres://postgres@127.0.0.1:5432/test';

// int8 (counts, bigint columns) and numeric (sums) as JS numbers, as the engine reads them.
const types = {
  getTypeParser(oid: number, format?: string) {
    if (oid === 20 || oid === 1700) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

/** A fresh schema name no other test uses (PostgreSQL folds identifiers to lower case: lower case only). */
export function freshSchemaName(prefix = 'mst'): string {
  return `${prefix}_${randomBytes(8).toString('hex')}`;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `?` placeholders → `$1, $2, …` (outside quoted literals and identifiers). */
export function toDollarParams(text: string): string {
  let out = '';
  let n = 0;
  let quote: string | undefined;
  for (const ch of text) {
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else if (ch === '?') {
      out += `$${++n}`;
    } else {
      out += ch;
    }
  }
  return out;
}

/** Runs `fn` with a short-lived client whose search_path is `schema` (numbers as JS numbers). */
export async function withPgClient<T>(schema: string | undefined, fn: (client: pg.Client) => Promise<T>, url = TEST_PG_URL): Promise<T> {
  const client = new pg.Client({ connectionString: url, types, connectionTimeoutMillis: 5000 });
  client.on('error', () => {});
  await client.connect();
  try {
    if (schema !== undefined) await client.query(`set search_path to ${quoteIdent(schema)}, public`);
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Raw SQL with `?` placeholders on a schema; the rows, numbers as JS numbers. */
export function pgRawSql(schema: string, text: string, params: unknown[], url = TEST_PG_URL): Promise<unknown[]> {
  return withPgClient(schema, async (client) => (await client.query(toDollarParams(text), params)).rows, url);
}

/** Drops the schema and everything in it (idempotent). */
export async function dropSchema(schema: string, url = TEST_PG_URL): Promise<void> {
  await withPgClient(undefined, (c) => c.query(`drop schema if exists ${quoteIdent(schema)} cascade`), url);
}
