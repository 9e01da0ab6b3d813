import { sql, type Kysely } from 'kysely';
import { compareText, contentKey, packPostings } from '../../src/backends/sqlite/sqlite-keyword-runs.js';

/** Memories read (and docs written) per statement. */
const PAGE = 5000;

/**
 * 0012 — dedupe through the keyword index. `memories_dedupe` (agent, scope, content) was a b-tree
 * index whose inserts land at random pages: it cost a batched load 22 µs per memory at 100k and
 * 44 µs at 1M. Every doc now also holds its content's key (`contentKey`: a term no query can hold,
 * one of 1024 buckets of the content's hash, with 48 more bits of it as the posting's weight),
 * written in runs with the other postings, and a dedupe looks its content up there.
 *
 * Existing memories get a second doc holding only their content's key (docs numbered after every
 * existing one, so this run's doc range overlaps no other run's); the triggers already delete all
 * of a memory's docs when it goes or its content changes, and a rewrite makes one doc with both.
 * The postings go into one run of level 0, the newest: its docs are the newest, and a merge's doc
 * range must hold no docs of runs outside it (a finished merge drops the tombstones in its range),
 * which holds only while docs grow from the highest level to level 0 (a run at a higher level,
 * merged with older runs of that level, would span the docs of the level-0 runs of its time). It
 * is few rows (one per bucket and agent), so merging it early costs little. Scores do not change:
 * no query term is a content term.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // The new docs' postings, as parallel arrays.
  const terms: string[] = [];
  const tags: number[] = [];
  const agents: string[] = [];
  const docs: number[] = [];
  let after = 0;
  for (;;) {
    const { rows } = await sql<{ rowid: number; agent_id: string; content: string }>`
      select rowid, agent_id, content from memories where rowid > ${after} order by rowid limit ${PAGE}`.execute(db);
    if (rows.length === 0) break;
    after = Number((rows.at(-1) as { rowid: number }).rowid);
    const page = rows.map((r) => [Number(r.rowid), r.agent_id, contentKey(r.content)] as const);
    const before = Number((await sql<{ seq: number | null }>`select max(doc) as seq from keyword_docs`.execute(db)).rows[0]?.seq ?? 0);
    await sql`insert into keyword_docs (memory_rowid, agent_id, terms)
      select c.value ->> 0, c.value ->> 1, json_array(c.value ->> 2) from json_each(${JSON.stringify(page.map(([rowid, agent, key]) => [rowid, agent, key.term]))}) c order by c.key`.execute(db);
    const made = (await sql<{ doc: number; memory_rowid: number }>`select doc, memory_rowid from keyword_docs where doc > ${before} order by doc`.execute(db)).rows;
    if (made.length !== page.length) throw new Error(`0012: expected ${page.length} new docs, found ${made.length}`);
    made.forEach((d, i) => {
      const [rowid, agent, key] = page[i] as (typeof page)[number];
      if (Number(d.memory_rowid) !== rowid) throw new Error(`0012: doc ${d.doc} is not memory ${rowid}'s`);
      terms.push(key.term);
      tags.push(key.tag);
      agents.push(agent);
      docs.push(Number(d.doc));
    });
  }
  if (docs.length > 0) {
    const order = Uint32Array.from(docs.keys()).sort(
      (a, b) => compareText(terms[a] as string, terms[b] as string) || compareText(agents[a] as string, agents[b] as string) || (docs[a] as number) - (docs[b] as number),
    );
    const run = Number((await sql`insert into keyword_runs (level, first_doc, last_doc) values (0, ${docs[0]}, ${docs.at(-1)})`.execute(db)).insertId);
    let out: [string, string, number, string][] = [];
    const write = async () => {
      if (out.length === 0) return;
      await sql`insert into keyword_postings (run, term, agent_id, n, data)
        select ${run}, c.value ->> 0, c.value ->> 1, c.value ->> 2, unhex(c.value ->> 3) from json_each(${JSON.stringify(out)}) c`.execute(db);
      out = [];
    };
    for (let i = 0; i < order.length; ) {
      const first = order[i] as number;
      const held: number[] = [];
      const weights: number[] = [];
      for (; i < order.length && terms[order[i] as number] === terms[first] && agents[order[i] as number] === agents[first]; i++) {
        held.push(docs[order[i] as number] as number);
        weights.push(tags[order[i] as number] as number);
      }
      out.push([terms[first] as string, agents[first] as string, held.length, packPostings(held, weights).toString('hex')]);
      if (out.length >= PAGE) await write();
    }
    await write();
    await sql`insert into keyword_run_agents (agent_id, run) select distinct agent_id, ${run} from memories`.execute(db);
  }
  await sql`drop index if exists memories_dedupe`.execute(db);
}
