import { createHash } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import { termWeights } from '../../core/keyword-score.js';

type Statement = BetterSqlite3.Statement<unknown[], unknown>;
type Prepare = (sql: string) => Statement;

/**
 * The keyword index on SQLite (migration 0011): BM25 postings in sorted runs, as FTS5 keeps its
 * segments, so a batch of memories appends its postings instead of landing one b-tree row per
 * (term, agent, memory) at random places (measured: ~7 dirty pages per memory per commit at 200k,
 * and the reason loads slowed as the store grew).
 *
 * - `keyword_docs`: one row per memory version (`doc`, never reused: AUTOINCREMENT) with its
 *   memory's rowid, agent and distinct terms (JSON); a memory migrated by 0012 has a second doc
 *   holding only its content key until its content changes. Deleting or rewriting a memory deletes
 *   its docs (trigger), which records tombstones and counts the docs' terms in `keyword_dead`.
 * - Every doc also holds its content's key (`contentKey`, migration 0012): a term no query can hold
 *   (one of 1024 buckets of the content's SHA-256), whose posting carries 48 more bits of the hash
 *   in place of a weight; never scored. It is the dedupe index: the docs of an agent's memories with
 *   one content are among that term's postings with that tag (`contentDocs`), written in runs like
 *   the rest instead of a b-tree index of the content whose inserts land at random (measured: 22 µs
 *   per memory at 100k, 44 µs at 1M). Buckets, not one term per content, so that merges carry 1024
 *   rows per agent and run at most, not one per memory.
 * - `keyword_runs` / `keyword_postings`: a run is what one write call indexed (level 0), or the
 *   merge of MERGE_FANOUT runs of one level (level + 1). Its postings are one row per (term, agent)
 *   keyed (run, term, agent): `n` postings packed as (doc uint32, weight float64) little-endian,
 *   docs ascending. Runs cover disjoint doc ranges (a merge's target overlaps its sources, but each
 *   (term, agent) is in one or the other), so a term's pieces in doc order are sorted.
 * - `keyword_run_agents`: which agents each run holds postings of, so that an agent's recall seeks only
 *   those runs (an agent's writes land in few of them when agents write their own batches).
 * - A term's document frequency is Σ n over the runs − its `keyword_dead` count: exact, whatever
 *   the runs still hold of deleted docs. A merge drops the postings of tombstoned docs (and takes
 *   them off `keyword_dead`); readers never score a deleted doc (it has no `keyword_docs` row).
 *
 * Merges run in bounded steps inside the write calls that add postings (work in proportion to what
 * they wrote, as FTS5's automerge), their state in the database, so any process continues them.
 */

/** Bytes per posting: doc (uint32) and weight (float64). */
export const POSTING_BYTES = 12;

/** Runs of one level merged into one run of the next. */
export const MERGE_FANOUT = 8;

/** Merge work per write: source rows consumed per run row written (each row is merged once per level). */
const MERGE_WORK_FACTOR = 4;
/** Minimum merge work a write with pending merges does (source rows). */
const MERGE_WORK_MIN = 256;

const INSERT_DOC = 'insert into keyword_docs (memory_rowid, agent_id, terms) values (?, ?, ?)';
const INSERT_RUN = 'insert into keyword_runs (level, first_doc, last_doc) values (?, ?, ?)';
const INSERT_POSTINGS = 'insert into keyword_postings (run, term, agent_id, n, data) values (?, ?, ?, ?, ?)';
const INSERT_RUN_AGENT = 'insert into keyword_run_agents (agent_id, run) values (?, ?)';
/**
 * Where an agent's postings of the terms of a JSON array (first parameter; the agent second) are:
 * one key seek per term in each run that holds the agent's postings (`p`: term, n, data). Keyword
 * recall and dedupe both read through it.
 */
export const AGENT_POSTINGS_FROM =
  'from keyword_run_agents a cross join json_each(?) q cross join keyword_postings p on p.run = a.run and p.term = q.value and p.agent_id = a.agent_id where a.agent_id = ?';

