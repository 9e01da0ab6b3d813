import type { DecayPolicy } from '../../contracts/semantic-backend.js';
import { num, raw } from '../sql/context.js';
import type { SqlExecutor } from '../sql/engine.js';
import type { SemanticTables } from './postgres-semantic-sql.js';


/** `now` is the statement's parameter $n (expired memories are left alone). */
const DECAY_WHERE = (n: number) => `superseded_by is null and accessed_at < $1::int8 and confidence > $2::float8 and (expires_at is null or expires_at > $${n}::int8)`;

/**
 * The one order in which every statement that updates several memory rows locks them (the id,
 * byte-wise): two such statements never wait for each other in a cycle, so they never deadlock.
 */
export const ROW_LOCK_ORDER = (alias: string) => `${alias}.id collate "C"`;

/**
 * Confidence decay (as on SQLite): non-superseded memories last accessed before `accessedBefore`,
 * and above the floor, get `greatest(floor, confidence × factor)`, in one statement. Returns how
 * many decayed (with `dryRun`, how many would).
 */
export async function decayMemories(db: SqlExecutor, t: SemanticTables, policy: DecayPolicy): Promise<number> {
  if (policy.dryRun) {
    const row = await db.first<{ n: number }>(raw(`select count(*) as n from ${t.memories} where ${DECAY_WHERE(3)}`, [policy.accessedBefore, policy.floor, policy.now]));
    return num(row?.n ?? 0);
  }
  return db.run(
    raw(
      `with locked as (select l.id from ${t.memories} l where ${DECAY_WHERE(4)} order by ${ROW_LOCK_ORDER('l')} for update) ` +
        `update ${t.memories} m set confidence = greatest($2::float8, m.confidence * $3::float8) from locked where m.id = locked.id`,
      [policy.accessedBefore, policy.floor, policy.factor, policy.now],
    ),
  );
}

/** Every non-superseded memory in a duplicate group, with its group's survivor (oldest by created_at, then id). */
const DUPLICATE_MEMBERS = (t: SemanticTables) =>
  `select id, survivor, rn from (
     select id,
       first_value(id) over w as survivor,
       row_number() over w as rn,
       count(*) over (partition by agent_id, scope, content) as n
     from ${t.memories} where superseded_by is null and key is null and expires_at is null
     window w as (partition by agent_id, scope, content order by created_at, id collate "C")
   ) g where n > 1 order by survivor, rn`;

/**
 * Merges exact duplicates (same agent, scope and content among non-superseded memories) inside the
 * caller's transaction, with the SQLite backend's survivor rules: the oldest (created_at, then id)
 * survives with the group's highest confidence, the sum of the access counts and the latest access
 * time; the others are kept, linked through `superseded_by`, and their vectors removed. A survivor
 * without a vector adopts the first twin's (in the same order) that has one. Returns how many
 * memories were merged (with `dryRun`, how many would be).
 */
export async function mergeDuplicates(db: SqlExecutor, t: SemanticTables, options: { dryRun: boolean; hasVectors: boolean }): Promise<number> {
  if (options.dryRun) {
    const row = await db.first<{ merged: number }>(
      raw(
        `select coalesce(sum(n - 1), 0) as merged from (select count(*) as n from ${t.memories} ` +
          'where superseded_by is null and key is null and expires_at is null group by agent_id, scope, content having count(*) > 1) g',
      ),
    );
    return num(row?.merged ?? 0);
  }
  const members = await db.rows<{ id: string; survivor: string; rn: number }>(raw(DUPLICATE_MEMBERS(t)));
  if (members.length === 0) return 0;
  const ids = members.map((m) => m.id);
  // Every row the merge will update, locked first and in ROW_LOCK_ORDER (as access bumps do).
  await db.run(raw(`select l.id from ${t.memories} l where l.id = any($1::text[]) order by ${ROW_LOCK_ORDER('l')} for update`, [ids]));
  const survivors = members.map((m) => m.survivor);
  const order = members.map((m) => num(m.rn));
  const pairs = 'unnest($1::text[], $2::text[], $3::int8[]) as p(id, survivor, rn)';
  const params = [ids, survivors, order];

  // Survivor aggregates over the whole group (the survivor is its own member).
  await db.run(
    raw(
      `with agg as (select p.survivor, max(m.confidence) as confidence, sum(m.access_count) as access_count, max(m.accessed_at) as accessed_at ` +
        `from ${pairs} join ${t.memories} m on m.id = p.id group by p.survivor) ` +
        `update ${t.memories} s set confidence = agg.confidence, access_count = agg.access_count, accessed_at = agg.accessed_at ` +
        'from agg where s.id = agg.survivor',
      params,
    ),
  );
  if (options.hasVectors) {
    await db.run(
      raw(
        `update ${t.memories} s set embedding = src.embedding from (` +
          `select distinct on (p.survivor) p.survivor, m.embedding from ${pairs} join ${t.memories} m on m.id = p.id ` +
          'where p.rn > 1 and m.embedding is not null order by p.survivor, p.rn) src ' +
          'where s.id = src.survivor and s.embedding is null',
        params,
      ),
    );
  }
  return db.run(
    raw(
      `update ${t.memories} m set superseded_by = p.survivor${options.hasVectors ? ', embedding = null' : ''} from ${pairs} where m.id = p.id and p.rn > 1`,
      params,
    ),
  );
}
