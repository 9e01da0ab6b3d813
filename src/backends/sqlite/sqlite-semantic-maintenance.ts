import type BetterSqlite3 from 'better-sqlite3';
import type { DecayPolicy } from '../../contracts/semantic-backend.js';
import { num } from '../sql/context.js';
import type { VectorRows } from './sqlite-vector-rows.js';

type Statement = BetterSqlite3.Statement<unknown[], unknown>;

/** What the maintenance passes need from the backend: the raw handle, cached statements, the vec0 table. */
export interface MaintenanceContext {
  db: BetterSqlite3.Database;
  prep(sql: string): Statement;
  /** The writer of `memories_vec` (and its approximate index) for this transaction; undefined when no vec0 table exists. */
  vectors(): VectorRows | undefined;
}

const DECAY_WHERE = 'superseded_by is null and accessed_at < ? and confidence > ? and (expires_at is null or expires_at > ?)';

/**
 * Confidence decay: non-superseded memories last accessed before `accessedBefore`, and above the
 * floor, get `max(floor, confidence × factor)`; the vec0 copy of the confidence (used by
 * `minConfidence` inside KNN) is updated in the same transaction. Returns how many decayed
 * (with `dryRun`, how many would).
 */
export function decayMemories(ctx: MaintenanceContext, policy: DecayPolicy): number {
  const { db, prep } = ctx;
  if (policy.dryRun) {
    const row = prep(`select count(*) as n from memories where ${DECAY_WHERE}`).get(policy.accessedBefore, policy.floor, policy.now) as { n: number };
    return num(row.n);
  }
  return db
    .transaction(() => {
      const changed = prep(`update memories set confidence = max(?, confidence * ?) where ${DECAY_WHERE} returning rowid, confidence`).all(
        policy.floor,
        policy.factor,
        policy.accessedBefore,
        policy.floor,
        policy.now,
      ) as { rowid: number | bigint; confidence: number }[];
      const vectors = ctx.vectors();
      if (vectors) for (const row of changed) vectors.setConfidence(BigInt(row.rowid), row.confidence);
      return changed.length;
    })
    .immediate();
}

/** One group member: [rowid, id, confidence, access_count, accessed_at, source, created_at] in (created_at, id) order. */
type Member = [number, string, number, number, number, string, number];

const DUPLICATE_GROUPS =
  'select json_group_array(json_array(rowid, id, confidence, access_count, accessed_at, source, created_at) order by created_at, id) as members ' +
  'from memories where superseded_by is null and key is null and expires_at is null group by agent_id, scope, content having count(*) > 1';

/**
 * Merges exact duplicates (same agent, scope and content among non-superseded memories): the
 * oldest (created_at, then id) survives with the group's highest confidence, the sum of the access
 * counts and the latest access time; the others are kept, linked through `superseded_by`, and their
 * vectors removed (keyword search skips superseded rows). A survivor without a vector adopts the
 * first twin's. Returns how many memories were merged (with `dryRun`, how many would be).
 */
export function mergeDuplicates(ctx: MaintenanceContext, dryRun: boolean): number {
  const { db, prep } = ctx;
  if (dryRun) {
    const row = prep(`select coalesce(sum(n - 1), 0) as merged from (select count(*) as n from memories where superseded_by is null and key is null and expires_at is null group by agent_id, scope, content having count(*) > 1)`).get() as { merged: number };
    return num(row.merged);
  }
  return db
    .transaction(() => {
      const groups = prep(DUPLICATE_GROUPS).all() as { members: string }[];
      const vectors = groups.length > 0 ? ctx.vectors() : undefined;
      let merged = 0;
      for (const group of groups) {
        const members = JSON.parse(group.members) as Member[];
        const [survivor, ...twins] = members;
        if (!survivor || twins.length === 0) continue;
        const [survivorRowid, survivorId] = survivor;
        let confidence = survivor[2];
        let accessCount = survivor[3];
        let accessedAt = survivor[4];
        for (const twin of twins) {
          confidence = Math.max(confidence, twin[2]);
          accessCount += twin[3];
          accessedAt = Math.max(accessedAt, twin[4]);
          prep('update memories set superseded_by = ? where rowid = ?').run(survivorId, twin[0]);
        }
        prep('update memories set confidence = ?, access_count = ?, accessed_at = ? where rowid = ?').run(confidence, accessCount, accessedAt, survivorRowid);
        if (vectors) mergeVectors(ctx, vectors, survivor, twins, confidence);
        merged += twins.length;
      }
      return merged;
    })
    .immediate();
}

function mergeVectors(ctx: MaintenanceContext, vectors: VectorRows, survivor: Member, twins: Member[], confidence: number): void {
  const { prep } = ctx;
  const vectorOf = prep('select agent_id, embedding, scope from memories_vec where rowid = ?');
  const survivorRowid = BigInt(survivor[0]);
  if (vectorOf.get(survivorRowid) === undefined) {
    for (const twin of twins) {
      const found = vectorOf.get(BigInt(twin[0])) as { agent_id: string; embedding: Buffer; scope: string } | undefined;
      if (found === undefined) continue;
      vectors.put(survivorRowid, found.agent_id, found.embedding, found.scope, survivor[5], confidence, BigInt(survivor[6]));
      break;
    }
  } else {
    vectors.setConfidence(survivorRowid, confidence);
  }
  for (const twin of twins) vectors.drop(BigInt(twin[0]));
}