/**
 * Where a memory's exact content is kept in the keyword index: the term `#` and three hex digits
 * (the first 10 bits of its SHA-256; query terms are folded letters and digits, so no query reads
 * it) and a tag (the next 48 bits) stored as its posting's weight.
 */
export function contentKey(content: string): { term: string; tag: number } {
  const hash = createHash('sha256').update(content).digest();
  return { term: `#${(hash.readUInt16BE(0) >> 6).toString(16).padStart(3, '0')}`, tag: hash.readUIntBE(2, 6) };
}

/** Packs postings (docs ascending) into a run row's blob. */
export function packPostings(docs: readonly number[], weights: readonly number[]): Buffer {
  const data = Buffer.allocUnsafe(docs.length * POSTING_BYTES);
  for (let i = 0; i < docs.length; i++) {
    data.writeUInt32LE(docs[i] as number, i * POSTING_BYTES);
    data.writeDoubleLE(weights[i] as number, i * POSTING_BYTES + 4);
  }
  return data;
}

/**
 * SQLite's BINARY order of text (UTF-8 bytes, i.e. code points). JS compares UTF-16 units, which
 * agrees except between a surrogate (a code point above U+FFFF) and a unit from U+E000 up: those
 * two ranges are swapped before comparing.
 */
export function compareText(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800) x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
    if (y >= 0xd800) y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    return x - y;
  }
  return a.length - b.length;
}

interface PostingRow {
  term: string;
  agent_id: string;
  n: number;
  data: Buffer;
}

function compareKeys(a: PostingRow, b: PostingRow): number {
  return compareText(a.term, b.term) || compareText(a.agent_id, b.agent_id);
}

interface PendingList {
  term: string;
  agentId: string;
  docs: number[];
  weights: number[];
}

function push(terms: Map<string, PendingList>, term: string, agentId: string, doc: number, weight: number): void {
  let list = terms.get(term);
  if (list === undefined) terms.set(term, (list = { term, agentId, docs: [], weights: [] }));
  list.docs.push(doc);
  list.weights.push(weight);
}

/**
 * Collects one write call's keyword postings: `add` writes a memory's doc row and buffers its
 * postings; `flush` writes them as a level-0 run and does the merge work they pay for.
 */
export class KeywordRunWriter {
  /** agent → term → postings (no key strings built per posting). */
  private readonly lists = new Map<string, Map<string, PendingList>>();
  private firstDoc = Number.POSITIVE_INFINITY;
  private lastDoc = 0;

  constructor(private readonly prep: Prepare) {}

  /** Indexes a memory: its terms' weights (`weights` when already computed) and its content's key. */
  add(memoryRowid: number | bigint, agentId: string, content: string, weights: ReadonlyMap<string, number> = termWeights(content)): void {
    const own = contentKey(content);
    const doc = Number(this.prep(INSERT_DOC).run(memoryRowid, agentId, JSON.stringify([...weights.keys(), own.term])).lastInsertRowid);
    if (doc > 0xffffffff) throw new Error('keyword index: document numbers are exhausted (2^32)');
    this.firstDoc = Math.min(this.firstDoc, doc);
    this.lastDoc = Math.max(this.lastDoc, doc);
    let terms = this.lists.get(agentId);
    if (terms === undefined) this.lists.set(agentId, (terms = new Map()));
    for (const [term, weight] of weights) push(terms, term, agentId, doc, weight);
    push(terms, own.term, agentId, doc, own.tag);
  }

  /** The postings of this write call (not flushed yet) of `term` for the agent. */
  pending(term: string, agentId: string): { docs: readonly number[]; weights: readonly number[] } {
    return this.lists.get(agentId)?.get(term) ?? { docs: [], weights: [] };
  }

