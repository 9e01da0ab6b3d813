import type BetterSqlite3 from 'better-sqlite3';
import { keywordIdf } from '../../core/keyword-score.js';
import { POSTING_BYTES } from './sqlite-keyword-runs.js';

/**
 * Read tasks: JavaScript that reads through one SQLite connection and computes over what it read,
 * run where a read statement would run — on a read worker (sqlite-read-pool.ts evaluates this
 * source in the worker), or on the main connection inside a scope or without workers — so that
 * heavy scoring never holds the event loop. The source is plain JavaScript (no imports, nothing
 * from the enclosing module), written once here and compiled once per thread.
 */

/** What `keyword` takes: the statement of the query terms' postings and statistics, the terms, k, and the filter statement over candidate docs. */
export interface KeywordTaskInput {
  /**
   * Rows (kind, term, n, data): kind 0 a run's postings of a term (n of them, sqlite-keyword-runs.ts's
   * blob), kind 1 a term's dead postings (n), kind 2 the searched memories' count N (in n).
   */
  postings: { sql: string; params: unknown[] };
  /** The query's terms, in the order scores are summed in. */
  terms: string[];
  k: number;
  /** How many of the best-scored docs the filter sees first. */
  shortlist: number;
  /** Rows (i, id, rowid) of the docs of a JSON array (first parameter) that pass the filter; `i` indexes the array. */
  filter: { sql: string; params: unknown[] };
}

export interface KeywordTaskRow {
  id: string;
  score: number;
  rowid: number;
}

/**
 * keyword: BM25 over the postings, best k passing the filter. N and each term's df (Σ n − dead)
 * come with the postings, in one statement; the idf is core's keywordIdf (its source is compiled
 * into the task, so the formula is written once). Each term's pieces (one per run, in
 * doc order; sorted if runs interleave, as every agent's do) are scaled by the term's idf; the lists
 * are merged in doc order, summing; the best `shortlist` (score descending, then doc) are filtered
 * first, and only when fewer than k pass is every scored doc filtered, best first, in chunks.
 */
const KEYWORD_TASK = String.raw`function keyword(prepare, input) {
  const B = ${POSTING_BYTES};
  const keywordIdf = ${keywordIdf.toString()};
  const byTerm = new Map(input.terms.map((term) => [term, { pieces: [], df: 0 }]));
  let n = 0;
  for (const r of prepare(input.postings.sql).all(...input.postings.params)) {
    if (r.kind === 2) n = r.n;
    else if (r.kind === 1) byTerm.get(r.term).df -= r.n;
    else {
      const t = byTerm.get(r.term);
      t.pieces.push(r.data);
      t.df += r.n;
    }
  }
  const lists = [];
  for (const term of input.terms) {
    const { pieces, df } = byTerm.get(term);
    if (df <= 0 || pieces.length === 0) continue;
    const idf = keywordIdf(n, df);
    pieces.sort((a, b) => a.readUInt32LE(0) - b.readUInt32LE(0));
    let total = 0;
    for (const p of pieces) total += p.length / B;
    let docs = new Uint32Array(total);
    let w = new Float64Array(total);
    let i = 0;
    let sorted = true;
    for (const p of pieces) {
      for (let o = 0; o < p.length; o += B) {
        const d = p.readUInt32LE(o);
        if (i > 0 && d < docs[i - 1]) sorted = false;
        docs[i] = d;
        w[i++] = p.readDoubleLE(o + 4) * idf;
      }
    }
    if (!sorted) {
      const order = Array.from(docs.keys()).sort((a, b) => docs[a] - docs[b]);
      const d2 = Uint32Array.from(order, (x) => docs[x]);
      const w2 = Float64Array.from(order, (x) => w[x]);
      docs = d2;
      w = w2;
    }
    lists.push({ docs, w });
  }
  if (lists.length === 0) return [];
  let cap = 0;
  for (const l of lists) cap += l.docs.length;
  const docs = new Uint32Array(cap);
  const scores = new Float64Array(cap);
  let u = 0;
  const pos = new Int32Array(lists.length);
  for (;;) {
    let min = Infinity;
    for (let t = 0; t < lists.length; t++) {
      const l = lists[t];
      if (pos[t] < l.docs.length && l.docs[pos[t]] < min) min = l.docs[pos[t]];
    }
    if (min === Infinity) break;
    let s = 0;
    for (let t = 0; t < lists.length; t++) {
      const l = lists[t];
      const p = pos[t];
      if (p < l.docs.length && l.docs[p] === min) {
        s += l.w[p];
        pos[t] = p + 1;
      }
    }
    docs[u] = min;
    scores[u++] = s;
  }
  // a ranks after b: lower score, or the same score and a later doc.
  const after = (a, b) => scores[a] < scores[b] || (scores[a] === scores[b] && docs[a] > docs[b]);
  const best = (a, b) => (after(a, b) ? 1 : after(b, a) ? -1 : 0);
  const top = (count) => {
    const heap = [];
    const swap = (i, j) => { const x = heap[i]; heap[i] = heap[j]; heap[j] = x; };
    for (let i = 0; i < u; i++) {
      if (heap.length < count) {
        heap.push(i);
        for (let c = heap.length - 1; c > 0; ) {
          const p = (c - 1) >> 1;
          if (!after(heap[c], heap[p])) break;
          swap(c, p);
          c = p;
        }
      } else if (after(heap[0], i)) {
        heap[0] = i;
        for (let c = 0; ; ) {
          const l = 2 * c + 1;
          const r = l + 1;
          let m = c;
          if (l < heap.length && after(heap[l], heap[m])) m = l;
          if (r < heap.length && after(heap[r], heap[m])) m = r;
          if (m === c) break;
          swap(c, m);
          c = m;
        }
      }
    }
    return heap.sort(best);
  };
  const check = prepare(input.filter.sql);
  const passed = [];
  const filter = (idx) => {
    for (const r of check.all(JSON.stringify(idx.map((i) => docs[i])), ...input.filter.params)) passed.push({ id: r.id, score: scores[idx[r.i]], rowid: r.rowid });
  };
  const shortlist = top(Math.min(u, input.shortlist));
  filter(shortlist);
  if (passed.length < input.k && shortlist.length < u) {
    const all = top(u);
    for (let at = shortlist.length; at < u && passed.length < input.k; at += 4096) filter(all.slice(at, at + 4096));
  }
  passed.sort((a, b) => b.score - a.score || Number(a.rowid) - Number(b.rowid));
  return passed.slice(0, input.k);
}`;

/** Every read task's source, as an object expression of functions (prepare, input) => result. */
export const READ_TASKS_SOURCE = `({ keyword: ${KEYWORD_TASK} })`;

export interface ReadTasks {
  keyword: (input: KeywordTaskInput) => KeywordTaskRow[];
}
export type ReadTaskName = keyof ReadTasks;

type TaskFn = (prepare: (sql: string) => BetterSqlite3.Statement<unknown[], unknown>, input: unknown) => unknown;

let compiled: Record<string, TaskFn> | undefined;

/** Runs a read task on this thread's connection (through `prepare`, which caches statements). */
export function runReadTask<N extends ReadTaskName>(name: N, prepare: (sql: string) => BetterSqlite3.Statement<unknown[], unknown>, input: Parameters<ReadTasks[N]>[0]): ReturnType<ReadTasks[N]> {
  compiled ??= new Function(`return ${READ_TASKS_SOURCE}`)() as Record<string, TaskFn>;
  return (compiled[name] as TaskFn)(prepare, input) as ReturnType<ReadTasks[N]>;
}
