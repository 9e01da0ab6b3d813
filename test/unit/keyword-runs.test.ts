import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { afterAll, expect, it } from 'vitest';
import { sqliteMigrations } from '../../migrations/sqlite/index.js';
import { keywordIdf, queryTerms, termWeights } from '../../src/core/keyword-score.js';
import { MemorySubstrate } from '../../src/index.js';
import { compareText, KeywordRunWriter, MERGE_FANOUT, POSTING_BYTES } from '../../src/backends/sqlite/sqlite-keyword-runs.js';
import { rng } from '../../src/testing/vectors.js';

/**
 * SQLite keeps keyword postings in sorted runs (sqlite-keyword-runs.ts): every write call appends a
 * run, runs merge in bounded steps, deletes and rewrites leave dead postings behind until a merge
 * or an erasure drops them. Whatever state the runs are in, recall must equal BM25 computed here
 * from core/keyword-score.ts over the live memories, and the runs must account for every live doc
 * exactly: Σ n − dead = the live docs holding each term, and no posting names a doc that is
 * neither live nor tombstoned.
 */
const dir = mkdtempSync(join(tmpdir(), 'memstrate-kw-runs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const WORDS = Array.from({ length: 300 }, (_, i) => `w${i.toString(36)}x`);

interface Live {
  id: string;
  agentId: string;
  content: string;
  scope: string;
  order: number;
}

function zipf(r: () => number): () => string {
  const cdf: number[] = [];
  let total = 0;
  for (let i = 0; i < WORDS.length; i++) cdf.push((total += 1 / (i + 1)));
  return () => {
    const x = r() * total;
    let lo = 0;
    while ((cdf[lo] as number) < x) lo++;
    return WORDS[lo] as string;
  };
}

/** BM25 top k over the live memories of `agentId` (every agent's when undefined), as core defines it; ties by insertion order. */
function reference(live: readonly Live[], agentId: string | undefined, text: string, scope: string | undefined, k: number): { id: string; score: number }[] {
  const own = live.filter((m) => agentId === undefined || m.agentId === agentId);
  const weights = own.map((m) => termWeights(m.content));
  const terms = queryTerms(text);
  const df = new Map<string, number>();
  for (const w of weights) for (const t of terms) if (w.has(t)) df.set(t, (df.get(t) ?? 0) + 1);
  return own
    .map((m, i) => ({ m, score: terms.reduce((s, t) => s + ((weights[i] as Map<string, number>).get(t) ?? 0) * (df.has(t) ? keywordIdf(own.length, df.get(t) as number) : 0), 0) }))
    .filter((x) => x.score > 0 && (scope === undefined || x.m.scope === scope))
    .sort((a, b) => b.score - a.score || a.m.order - b.m.order)
    .slice(0, k)
    .map((x) => ({ id: x.m.id, score: x.score }));
}

/** The runs' accounting, read from the file: every term's Σ n − dead equals its live docs, and every posting's doc is live or tombstoned. */
function checkAccounts(path: string): { levels: number[]; merging: boolean; tombstones: number; dead: number } {
  const db = new Database(path, { readonly: true });
  try {
    const live = new Map<string, number>();
    for (const r of db.prepare('select d.agent_id as agent, j.value as term from keyword_docs d, json_each(d.terms) j').all() as { agent: string; term: string }[]) {
      live.set(`${r.term}\u0000${r.agent}`, (live.get(`${r.term}\u0000${r.agent}`) ?? 0) + 1);
    }
    const docs = new Set((db.prepare('select doc from keyword_docs').all() as { doc: number }[]).map((d) => d.doc));
    const tombs = new Set((db.prepare('select doc from keyword_tombstones').all() as { doc: number }[]).map((d) => d.doc));
    const held = new Map<string, number>();
    for (const r of db.prepare('select term, agent_id, n, data from keyword_postings').all() as { term: string; agent_id: string; n: number; data: Buffer }[]) {
      expect(r.data.length).toBe(r.n * POSTING_BYTES);
      let previous = -1;
      for (let o = 0; o < r.data.length; o += POSTING_BYTES) {
        const doc = r.data.readUInt32LE(o);
        expect(doc, 'docs ascending within a row').toBeGreaterThan(previous);
        previous = doc;
        expect(docs.has(doc) || tombs.has(doc), `doc ${doc} of ${r.term} is live or tombstoned`).toBe(true);
      }
      held.set(`${r.term}\u0000${r.agent_id}`, (held.get(`${r.term}\u0000${r.agent_id}`) ?? 0) + r.n);
    }
    for (const r of db.prepare('select term, agent_id, n from keyword_dead').all() as { term: string; agent_id: string; n: number }[]) {
      expect(r.n).toBeGreaterThan(0);
      held.set(`${r.term}\u0000${r.agent_id}`, (held.get(`${r.term}\u0000${r.agent_id}`) ?? 0) - r.n);
    }
    for (const [key, n] of held) if (n === 0) held.delete(key);
    expect(held).toEqual(live);
    // Every run an agent has postings in is listed for it (an agent's recall reads only those).
    const listed = new Set((db.prepare('select run, agent_id from keyword_run_agents').all() as { run: number; agent_id: string }[]).map((r) => `${r.run}/${r.agent_id}`));
    for (const r of db.prepare('select distinct run, agent_id from keyword_postings').all() as { run: number; agent_id: string }[]) expect(listed.has(`${r.run}/${r.agent_id}`), `run ${r.run} lists ${r.agent_id}`).toBe(true);
    const runs = db.prepare('select level, merging_into from keyword_runs').all() as { level: number; merging_into: number | null }[];
    return {
      levels: runs.map((r) => r.level),
      merging: runs.some((r) => r.merging_into !== null),
      tombstones: tombs.size,
      dead: (db.prepare('select coalesce(sum(n), 0) as n from keyword_dead').get() as { n: number }).n,
    };
  } finally {
    db.close();
  }
}

/** A fresh store file in the test's folder. */
async function openStore(name: string): Promise<{ path: string; mem: MemorySubstrate }> {
  const path = join(dir, `${name}.db`);
  return { path, mem: await MemorySubstrate.open({ sqlitePath: path, auditAnchorPath: `${path}.anchor` }, { env: {} }) };
}

it('keyword recall equals the BM25 reference through writes, merges in progress, deletes and rewrites; the runs account for every live doc', async () => {
  const r = rng(21);
  const word = zipf(r);
  const { path, mem } = await openStore('runs');
  const live: Live[] = [];
  let order = 0;
  const text = () => Array.from({ length: 5 + Math.floor(r() * 12) }, word).join(' ') + ` u${order}u`;
  const seen = { maxLevel: 0, merging: 0, tombstones: 0, deadDropped: false };
  let lastDead = 0;
  try {
    for (let round = 0; round < 140; round++) {
      // A write call: one run (a single remember, or a batch of up to 80).
      const size = round % 5 === 0 ? 1 : 1 + Math.floor(r() * 80);
      const batch = Array.from({ length: size }, () => ({ agentId: r() < 0.8 ? 'A' : 'B', content: text(), scope: r() < 0.1 ? 'rare' : 'plain', order: order++ }));
      const ids = await mem.semantic.rememberMany(batch.map(({ agentId, content, scope }) => ({ agentId, content, scope })));
      batch.forEach((b, i) => live.push({ ...b, id: ids[i] as string }));
      // Deletes and rewrites: tombstones and dead postings in older runs.
      if (round % 3 === 1) {
        for (let d = 0; d < 3 && live.length > 0; d++) {
          const [gone] = live.splice(Math.floor(r() * live.length), 1);
          await mem.semantic.forget((gone as Live).id);
        }
      }
      if (round % 4 === 2 && live.length > 0) {
        const target = live[Math.floor(r() * live.length)] as Live;
        target.content = text();
        await mem.semantic.update(target.id, { content: target.content });
      }
      // Every 10th round, and whenever a merge is in progress (the runs mid-merge), recall is checked.
      const merging = (() => {
        const db = new Database(path, { readonly: true });
        try {
          return db.prepare('select 1 from keyword_runs where merging_into is not null').get() !== undefined;
        } finally {
          db.close();
        }
      })();
      if (round % 10 !== 9 && !(merging && seen.merging < 5)) continue;
      const state = checkAccounts(path);
      seen.maxLevel = Math.max(seen.maxLevel, ...state.levels);
      if (state.merging) seen.merging++;
      seen.tombstones = Math.max(seen.tombstones, state.tombstones);
      if (state.dead < lastDead) seen.deadDropped = true;
      lastDead = state.dead;
      for (let q = 0; q < 6; q++) {
        const query = q === 5 ? `${word()} u${Math.floor(r() * order)}u` : [word(), word(), ...(q % 2 === 0 ? [word()] : [])].join(' ');
        const scope = q === 3 ? 'rare' : undefined;
        const want = reference(live, 'A', query, scope, 10);
        const got = await mem.semantic.recall({ agentId: 'A', text: query, mode: 'keyword', limit: 10, ...(scope ? { filter: { scope } } : {}) });
        expect(got.map((g) => g.memory.id), `${query} ${scope ?? ''}`).toEqual(want.map((w) => w.id));
        got.forEach((g, j) => expect(g.score).toBeCloseTo((want[j]?.score as number) / ((want[j]?.score as number) + 1), 9));
      }
      const query = [word(), word()].join(' ');
      const all = await mem.semantic.recall({ allAgents: true, text: query, mode: 'keyword', limit: 10 });
      expect(all.map((g) => g.memory.id), `${query} (allAgents)`).toEqual(reference(live, undefined, query, undefined, 10).map((w) => w.id));
    }
    expect(seen.maxLevel, 'runs merged twice over').toBeGreaterThanOrEqual(2);
    expect(seen.merging, 'recall checked while a merge was in progress').toBeGreaterThanOrEqual(1);
    expect(seen.tombstones, 'deleted docs awaiting a merge').toBeGreaterThan(0);
    expect(seen.deadDropped, 'a merge dropped dead postings').toBe(true);
    const final = checkAccounts(path);
    const perLevel = new Map<number, number>();
    for (const l of final.levels) perLevel.set(l, (perLevel.get(l) ?? 0) + 1);
    for (const [level, n] of perLevel) expect(n, `runs at level ${level}`).toBeLessThanOrEqual(2 * MERGE_FANOUT);
  } finally {
    await mem.close();
  }
}, 120_000);

it('a secure erasure takes the erased memories’ postings out of every run, and recall of the rest stays exact', async () => {
  const r = rng(5);
  const word = zipf(r);
  const { path, mem } = await openStore('erase');
  const live: Live[] = [];
  let order = 0;
  try {
    for (let round = 0; round < 40; round++) {
      const batch = Array.from({ length: 1 + Math.floor(r() * 30) }, () => {
        const secret = r() < 0.2;
        return { agentId: 'A', content: `${Array.from({ length: 8 }, word).join(' ')}${secret ? ' zyxsecret' : ''}`, scope: secret ? 'secret' : 'plain', order: order++ };
      });
      const ids = await mem.semantic.rememberMany(batch.map(({ agentId, content, scope }) => ({ agentId, content, scope })));
      batch.forEach((b, i) => live.push({ ...b, id: ids[i] as string }));
      if (round % 4 === 3) {
        const [gone] = live.splice(Math.floor(r() * live.length), 1);
        await mem.semantic.forget((gone as Live).id);
      }
    }
    await mem.semantic.remember({ agentId: 'B', content: 'zyxsecret kept by another agent' });
    const before = new Database(path, { readonly: true });
    expect((before.prepare("select count(*) as n from keyword_postings where term = 'zyxsecret' and agent_id = 'A'").get() as { n: number }).n).toBeGreaterThan(0);
    before.close();

    await mem.erase({ agentId: 'A', filter: { scope: 'secret' } });
    const kept = live.filter((m) => m.scope !== 'secret');
    const after = new Database(path, { readonly: true });
    try {
      expect(after.prepare("select agent_id from keyword_postings where term = 'zyxsecret'").all()).toEqual([{ agent_id: 'B' }]);
      expect(after.prepare("select count(*) as n from keyword_dead where agent_id = 'A'").get()).toEqual({ n: 0 });
      expect(after.prepare("select count(*) as n from keyword_tombstones where agent_id = 'A'").get()).toEqual({ n: 0 });
      // Runs left without any posting of A no longer list it.
      expect(after.prepare("select count(*) as n from keyword_run_agents a where agent_id = 'A' and not exists (select 1 from keyword_postings p where p.run = a.run and p.agent_id = 'A')").get()).toEqual({ n: 0 });
    } finally {
      after.close();
    }
    checkAccounts(path);
    for (const query of [`${word()} ${word()}`, 'zyxsecret', `${word()} zyxsecret`]) {
      expect((await mem.semantic.recall({ agentId: 'A', text: query, mode: 'keyword', limit: 10 })).map((g) => g.memory.id), query).toEqual(
        reference(kept, 'A', query, undefined, 10).map((w) => w.id),
      );
    }
  } finally {
    await mem.close();
  }
}, 60_000);

it("dedupe: 'content' finds the oldest live twin through the content keys, whatever run holds it (a repeat within a call answers as its first row); deletes and rewrites take theirs away", async () => {
  const r = rng(9);
  const { path, mem } = await openStore('dedupe');
  // A small pool, so contents repeat across calls and within one; "?!" has no keyword terms.
  const pool = [...Array.from({ length: 24 }, (_, i) => `note ${WORDS[i]} ${WORDS[(i * 7) % 50]}`), '?!'];
  const live: Live[] = [];
  let order = 0;
  const twinOf = (agentId: string, scope: string, content: string) =>
    live.filter((m) => m.agentId === agentId && m.scope === scope && m.content === content).sort((a, b) => a.order - b.order)[0];
  let found = 0;
  let inCall = 0;
  try {
    for (let round = 0; round < 90; round++) {
      const rows = Array.from({ length: 1 + Math.floor(r() * 40) }, () => ({
        agentId: r() < 0.7 ? 'A' : 'B',
        scope: r() < 0.8 ? 'plain' : 'rare',
        content: pool[Math.floor(r() * pool.length)] as string,
        dedupe: r() < 0.6,
      }));
      // What the model expects, row by row (core answers a dedupe row that repeats an earlier row of
      // the call with that row's memory; the store answers the rest with the oldest live twin).
      const expected: (Live | undefined)[] = [];
      const made: Live[] = [];
      const firstInCall = new Map<string, Live>();
      for (const row of rows) {
        const key = JSON.stringify([row.agentId, row.scope, row.content]);
        const earlier = firstInCall.get(key);
        const twin = row.dedupe ? (earlier ?? twinOf(row.agentId, row.scope, row.content)) : undefined;
        expected.push(twin);
        if (twin === undefined) made.push({ id: '', agentId: row.agentId, scope: row.scope, content: row.content, order: order++ });
        else if (twin === earlier) inCall++;
        else found++;
        if (earlier === undefined) firstInCall.set(key, twin ?? (made.at(-1) as Live));
      }
      const results = await mem.semantic.rememberManyWithResult(rows.map(({ agentId, scope, content, dedupe }) => ({ agentId, scope, content, ...(dedupe ? { dedupe: 'content' as const } : {}) })));
      let next = 0;
      results.forEach((res, i) => {
        const twin = expected[i];
        if (twin === undefined) {
          expect(res.created, `row ${i} of round ${round} is new`).toBe(true);
          (made[next++] as Live).id = res.id;
        } else {
          expect(res, `row ${i} of round ${round} finds its twin`).toEqual({ id: twin.id, created: false, updated: false });
        }
      });
      live.push(...made);
      if (round % 3 === 1 && live.length > 0) {
        const [gone] = live.splice(Math.floor(r() * live.length), 1);
        await mem.semantic.forget((gone as Live).id);
      }
      if (round % 4 === 2 && live.length > 0) {
        const target = live[Math.floor(r() * live.length)] as Live;
        target.content = pool[Math.floor(r() * pool.length)] as string;
        await mem.semantic.update(target.id, { content: target.content });
      }
    }
    expect(found, 'dedupe rows found twins of earlier calls').toBeGreaterThan(100);
    expect(inCall, 'twins made earlier in the same call').toBeGreaterThan(0);
    const state = checkAccounts(path);
    expect(Math.max(...state.levels), 'runs merged').toBeGreaterThanOrEqual(1);
    const db = new Database(path, { readonly: true });
    try {
      expect(db.prepare("select count(*) as n from sqlite_master where name = 'memories_dedupe'").get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  } finally {
    await mem.close();
  }
}, 60_000);

it('migration 0012 on a store whose runs sit at several levels: its run merges in doc order, and later merges, deletes and recall keep the accounting exact', async () => {
  const r = rng(12);
  const word = zipf(r);
  const path = join(dir, 'migrated.db');
  // A store at 0011 written the way 0011's code wrote it: a run per write call, merges along the way.
  const raw = new Database(path);
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: raw }) });
  const { error } = await new Migrator({ db, provider: { getMigrations: async () => Object.fromEntries(Object.entries(sqliteMigrations).filter(([m]) => m < '0012')) } }).migrateToLatest();
  if (error) throw error;
  const statements = new Map<string, Database.Statement>();
  const writer = new KeywordRunWriter((sql) => statements.get(sql) ?? (statements.set(sql, raw.prepare(sql)).get(sql) as Database.Statement));
  const insert = raw.prepare("insert into memories (id, agent_id, content, source, scope, metadata, confidence, created_at, accessed_at, access_count) values (?, 'A', ?, 'observation', 'episodic', '{}', 1, ?, ?, 0)");
  const live: Live[] = [];
  let order = 0;
  const text = () => `${Array.from({ length: 6 }, word).join(' ')} u${order}u`;
  for (let call = 0; call < 95; call++) {
    raw.transaction(() => {
      for (let i = 0; i < 100; i++) {
        const m = { id: `m${order}`, agentId: 'A', content: text(), scope: 'episodic', order: order++ };
        writer.add(insert.run(m.id, m.content, m.order, m.order).lastInsertRowid, 'A', m.content);
        live.push(m);
      }
      writer.flush();
    })();
  }
  const levels = (raw.prepare('select level from keyword_runs').all() as { level: number }[]).map((x) => x.level);
  expect(Math.min(...levels), 'runs of level 0 wait beside higher ones at migration').toBe(0);
  expect(Math.max(...levels)).toBeGreaterThanOrEqual(2);
  await db.destroy();
  const mem = await MemorySubstrate.open({ sqlitePath: path, auditAnchorPath: `${path}.anchor` }, { env: {} });
  try {
    const check = () => {
      checkAccounts(path);
      const query = `${word()} ${word()}`;
      return mem.semantic.recall({ agentId: 'A', text: query, mode: 'keyword', limit: 10 }).then((got) => expect(got.map((g) => g.memory.id), query).toEqual(reference(live, 'A', query, undefined, 10).map((w) => w.id)));
    };
    await check();
    // Deletes leave tombstones for the migrated docs; then writes until the runs of that time have merged away.
    for (let round = 0; round < 40; round++) {
      for (let d = 0; d < 5; d++) {
        const [gone] = live.splice(Math.floor(r() * live.length), 1);
        await mem.semantic.forget((gone as Live).id);
      }
      const batch = Array.from({ length: 100 }, () => ({ agentId: 'A', content: text(), scope: 'episodic', order: order++ }));
      const ids = await mem.semantic.rememberMany(batch.map(({ agentId, content }) => ({ agentId, content })));
      batch.forEach((b, i) => live.push({ ...b, id: ids[i] as string }));
      if (round % 8 === 7) await check();
    }
    await check();
    for (const m of live.slice(0, 50)) expect((await mem.semantic.rememberWithResult({ agentId: 'A', content: m.content, dedupe: 'content' })).id).toBe(m.id);
  } finally {
    await mem.close();
  }
}, 60_000);

it("compareText orders strings as SQLite's BINARY collation does (UTF-8 bytes), astral characters included", () => {
  const r = rng(9);
  const alphabet = ['a', 'z', 'é', '中', '\uE000', '\uFF21', '\u{1F600}', '\u{20000}', '\u007F', '\u0080'];
  const text = () => Array.from({ length: Math.floor(r() * 4) }, () => alphabet[Math.floor(r() * alphabet.length)]).join('');
  const db = new Database(':memory:');
  try {
    const cmp = db.prepare('select (? > ?) - (? < ?) as c');
    for (let i = 0; i < 2000; i++) {
      const a = text();
      const b = text();
      expect(Math.sign(compareText(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`).toBe((cmp.get(a, b, a, b) as { c: number }).c);
    }
  } finally {
    db.close();
  }
});