  /** Writes the buffered postings as one run, then merges in proportion. Call inside the write's transaction. */
  flush(): void {
    if (this.lists.size === 0) return;
    const run = this.prep(INSERT_RUN).run(0, this.firstDoc, this.lastDoc).lastInsertRowid;
    const insert = this.prep(INSERT_POSTINGS);
    // In key order, so the rows append at the run's end of the b-tree (one agent's terms by JS's
    // own sort, which differs from SQLite's order only above the BMP).
    const [only, ...more] = this.lists.values();
    const lists =
      more.length === 0 && only !== undefined
        ? [...only.keys()].sort().map((term) => only.get(term) as PendingList)
        : [...this.lists.values()].flatMap((terms) => [...terms.values()]).sort((a, b) => compareText(a.term, b.term) || compareText(a.agentId, b.agentId));
    for (const list of lists) insert.run(run, list.term, list.agentId, list.docs.length, packPostings(list.docs, list.weights));
    const holds = this.prep(INSERT_RUN_AGENT);
    for (const agent of this.lists.keys()) holds.run(agent, run);
    this.lists.clear();
    this.firstDoc = Number.POSITIVE_INFINITY;
    this.lastDoc = 0;
    mergeRuns(this.prep, MERGE_WORK_FACTOR * lists.length);
  }
}

/**
 * The docs of the agent's memories whose content is `content` (and, rarely, of another content with
 * the same 58 bits of hash): its content key's postings in the agent's runs and in `writer`'s pending
 * call. Tombstoned docs may be among them (they have no `keyword_docs` row, so a join drops them).
 */
export function contentDocs(prep: Prepare, agentId: string, content: string, writer?: KeywordRunWriter): number[] {
  const { term, tag } = contentKey(content);
  const docs: number[] = [];
  if (writer !== undefined) {
    const pending = writer.pending(term, agentId);
    pending.docs.forEach((doc, i) => {
      if (pending.weights[i] === tag) docs.push(doc);
    });
  }
  for (const { data } of prep(`select p.data as data ${AGENT_POSTINGS_FROM}`).all(JSON.stringify([term]), agentId) as { data: Buffer }[]) {
    for (let o = 0; o < data.length; o += POSTING_BYTES) if (data.readDoubleLE(o + 4) === tag) docs.push(data.readUInt32LE(o));
  }
  return docs;
}

interface RunRow {
  run: number;
  level: number;
  first_doc: number;
  last_doc: number;
  tombs: number | null;
}

/**
 * Merge work of at least `work` source rows (four times that when level 0 has piled up past
 * 4 × MERGE_FANOUT runs), continuing the merge in progress or starting one for the lowest level
 * holding MERGE_FANOUT runs. Inside a write transaction.
 */
export function mergeRuns(prep: Prepare, work: number): void {
  const backlog = Number((prep('select count(*) as n from keyword_runs where level = 0').get() as { n: number }).n);
  let budget = Math.max(MERGE_WORK_MIN, work) * (backlog > 4 * MERGE_FANOUT ? 4 : 1);
  while (budget > 0) {
    const target = currentMerge(prep) ?? startMerge(prep);
    if (target === undefined) return;
    budget -= Math.max(1, mergeStep(prep, target));
  }
}

function currentMerge(prep: Prepare): RunRow | undefined {
  return prep('select t.run, t.level, t.first_doc, t.last_doc, t.tombs from keyword_runs t where t.run = (select merging_into from keyword_runs where merging_into is not null limit 1)').get() as
    | RunRow
    | undefined;
}

function startMerge(prep: Prepare): RunRow | undefined {
  const full = prep('select level from keyword_runs where merging_into is null group by level having count(*) >= ? order by level limit 1').get(MERGE_FANOUT) as
    | { level: number }
    | undefined;
  if (full === undefined) return undefined;
  const sources = prep('select run, first_doc, last_doc from keyword_runs where level = ? and merging_into is null order by run limit ?').all(full.level, MERGE_FANOUT) as RunRow[];
  const first = Math.min(...sources.map((s) => Number(s.first_doc)));
  const last = Math.max(...sources.map((s) => Number(s.last_doc)));
  const tombs = Number((prep('select count(*) as n from keyword_tombstones where doc between ? and ?').get(first, last) as { n: number }).n);
  // (first_doc orders the sources' pieces in the merged rows.)
  const run = Number(prep('insert into keyword_runs (level, first_doc, last_doc, tombs) values (?, ?, ?, ?)').run(Number(full.level) + 1, first, last, tombs).lastInsertRowid);
  const mark = prep('update keyword_runs set merging_into = ? where run = ?');
  for (const s of sources) mark.run(run, s.run);
  // The target holds what its sources hold (readers see both while the merge runs).
  prep('insert or ignore into keyword_run_agents (agent_id, run) select distinct a.agent_id, ? from keyword_runs r join keyword_run_agents a on a.run = r.run where r.merging_into = ?').run(run, run);
  return { run, level: Number(full.level) + 1, first_doc: first, last_doc: last, tombs };
}

