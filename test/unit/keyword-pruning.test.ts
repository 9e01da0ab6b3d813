import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { BM25_K1, keywordIdf, queryTerms, termWeights } from '../../src/core/keyword-score.js';
import { MemorySubstrate } from '../../src/index.js';
import { SqliteReadPool } from '../../src/backends/sqlite/sqlite-read-pool.js';
import { rng } from '../../src/testing/vectors.js';

/**
 * SQLite keyword recall prunes the most common query term's postings (MaxScore) and reads a
 * shortlist of the best-scored memories first: both must return exactly the BM25 top k. A
 * reference computed here from core/keyword-score.ts over 4,000 memories of a skewed vocabulary
 * is compared with recall for 60 queries of 2–3 terms, with and without a filter; the queries whose
 * k-th score reaches the common term's bound (where the pruned path answers) are counted, so the
 * test cannot pass without exercising it; so are those answered by merging in the memories holding
 * the common term alone (read from the head of its postings by weight). A filter rarer than that
 * head (scope 'c') takes the full scoring.
 */
const dir = mkdtempSync(join(tmpdir(), 'memstrate-kw-prune-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const WORDS = Array.from({ length: 400 }, (_, i) => `w${i.toString(36)}x`);

it('pruned and shortlisted keyword recall equals the BM25 reference, filtered or not', async () => {
  const r = rng(7);
  // Zipf-like: word i drawn with weight 1 / (i + 1).
  const cdf: number[] = [];
  let total = 0;
  for (let i = 0; i < WORDS.length; i++) cdf.push((total += 1 / (i + 1)));
  const word = () => {
    const x = r() * total;
    let lo = 0;
    while ((cdf[lo] as number) < x) lo++;
    return WORDS[lo] as string;
  };
  // Every 7th memory also holds one of 300 rare words (df 1–2).
  const docs = Array.from({ length: 4000 }, (_, i) => ({ content: Array.from({ length: 6 + Math.floor(r() * 12) }, word).join(' ') + (i % 7 === 0 ? ` q${(i / 7) % 300}z` : ''), scope: i % 50 === 1 ? 'c' : i % 3 === 0 ? 'a' : 'b' }));
  const path = join(dir, 'kw.db');
  const mem = await MemorySubstrate.open({ sqlitePath: path, auditAnchorPath: `${path}.anchor` }, { env: {} });
  try {
    const ids = await mem.semantic.rememberMany(docs.map((d) => ({ agentId: 'A', content: d.content, scope: d.scope })));
    await mem.semantic.remember({ agentId: 'B', content: WORDS.slice(0, 30).join(' ') });
    const weights = docs.map((d) => termWeights(d.content));
    const df = new Map<string, number>();
    for (const w of weights) for (const t of w.keys()) df.set(t, (df.get(t) ?? 0) + 1);

    let pruned = 0;
    let merged = 0;
    for (let q = 0; q < 60; q++) {
      // A common word with one or two rarer ones, or (every 4th) with one of the rare words.
      const text = (q % 4 === 1 ? [WORDS[Math.floor(r() * 8)], `q${q}z`] : [WORDS[Math.floor(r() * 8)], WORDS[8 + Math.floor(r() * 120)], ...(q % 2 === 0 ? [WORDS[20 + Math.floor(r() * 300)]] : [])]).join(' ');
      const terms = queryTerms(text);
      // 'c' (80 memories) is rarer than the common term's head: the full scoring answers.
      const scope = q % 5 === 4 ? 'c' : q % 3 === 0 ? 'a' : undefined;
      const scored = weights
        .map((w, i) => ({ i, score: terms.reduce((s, t) => s + (w.get(t) ?? 0) * (df.has(t) ? keywordIdf(docs.length, df.get(t) as number) : 0), 0) }))
        .filter((x) => x.score > 0 && (scope === undefined || docs[x.i]?.scope === scope))
        .sort((x, y) => y.score - x.score || x.i - y.i)
        .slice(0, 10);
      const got = await mem.semantic.recall({ agentId: 'A', text, mode: 'keyword', limit: 10, ...(scope ? { filter: { scope } } : {}) });
      expect(got.map((g) => g.memory.id), text).toEqual(scored.map((x) => ids[x.i]));
      got.forEach((g, j) => expect(g.score).toBeCloseTo((scored[j]?.score as number) / ((scored[j]?.score as number) + 1), 9));
      const common = [...terms].filter((t) => df.has(t)).sort((x, y) => (df.get(y) as number) - (df.get(x) as number))[0] as string;
      const bound = keywordIdf(docs.length, df.get(common) as number) * (BM25_K1 + 1);
      if (scored.length === 10 && (scored[9]?.score as number) >= bound) pruned++;
      // Below the bound, a top 10 holding a memory with the common term alone came from the merge.
      else if (scope !== 'c' && scored.some((x) => terms.every((t) => t === common || !(weights[x.i] as Map<string, number>).has(t)))) merged++;
    }
    expect(pruned, 'queries answered by the pruned path').toBeGreaterThanOrEqual(10);
    expect(merged, 'queries answered by merging the common term alone').toBeGreaterThanOrEqual(10);
  } finally {
    await mem.close();
  }
});

/**
 * With many postings and both read workers idle, SQLite scores the memories in two halves by rowid,
 * one per worker, and keeps the best k of both: that must equal the BM25 reference too, filtered or
 * not. The halves are seen in the statements the read pool runs (a range on memory_rowid). Every
 * agent's recall (allAgents) scores the same postings unsplit, and must equal it too.
 */
it('keyword recall scored in two halves on the two read workers equals the BM25 reference', async () => {
  const r = rng(11);
  const filler = Array.from({ length: 300 }, (_, i) => `f${i.toString(36)}y`);
  // Two common words in ~60 % of 24,000 memories each: ~28k postings for a query of both.
  const docs = Array.from({ length: 24_000 }, (_, i) => {
    const words = Array.from({ length: 4 + Math.floor(r() * 10) }, () => filler[Math.floor(r() * filler.length)] as string);
    if (r() < 0.6) words.push(...Array.from({ length: 1 + Math.floor(r() * 3) }, () => 'alphaword'));
    if (r() < 0.6) words.push('betaword');
    return { content: words.join(' '), scope: i % 9 === 0 ? 'rare' : 'plain' };
  });
  const path = join(dir, 'kw-split.db');
  const mem = await MemorySubstrate.open({ sqlitePath: path, auditAnchorPath: `${path}.anchor` }, { env: {} });
  const seen: string[] = [];
  const rows = SqliteReadPool.prototype.rows;
  SqliteReadPool.prototype.rows = function (this: SqliteReadPool, sql: string, params: readonly unknown[]) {
    seen.push(sql);
    return rows.call(this, sql, params);
  } as typeof rows;
  try {
    const ids: string[] = [];
    for (let i = 0; i < docs.length; i += 4000) ids.push(...(await mem.semantic.rememberMany(docs.slice(i, i + 4000).map((d) => ({ agentId: 'A', content: d.content, scope: d.scope })))));
    const weights = docs.map((d) => termWeights(d.content));
    const df = new Map<string, number>();
    for (const w of weights) for (const t of w.keys()) df.set(t, (df.get(t) ?? 0) + 1);
    for (const [text, scope] of [['alphaword betaword', undefined], ['alphaword betaword', 'rare'], [`alphaword betaword ${filler[3]}`, undefined]] as const) {
      const terms = queryTerms(text);
      const scored = weights
        .map((w, i) => ({ i, score: terms.reduce((s, t) => s + (w.get(t) ?? 0) * (df.has(t) ? keywordIdf(docs.length, df.get(t) as number) : 0), 0) }))
        .filter((x) => x.score > 0 && (scope === undefined || docs[x.i]?.scope === scope))
        .sort((x, y) => y.score - x.score || x.i - y.i)
        .slice(0, 10);
      seen.length = 0;
      const got = await mem.semantic.recall({ agentId: 'A', text, mode: 'keyword', limit: 10, ...(scope ? { filter: { scope } } : {}) });
      expect(got.map((g) => g.memory.id), `${text} ${scope ?? ''}`).toEqual(scored.map((x) => ids[x.i]));
      got.forEach((g, j) => expect(g.score).toBeCloseTo((scored[j]?.score as number) / ((scored[j]?.score as number) + 1), 9));
      expect(seen.filter((s) => s.includes('memory_rowid >= ?')).length, `${text}: one half scored from the middle rowid on`).toBeGreaterThanOrEqual(1);
      expect(seen.filter((s) => s.includes('memory_rowid < ?')).length, `${text}: one half scored below the middle rowid`).toBeGreaterThanOrEqual(1);
      // Every agent's recall (only A here, so the same reference) scores the same postings in one statement.
      if (scope !== undefined) continue;
      seen.length = 0;
      const all = await mem.semantic.recall({ allAgents: true, text, mode: 'keyword', limit: 10 });
      expect(all.map((g) => g.memory.id), `${text} (allAgents)`).toEqual(scored.map((x) => ids[x.i]));
      expect(seen.some((s) => s.includes('memory_rowid >= ?')), `${text} (allAgents): not split`).toBe(false);
    }
  } finally {
    SqliteReadPool.prototype.rows = rows;
    await mem.close();
  }
}, 60_000);
