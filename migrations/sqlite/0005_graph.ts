import { sql, type Kysely } from 'kysely';

/**
 * 0005 — a knowledge graph people can use (the same steps as migrations/postgres/0005_graph.ts):
 * 1. Entities become unique per (agent_id, entity_type, name). Existing duplicates are merged into
 *    the oldest of each group (smallest created_at, then id): relations touching a duplicate are
 *    re-pointed to it, then the duplicates are deleted (their own type, name and properties are
 *    dropped — the oldest entity's are kept).
 * 2. `name_folded`: the name with ASCII A-Z folded to a-z (nothing else), written by the store, so
 *    a case-insensitive lookup is the same on every engine; filled here for existing rows.
 * 3. Indexes for the lookups and the keyset-paged lists (agent, created_at, id).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const sameKey = (a: string, b: string) => sql.raw(`${a}.agent_id = ${b}.agent_id and ${a}.entity_type = ${b}.entity_type and ${a}.name = ${b}.name`);
  // d has an older twin: it is a duplicate to merge away.
  const duplicate = sql`exists (select 1 from entities o where ${sameKey('o', 'd')} and (o.created_at < d.created_at or (o.created_at = d.created_at and o.id < d.id)))`;
  const keeper = (column: string) =>
    sql`(select k.id from entities d join entities k on ${sameKey('k', 'd')} where d.id = relations.${sql.raw(column)} order by k.created_at, k.id limit 1)`;
  for (const column of ['source_entity', 'target_entity']) {
    await sql`update relations set ${sql.raw(column)} = ${keeper(column)} where ${sql.raw(column)} in (select d.id from entities d where ${duplicate})`.execute(db);
  }
  await sql`delete from entities where id in (select d.id from entities d where ${duplicate})`.execute(db);

  await db.schema.alterTable('entities').addColumn('name_folded', 'text', (c) => c.notNull().defaultTo('')).execute();
  await sql`update entities set name_folded = ${sql.raw(asciiLower('name'))}`.execute(db);

  await db.schema.createIndex('entities_agent_type_name').on('entities').columns(['agent_id', 'entity_type', 'name']).unique().execute();
  await db.schema.createIndex('entities_agent_folded').on('entities').columns(['agent_id', 'name_folded']).execute();
  await db.schema.createIndex('entities_agent_created').on('entities').columns(['agent_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('relations_agent_created').on('relations').columns(['agent_id', 'created_at', 'id']).execute();
}

/** `column` with A-Z replaced by a-z and nothing else: 26 nested replace() calls, the same SQL on both engines. */
function asciiLower(column: string): string {
  let expr = column;
  for (let c = 65; c <= 90; c++) expr = `replace(${expr}, '${String.fromCharCode(c)}', '${String.fromCharCode(c + 32)}')`;
  return expr;
}