/** Rows taken from each source run in one merge step: fewer at higher levels, whose rows are longer. */
function chunkRows(level: number): number {
  return Math.max(8, 1024 >> (2 * (level - 1)));
}

/**
 * One bounded step of the merge into `target`; returns the work done (source rows consumed). The
 * step takes every source row up to a boundary key (the smallest of the sources' chunkRows-th
 * keys; no boundary when the rest of every source fits). A (term, agent) whose postings are all
 * live (no `keyword_dead` count) is concatenated in SQL, its pieces in doc order (group_concat keeps
 * a blob's bytes in this UTF-8 database); one with dead postings is rebuilt here without the
 * tombstoned docs. The taken rows then leave their sources, so the next step starts at their heads.
 */
function mergeStep(prep: Prepare, target: RunRow): number {
  const sources = prep('select run from keyword_runs where merging_into = ?').all(target.run) as { run: number }[];
  const limit = chunkRows(target.level);
  let boundary: PostingRow | undefined;
  for (const { run } of sources) {
    const key = prep('select term, agent_id from keyword_postings where run = ? order by term, agent_id limit 1 offset ?').get(run, limit - 1) as PostingRow | undefined;
    if (key !== undefined && (boundary === undefined || compareKeys(key, boundary) < 0)) boundary = key;
  }
  const runs = JSON.stringify(sources.map((s) => s.run));
  const upTo = boundary === undefined ? '' : ' and (p.term, p.agent_id) <= (?, ?)';
  const bounds = boundary === undefined ? [] : [boundary.term, boundary.agent_id];
  const taken = `from keyword_postings p join keyword_runs r on r.run = p.run where p.run in (select value from json_each(?))${upTo}`;
  const dead = 'exists (select 1 from keyword_dead d where d.term = p.term and d.agent_id = p.agent_id)';
  prep(
    "insert into keyword_postings (run, term, agent_id, n, data) select ?, p.term, p.agent_id, sum(p.n), cast(group_concat(p.data, x'' order by r.first_doc) as blob) " +
      `${taken} and not ${dead} group by p.term, p.agent_id`,
  ).run(target.run, runs, ...bounds);
  const withDead = prep(`select p.term as term, p.agent_id as agent_id, p.n as n, p.data as data ${taken} and ${dead} order by p.term, p.agent_id, r.first_doc`).all(runs, ...bounds) as PostingRow[];
  if (withDead.length > 0) {
    const tombstones = new Set(
      (prep('select doc from keyword_tombstones where doc between ? and ?').all(target.first_doc, target.last_doc) as { doc: number }[]).map((t) => Number(t.doc)),
    );
    const insert = prep(INSERT_POSTINGS);
    const undead = prep('update keyword_dead set n = n - ? where term = ? and agent_id = ?');
    for (let i = 0; i < withDead.length; ) {
      let j = i;
      while (j < withDead.length && compareKeys(withDead[j] as PostingRow, withDead[i] as PostingRow) === 0) j++;
      const first = withDead[i] as PostingRow;
      const kept = withoutDocs(withDead.slice(i, j).map((g) => g.data), tombstones);
      if (kept.data.length > 0) insert.run(target.run, first.term, first.agent_id, kept.data.length / POSTING_BYTES, kept.data);
      if (kept.dropped > 0) undead.run(kept.dropped, first.term, first.agent_id);
      i = j;
    }
    prep('delete from keyword_dead where n <= 0').run();
  }
  const consumed = prep(`delete from keyword_postings where run in (select value from json_each(?))${upTo.replaceAll('p.', '')}`).run(runs, ...bounds).changes;
  if (boundary === undefined) finishMerge(prep, target);
  return consumed;
}

