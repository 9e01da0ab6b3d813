import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemorySubstrate } from '../../src/index.js';
import { figure } from '../helpers/figure.js';
import { pgvectorTarget } from '../harness/pglite-server.js';
import { dropSchema, freshSchemaName, TEST_PG_URL, withPgClient } from '../harness/pg-tools.js';

/**
 * Erasure leaves no trace in PostgreSQL's tables: distinctive content written to every store of one
 * agent is found by reading the raw pages (pageinspect's get_raw_page) of every table, TOAST table
 * and index of the store's schema before `erase`, and on none after it — the tables that lost rows
 * are rewritten (VACUUM FULL), since a plain DELETE + VACUUM leaves the tuple's bytes on its page.
 * Main stores on the PostgreSQL server; memories on pgvector (the server when it has the extension,
 * else PGlite), scanned the same way.
 */
const MARK = 'qxzmarkervolumnar';
const dir = mkdtempSync(join(tmpdir(), 'memstrate-pg-erase-'));
const schema = freshSchemaName('erase');
let semanticUrl = TEST_PG_URL;
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await dropSchema(schema, TEST_PG_URL).catch(() => {});
  if (semanticUrl !== TEST_PG_URL) await dropSchema(schema, semanticUrl).catch(() => {});
});

/** Pages of the schema's relations (and their TOAST tables and indexes) holding the mark, as `relation@block`. */
async function traces(url: string): Promise<string[]> {
  return withPgClient(
    undefined,
    async (client) => {
      await client.query('create extension if not exists pageinspect');
      const relations = await client.query<{ rel: string; blocks: number }>(
        `with own as (select c.oid, c.reltoastrelid from pg_class c where c.relnamespace = $1::regnamespace and c.relkind in ('r', 'i', 'm')),
              rels as (select oid from own union select reltoastrelid from own where reltoastrelid <> 0
                       union select i.indexrelid from pg_index i join own on i.indrelid = own.reltoastrelid)
         select oid::regclass::text as rel, (pg_relation_size(oid) / 8192)::int as blocks from rels`,
        [schema],
      );
      const found: string[] = [];
      for (const { rel, blocks } of relations.rows) {
        for (let block = 0; block < blocks; block++) {
          const page = await client.query<{ hit: boolean }>('select position($2::bytea in lower(encode(get_raw_page($1, $3), \'escape\'))::bytea) > 0 as hit', [rel, MARK, block]);
          if (page.rows[0]?.hit) found.push(`${rel}@${block}`);
        }
      }
      return found;
    },
    url,
  );
}

describe('erasure, scanned in PostgreSQL pages', () => {
  it('main tables on the server and memories on pgvector: the erased agent\'s content is on raw pages before erase and on none after', async (context) => {
    const target = await pgvectorTarget();
    semanticUrl = target.url;
    const open = () =>
      MemorySubstrate.open(
        { backend: 'postgres', semanticBackend: 'postgres', postgresUrl: TEST_PG_URL, semanticPostgresUrl: target.url, postgresSchema: schema, auditAnchorPath: join(dir, 'anchor') },
        { env: {} },
      );
    let mem = await open();
    const secret = `The ${MARK.toUpperCase()} plan`;
    await mem.semantic.rememberMany([
      { agentId: 'victim', content: `${secret}, first`, embedding: [1, 0, 0] },
      { agentId: 'victim', content: `${secret}, second`, embedding: [0, 1, 0] },
    ]);
    await mem.structured.set('victim', 'k', { note: secret });
    await mem.knowledge.addEntity({ agentId: 'victim', entityType: 'project', name: secret });
    await mem.sessions.appendCanonical('victim', [{ role: 'user', content: secret }]);
    await mem.tasks.post({ title: secret, createdBy: 'victim' });
    await mem.usage.record({ agentId: 'victim', model: 'm-1', inputTokens: 1, outputTokens: 1, costUsd: 0 }); // the audit entry names the model: not content
    for (let i = 0; i < 20; i++) await mem.semantic.remember({ agentId: 'keeper', content: `unrelated note ${i}`, embedding: [0, 0, 1] });
    await mem.structured.set('keeper', 'k', { note: 'kept' });

    const beforeMain = await traces(TEST_PG_URL);
    const beforeSemantic = await traces(target.url);
    expect(beforeMain.length, 'the scan sees the main stores\' content').toBeGreaterThan(0);
    expect(beforeSemantic.length, 'the scan sees the memories').toBeGreaterThan(0);

    const receipt = await mem.erase({ agentId: 'victim' });
    expect(receipt.counts).toMatchObject({ memories: 2, kvEntries: 1, entities: 1, canonicalSessions: 1, tasks: 1, usageEvents: 1 });
    const afterMain = await traces(TEST_PG_URL);
    const afterSemantic = await traces(target.url);
    figure(
      context,
      `erasure scan (PostgreSQL pages, pageinspect): main ${beforeMain.length} pages with the content before erase, ${afterMain.length} after; memories (${target.kind === 'server' ? 'pgvector on the server' : 'pgvector on PGlite'}) ${beforeSemantic.length} before, ${afterSemantic.length} after`,
    );
    expect(afterMain).toEqual([]);
    expect(afterSemantic).toEqual([]);

    // What was not erased is all there, and the chain verifies.
    expect(await mem.semantic.count({ agentId: 'keeper' })).toBe(20);
    expect(await mem.structured.get('keeper', 'k')).toEqual({ note: 'kept' });
    expect((await mem.audit.verify()).ok).toBe(true);
    await mem.close();
    mem = await open();
    expect((await mem.semantic.recall({ agentId: 'keeper', embedding: [0, 0, 1], mode: 'vector', limit: 3 })).length).toBe(3);
    await mem.close();
  }, 120_000);
});