/** The postings of `pieces` without those of `docs`, and how many were dropped. */
function withoutDocs(pieces: readonly Buffer[], docs: ReadonlySet<number>): { data: Buffer; dropped: number } {
  const parts: Buffer[] = [];
  let dropped = 0;
  for (const piece of pieces) {
    let start = 0;
    for (let o = 0; o < piece.length; o += POSTING_BYTES) {
      if (!docs.has(piece.readUInt32LE(o))) continue;
      if (o > start) parts.push(piece.subarray(start, o));
      start = o + POSTING_BYTES;
      dropped++;
    }
    if (start < piece.length) parts.push(start === 0 ? piece : piece.subarray(start));
  }
  return { data: Buffer.concat(parts), dropped };
}

/**
 * The sources are empty: they go, and so do the tombstones of their docs — unless a doc was
 * deleted while the merge ran (its postings may have been copied before), then they stay for the
 * next merge of this run.
 */
function finishMerge(prep: Prepare, target: RunRow): void {
  prep('delete from keyword_run_agents where run in (select run from keyword_runs where merging_into = ?)').run(target.run);
  prep('delete from keyword_runs where merging_into = ?').run(target.run);
  const now = Number((prep('select count(*) as n from keyword_tombstones where doc between ? and ?').get(target.first_doc, target.last_doc) as { n: number }).n);
  if (now === Number(target.tombs ?? 0)) prep('delete from keyword_tombstones where doc between ? and ?').run(target.first_doc, target.last_doc);
  prep('update keyword_runs set tombs = null where run = ?').run(target.run);
}

/**
 * Removes from every run the postings of the agents' deleted docs (and their term keys where no
 * posting is left), so that an erasure leaves nothing of the erased memories' terms: a scan of the
 * postings (erasure is rare; no index by agent is kept for it). Inside the erasure's transaction,
 * under secure_delete.
 */
export function purgeDeleted(prep: Prepare, agentIds: readonly string[]): void {
  const agents = JSON.stringify([...new Set(agentIds)]);
  const docs = new Set((prep('select doc from keyword_tombstones where agent_id in (select value from json_each(?))').all(agents) as { doc: number }[]).map((t) => Number(t.doc)));
  if (docs.size === 0) return;
  const rows = prep('select run, term, agent_id, data from keyword_postings where agent_id in (select value from json_each(?))').all(agents) as (PostingRow & { run: number })[];
  const update = prep('update keyword_postings set n = ?, data = ? where run = ? and term = ? and agent_id = ?');
  const remove = prep('delete from keyword_postings where run = ? and term = ? and agent_id = ?');
  const undead = prep('update keyword_dead set n = n - ? where term = ? and agent_id = ?');
  // (run, agent) pairs that keep postings; the others leave keyword_run_agents.
  const held = new Set<string>();
  for (const row of rows) {
    const kept = withoutDocs([row.data], docs);
    if (kept.data.length > 0) held.add(`${row.run}\u0000${row.agent_id}`);
    if (kept.dropped === 0) continue;
    if (kept.data.length === 0) remove.run(row.run, row.term, row.agent_id);
    else update.run(kept.data.length / POSTING_BYTES, kept.data, row.run, row.term, row.agent_id);
    undead.run(kept.dropped, row.term, row.agent_id);
  }
  prep('delete from keyword_dead where n <= 0').run();
  prep('delete from keyword_tombstones where agent_id in (select value from json_each(?))').run(agents);
  const holds = prep('select agent_id, run from keyword_run_agents where agent_id in (select value from json_each(?))').all(agents) as { agent_id: string; run: number }[];
  const drop = prep('delete from keyword_run_agents where agent_id = ? and run = ?');
  for (const h of holds) if (!held.has(`${h.run}\u0000${h.agent_id}`)) drop.run(h.agent_id, h.run);
}
