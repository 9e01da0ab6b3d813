import { expect, it } from 'vitest';
import type { ListQuery, MemoryFilter, MemoryPatch, MemoryRecord, MemorySource, RecallMode, RecalledMemory, RememberInput } from '../../contracts/semantic-store.js';
import { filterAst, matchesFilter, type MemorySubstrate } from '../../index.js';
import { defineSuite } from '../conformance.js';
import { ManualClock } from '../clock.js';
import { cosine, rng } from '../vectors.js';
import { filterGen, GEN_SCOPES, GEN_SOURCES } from '../filter-gen.js';

const DIM = 8;
const DAY = 86_400_000;

/** A vector at `angle` radians from the x axis in the x/y plane, plus a small seeded tail. */
function planar(angle: number, tail = 0): number[] {
  const v = new Array<number>(DIM).fill(0);
  v[0] = Math.cos(angle);
  v[1] = Math.sin(angle);
  if (tail) v[DIM - 1] = tail;
  return v;
}

/** A random vector pointing away from the x axis (cosine with [1,0,…] well below `planar` ones). */
function farVector(next: () => number): number[] {
  const v = Array.from({ length: DIM }, () => next() * 2 - 1);
  v[0] = -Math.abs(v[0] as number) - 0.5;
  return v;
}

const QUERY = planar(0);
const ids = (results: RecalledMemory[]) => results.map((r) => r.memory.id);

/** Every memory of every agent whose content has `word`, via keyword recall. */
async function countWith(mem: MemorySubstrate, word: string): Promise<number> {
  return (await mem.semantic.recall({ allAgents: true, text: word, mode: 'keyword', limit: 1000 })).length;
}

/** Filters per cell in the property test. */
const PROPERTY_FILTERS = 500;

/** Every page of a listing, following nextCursor. */
async function listAll(mem: MemorySubstrate, query: ListQuery): Promise<MemoryRecord[]> {
  const out: MemoryRecord[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 10_000; pages++) {
    const page = await mem.semantic.list({ ...query, ...(cursor === undefined ? {} : { cursor }) });
    out.push(...page.items);
    if (page.nextCursor === undefined) return out;
    cursor = page.nextCursor;
  }
  throw new Error('listing never ended');
}

const byCreated = (order: 'asc' | 'desc') => (a: MemoryRecord, b: MemoryRecord) =>
  (order === 'asc' ? a.createdAt - b.createdAt : b.createdAt - a.createdAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export const semanticSuite = defineSuite('semantic', ({ open, itIf }) => {

  it('stores a vector of the declared maxDimensions; one more is VALIDATION and writes nothing', async () => {
    const { mem } = await open();
    const max = mem.info.capabilities.semantic.maxDimensions;
    const tooLong = Array.from({ length: max + 1 }, (_, i) => ((i % 5) - 2) / 3);
    await expect(mem.semantic.remember({ agentId: 'dims', content: 'too long', embedding: tooLong })).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(await mem.semantic.recall({ agentId: 'dims', text: 'long', mode: 'keyword' })).toEqual([]);
    const longest = tooLong.slice(0, max);
    const id = await mem.semantic.remember({ agentId: 'dims', content: 'longest', embedding: longest });
    const hits = await mem.semantic.recall({ agentId: 'dims', embedding: longest, mode: 'vector', limit: 1 });
    expect(hits.map((h) => h.memory.id)).toEqual([id]);
  }, 60_000);

  itIf('exactVectorSearch', 'vector recall returns exactly the true nearest neighbours (brute-force check over 300 random vectors)', async () => {
    const mem = (await open()).mem;
    const next = rng(7);
    const vectors = Array.from({ length: 300 }, () => Array.from({ length: DIM }, () => next() * 2 - 1));
    const stored = await mem.semantic.rememberMany(vectors.map((embedding, i) => ({ agentId: 'exact', content: `v${i}`, embedding })));
    for (let q = 0; q < 5; q++) {
      const query = Array.from({ length: DIM }, () => next() * 2 - 1);
      const truth = vectors
        .map((v, i) => ({ id: stored[i] as string, score: cosine(query, v) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, 10)
        .map((r) => r.id);
      const hits = await mem.semantic.recall({ agentId: 'exact', embedding: query, mode: 'vector', limit: 10 });
      expect(ids(hits)).toEqual(truth);
    }
  });

  it('remember/get round-trips every field, with defaults and the unit-length vector', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    const id = await mem.semantic.remember({
      agentId: 'agent-a',
      content: 'the first memory',
      source: 'document',
      scope: 'facts',
      metadata: { topic: 'intro', n: 2, nested: { ok: [1, true, null] } },
      embedding: [3, 4, 0, 0, 0, 0, 0, 0],
      confidence: 0.75,
    });
    const record = await mem.semantic.get(id);
    expect(record).toMatchObject({
      id,
      agentId: 'agent-a',
      content: 'the first memory',
      source: 'document',
      scope: 'facts',
      metadata: { topic: 'intro', n: 2, nested: { ok: [1, true, null] } },
      confidence: 0.75,
      createdAt: clock.now,
      accessedAt: clock.now,
      accessCount: 0,
    });
    expect(record?.supersededBy).toBeUndefined();
    expect(record?.embedding?.length).toBe(DIM);
    expect(record?.embedding?.[0]).toBeCloseTo(0.6, 6);
    expect(record?.embedding?.[1]).toBeCloseTo(0.8, 6);

    const plain = await mem.semantic.remember({ agentId: 'agent-a', content: 'no vector here' });
    const plainRecord = (await mem.semantic.get(plain)) as MemoryRecord;
    expect(plainRecord).toMatchObject({ source: 'observation', scope: 'episodic', metadata: {}, confidence: 1 });
    expect(plainRecord.embedding).toBeUndefined();
    expect(await mem.semantic.get('no-such-memory')).toBeUndefined();
  });

  it('vector recall returns the true nearest neighbours over the whole set, not the recently used ones', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    const next = rng(1);
    // The five nearest to the query are written first, then 295 far ones, much later.
    const nearest: string[] = [];
    for (let i = 0; i < 5; i++) nearest.push(await mem.semantic.remember({ agentId: 'A', content: `near ${i}`, embedding: planar(0.05 * (i + 1)) }));
    clock.advance(30 * DAY);
    const far = Array.from({ length: 295 }, (_, i) => ({ agentId: 'A', content: `far memory ${i} popular`, embedding: farVector(next) }));
    await mem.semantic.rememberMany(far);
    // Another agent holds vectors even closer to the query; they must never show up for A.
    await mem.semantic.rememberMany(Array.from({ length: 50 }, (_, i) => ({ agentId: 'B', content: `b ${i}`, embedding: planar(0.001 * (i + 1)) })));
    // The far ones are recently and often accessed; the near ones never.
    for (let i = 0; i < 3; i++) await mem.semantic.recall({ agentId: 'A', text: 'popular', mode: 'keyword', limit: 1000 });

    const results = await mem.semantic.recall({ agentId: 'A', embedding: QUERY, limit: 5, explain: true });
    expect(ids(results)).toEqual(nearest);
    results.forEach((r, i) => {
      expect(r.matchedBy).toBe('vector');
      expect(r.score).toBeCloseTo(cosine(QUERY, planar(0.05 * (i + 1))), 5);
      expect(r.explanation).toMatchObject({ vectorRank: i + 1 });
      expect(r.explanation?.vectorSimilarity).toBeCloseTo(r.score, 10);
      // Which vector search ran: below any approximate-index threshold, what the backend declares.
      expect(r.explanation?.vectorSearch).toBe(mem.info.capabilities.semantic.vectorSearch);
    });
    // A larger limit continues in true similarity order.
    const many = await mem.semantic.recall({ agentId: 'A', embedding: QUERY, limit: 300, mode: 'vector' });
    expect(many).toHaveLength(300);
    for (let i = 1; i < many.length; i++) expect((many[i - 1] as RecalledMemory).score).toBeGreaterThanOrEqual((many[i] as RecalledMemory).score);
  });

  it('a selective filter matching 3 of 500 returns exactly those 3, ranked (no over-fetch truncation)', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    const inputs: RememberInput[] = Array.from({ length: 497 }, (_, i) => ({
      agentId: 'A',
      content: `common memory ${i} needle`,
      embedding: planar(0.001 * (i + 1)),
    }));
    // The three that match sit far from the query, behind all 497 others.
    const rare: RememberInput[] = [2.0, 1.6, 2.4].map((angle, i) => ({
      agentId: 'A',
      content: `rare memory ${i} needle`,
      source: 'inference' as const,
      scope: 'rare-scope',
      metadata: { tag: 'rare' },
      embedding: planar(angle),
    }));
    const [r0, r1, r2] = (await mem.semantic.rememberMany([...inputs.slice(0, 200), ...rare, ...inputs.slice(200)])).slice(200, 203);
    const expected = [r1, r0, r2]; // angles 1.6 < 2.0 < 2.4
    for (const filter of [{ metadata: { tag: 'rare' } }, { source: 'inference' }, { scope: 'rare-scope' }] as MemoryFilter[]) {
      const vector = await mem.semantic.recall({ agentId: 'A', embedding: QUERY, limit: 10, mode: 'vector', filter });
      expect(ids(vector)).toEqual(expected);
      const hybrid = await mem.semantic.recall({ agentId: 'A', embedding: QUERY, text: 'needle', limit: 10, filter });
      expect(new Set(ids(hybrid))).toEqual(new Set(expected));
      expect(hybrid.every((r) => r.matchedBy === 'hybrid')).toBe(true);
      const keyword = await mem.semantic.recall({ agentId: 'A', text: 'needle', limit: 10, filter });
      expect(new Set(ids(keyword))).toEqual(new Set(expected));
    }
  });

  it('keyword recall ranks by BM25 relevance and ignores query syntax', async () => {
    const mem = (await open()).mem;
    const filler = Array.from({ length: 12 }, (_, i) => ({ agentId: 'A', content: `unrelated filler text number ${i}` }));
    await mem.semantic.rememberMany(filler);
    const both = await mem.semantic.remember({ agentId: 'A', content: 'quantum entanglement experiment' });
    const one = await mem.semantic.remember({ agentId: 'A', content: 'a note on quantum computing hardware and more words' });
    await mem.semantic.remember({ agentId: 'A', content: 'classical physics' });
    const results = await mem.semantic.recall({ agentId: 'A', text: 'Quantum entanglement?', explain: true });
    expect(ids(results)).toEqual([both, one]);
    expect(results.every((r) => r.matchedBy === 'keyword')).toBe(true);
    expect((results[0] as RecalledMemory).score).toBeGreaterThan((results[1] as RecalledMemory).score);
    expect(results[0]?.explanation).toMatchObject({ keywordRank: 1 });
    expect(results[0]?.explanation?.keywordScore).toBeCloseTo((results[0] as RecalledMemory).score, 10);
    // Stemming: "experiments" finds "experiment".
    expect(ids(await mem.semantic.recall({ agentId: 'A', text: 'experiments' }))).toEqual([both]);
    // Query-language operators and quotes in the text are plain words, never syntax errors.
    expect(ids(await mem.semantic.recall({ agentId: 'A', text: 'quantum AND "entanglement OR (NOT* ^x' }))).toContain(both);
    expect(await mem.semantic.recall({ agentId: 'A', text: '!!! ... ???', mode: 'keyword' })).toEqual([]);
    expect(await mem.semantic.recall({ agentId: 'A', text: 'absentword', mode: 'keyword' })).toEqual([]);
  });

  it('concurrent writers: every acknowledged memory is stored once, concurrent forgets and re-embeddings land, one audit entry each', async () => {
    const mem = (await open()).mem;
    const singles = await Promise.all(
      Array.from({ length: 40 }, (_, i) => mem.semantic.remember({ agentId: `w${i % 4}`, content: `concurrent single ${i}`, embedding: planar(0.01 * (i + 1)) })),
    );
    const batches = await Promise.all(
      Array.from({ length: 5 }, (_, b) => mem.semantic.rememberMany(Array.from({ length: 20 }, (_, i) => ({ agentId: 'w-batch', content: `concurrent batch ${b} item ${i}` })))),
    );
    const forgotten = singles.slice(0, 10);
    const moved = singles.slice(10, 20);
    const [forgets] = await Promise.all([
      Promise.all(forgotten.map((id) => mem.semantic.forget(id))),
      Promise.all(moved.map((id, i) => mem.semantic.updateEmbedding(id, planar(2 + 0.01 * i)))),
      Promise.all(singles.slice(20).map((id) => mem.semantic.recall({ agentId: `w${singles.indexOf(id) % 4}`, embedding: planar(0.5), limit: 3 }))),
    ]);
    expect(forgets).toEqual(forgotten.map(() => true));
    for (const id of forgotten) expect(await mem.semantic.get(id)).toBeUndefined();
    for (const [i, id] of moved.entries()) {
      const embedding = (await mem.semantic.get(id))?.embedding as number[];
      expect(cosine(embedding, planar(2 + 0.01 * i))).toBeCloseTo(1, 5);
    }
    for (const id of singles.slice(20)) expect((await mem.semantic.get(id))?.content).toMatch(/^concurrent single \d+$/);
    expect(new Set(batches.flat()).size).toBe(100);
    expect(await countWith(mem, 'concurrent')).toBe(130);
    const actions = (await mem.audit.entries({ limit: 1000 })).map((e) => e.action);
    const tally = (a: string) => actions.filter((x) => x === a).length;
    expect([tally('memory.remember'), tally('memory.remember_many'), tally('memory.forget'), tally('memory.update_embedding')]).toEqual([40, 5, 10, 10]);
    expect((await mem.audit.verify()).entries).toBe(actions.length);
  });

  it('minScore leaves out results scoring below it (cosine for vector, the RRF score for hybrid); a non-number is VALIDATION', async () => {
    const mem = (await open()).mem;
    const near = await mem.semantic.remember({ agentId: 'A', content: 'near harbour', embedding: planar(0.1) });
    const mid = await mem.semantic.remember({ agentId: 'A', content: 'mid harbour', embedding: planar(0.8) });
    await mem.semantic.remember({ agentId: 'A', content: 'far harbour', embedding: planar(2.5) });
    const vector = await mem.semantic.recall({ agentId: 'A', embedding: QUERY, mode: 'vector', minScore: Math.cos(1) });
    expect(ids(vector)).toEqual([near, mid]);
    expect(ids(await mem.semantic.recall({ agentId: 'A', embedding: QUERY, mode: 'vector', minScore: 0.99 }))).toEqual([near]);
    // Hybrid: 'near' is first in both lists (2/61); the others score at most 1/61 + 1/62.
    const hybrid = await mem.semantic.recall({ agentId: 'A', embedding: QUERY, text: 'near harbour', minScore: 2 / 61 - 1e-9 });
    expect(ids(hybrid)).toEqual([near]);
    await expect(mem.semantic.recall({ agentId: 'A', embedding: QUERY, minScore: 'high' as unknown as number })).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('getMany returns the memories that exist, in the order asked, each once; more than 1000 ids is VALIDATION', async () => {
    const mem = (await open()).mem;
    const [a, b, c] = await mem.semantic.rememberMany([
      { agentId: 'A', content: 'first' },
      { agentId: 'B', content: 'second' },
      { agentId: 'A', content: 'third' },
    ]) as [string, string, string];
    const absent = '00000000-0000-7000-8000-00000000abcd';
    const got = await mem.semantic.getMany([c, absent, a, c, b]);
    expect(got.map((m) => [m.id, m.content])).toEqual([[c, 'third'], [a, 'first'], [b, 'second']]);
    expect(await mem.semantic.getMany([])).toEqual([]);
    await expect(mem.semantic.getMany(Array.from({ length: 1001 }, () => a))).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('rejects unknown keys in remember, rememberMany and recall, naming them — a typo is never dropped', async () => {
    const mem = (await open()).mem;
    const typo = { agentId: 'A', content: 'typo', metdata: { k: 1 } } as unknown as RememberInput;
    await expect(mem.semantic.remember(typo)).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('metdata') });
    await expect(mem.semantic.rememberMany([{ agentId: 'A', content: 'ok' }, typo])).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('metdata') });
    const recall = { agentId: 'A', text: 'typo', limt: 5 } as unknown as Parameters<typeof mem.semantic.recall>[0];
    await expect(mem.semantic.recall(recall)).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('limt') });
    expect(await countWith(mem, 'typo')).toBe(0);
    expect(await countWith(mem, 'ok')).toBe(0);
  });

  it('keyword score: BM25 (k1 1.2, b 0.75, pivot 256) over the agent\'s own memories, reported as raw / (raw + 1); minScore thresholds it', async () => {
    const mem = (await open()).mem;
    const d1 = await mem.semantic.remember({ agentId: 'A', content: 'alpha beta' });
    const d2 = await mem.semantic.remember({ agentId: 'A', content: 'alpha gamma alpha delta' });
    await mem.semantic.remember({ agentId: 'A', content: 'epsilon' });
    // Hand-computed: N = 3 memories of A, df(alpha) = 2.
    const idf = Math.log(1 + (3 - 2 + 0.5) / (2 + 0.5));
    const w = (tf: number, len: number) => (tf * 2.2) / (tf + 1.2 * (0.25 + (0.75 * len) / 256));
    const expected = (raw: number) => raw / (raw + 1);
    const results = await mem.semantic.recall({ agentId: 'A', text: 'Alpha!', mode: 'keyword', explain: true });
    expect(ids(results)).toEqual([d2, d1]);
    expect(results[0]?.score).toBeCloseTo(expected(idf * w(2, 4)), 5);
    expect(results[1]?.score).toBeCloseTo(expected(idf * w(1, 2)), 5);
    expect(results[1]?.explanation?.keywordScore).toBeCloseTo(results[1]?.score as number, 10);
    expect(results[0]?.explanation?.vectorSearch, 'keyword recall runs no vector search').toBeUndefined();
    // minScore in keyword mode is on that scale.
    const between = ((results[0]?.score as number) + (results[1]?.score as number)) / 2;
    expect(ids(await mem.semantic.recall({ agentId: 'A', text: 'alpha', mode: 'keyword', minScore: between }))).toEqual([d2]);
    expect(await mem.semantic.recall({ agentId: 'A', text: 'alpha', mode: 'keyword', minScore: 0.999 })).toEqual([]);
  });

  it("keyword statistics are per agent: another agent's memories never change an agent's keyword scores", async () => {
    const mem = (await open()).mem;
    await mem.semantic.rememberMany([
      { agentId: 'A', content: 'the harbour pilot boards at dawn' },
      { agentId: 'A', content: 'pilot notes: harbour fees and tides' },
      { agentId: 'A', content: 'unrelated grocery list' },
      { agentId: 'B', content: 'the pilot episode' },
    ]);
    const scores = async () => (await mem.semantic.recall({ agentId: 'A', text: 'pilot harbour', mode: 'keyword', explain: true })).map((r) => [r.memory.id, r.score, r.explanation?.keywordScore]);
    const before = await scores();
    expect(before).toHaveLength(2);
    const allScores = async () => (await mem.semantic.recall({ allAgents: true, text: 'pilot harbour', mode: 'keyword', limit: 100 })).map((r) => [r.memory.id, r.score]);
    const allBefore = await allScores();
    const added = await mem.semantic.rememberMany(Array.from({ length: 40 }, (_, i) => ({ agentId: 'B', content: `pilot ${i} harbour pilot` })));
    expect(await scores()).toEqual(before);
    // allAgents recall uses every agent's statistics: the word is now common, the score lower.
    const all = await mem.semantic.recall({ allAgents: true, text: 'pilot harbour', mode: 'keyword', limit: 100 });
    expect(all).toHaveLength(43);
    const aFirst = all.find((r) => r.memory.agentId === 'A') as RecalledMemory;
    expect(aFirst.score).toBeLessThan(Math.max(...before.map((b) => b[1] as number)));
    // Forgetting them removes them from the statistics too: everyone's scores are back.
    for (const id of added) await mem.semantic.forget(id);
    expect(await allScores()).toEqual(allBefore);
  });

  it('keyword recall finds text written without spaces: a CJK substring query finds its memory', async () => {
    const mem = (await open()).mem;
    const tokyo = await mem.semantic.remember({ agentId: 'A', content: '東京タワーに行きました' });
    const osaka = await mem.semantic.remember({ agentId: 'A', content: '大阪城を見ました' });
    await mem.semantic.remember({ agentId: 'A', content: 'an English sentence' });
    expect(ids(await mem.semantic.recall({ agentId: 'A', text: '東京', mode: 'keyword' }))).toEqual([tokyo]);
    expect(ids(await mem.semantic.recall({ agentId: 'A', text: 'タワー', mode: 'keyword' }))).toEqual([tokyo]);
    expect(ids(await mem.semantic.recall({ agentId: 'A', text: '大阪城', mode: 'keyword' }))).toEqual([osaka]);
    expect(ids(await mem.semantic.recall({ agentId: 'A', text: '北京', mode: 'keyword' }))).toEqual([]);
  });

  it('keyword ranking uses the first 64 distinct words of the text: a 64 KiB query works, words past the bound are ignored', async () => {
    const mem = (await open()).mem;
    const zebra = await mem.semantic.remember({ agentId: 'A', content: 'zebra crossing at night' });
    const filler = (from: number, count: number) => Array.from({ length: count }, (_, i) => `w${(from + i).toString(36)}`).join(' ');
    const long = `zebra ${filler(0, 11_000)}`;
    expect(Buffer.byteLength(long)).toBeGreaterThan(50_000);
    expect(ids(await mem.semantic.recall({ agentId: 'A', text: long, mode: 'keyword' }))).toEqual([zebra]);
    // Repeats count once: 63 distinct fillers, then "zebra" as the 64th distinct word, is kept.
    expect(ids(await mem.semantic.recall({ agentId: 'A', text: `${filler(0, 63)} ${filler(0, 63)} ZEBRA`, mode: 'keyword' }))).toEqual([zebra]);
    expect(await mem.semantic.recall({ agentId: 'A', text: `${filler(0, 64)} zebra`, mode: 'keyword' })).toEqual([]);
  });

  it('keyword recall finds the best matches of a filtered minority hidden behind many better global matches', async () => {
    const mem = (await open()).mem;
    // Agent A's short documents outrank everything of B's for "apple"; B's must still be found, in order.
    await mem.semantic.rememberMany(Array.from({ length: 60 }, (_, i) => ({ agentId: 'A', content: `apple apple ${i}` })));
    const b1 = await mem.semantic.remember({ agentId: 'B', content: 'apple pie recipe with cinnamon and a long list of other ingredients' });
    const b2 = await mem.semantic.remember({ agentId: 'B', content: 'apple orchard visit notes, plus many more words about the weather that day and the drive home' });
    await mem.semantic.remember({ agentId: 'B', content: 'banana bread' });
    expect(ids(await mem.semantic.recall({ agentId: 'B', text: 'apple', limit: 5 }))).toEqual([b1, b2]);
    expect(ids(await mem.semantic.recall({ agentId: 'B', text: 'apple', limit: 1 }))).toEqual([b1]);
    const scoped = await mem.semantic.remember({ agentId: 'A', content: 'apple in another scope', scope: 'rare' });
    expect(ids(await mem.semantic.recall({ agentId: 'A', text: 'apple', filter: { scope: 'rare' } }))).toEqual([scoped]);
  });

  it('hybrid is the default with text and a vector, and fuses both signals', async () => {
    const mem = (await open()).mem;
    const both = await mem.semantic.remember({ agentId: 'A', content: 'the lighthouse keeper', embedding: planar(0.1) });
    const vectorOnly = await mem.semantic.remember({ agentId: 'A', content: 'a quiet harbour', embedding: planar(0.05) });
    const keywordOnly = await mem.semantic.remember({ agentId: 'A', content: 'lighthouse history notes' });
    const results = await mem.semantic.recall({ agentId: 'A', text: 'lighthouse', embedding: QUERY, explain: true });
    const byId = new Map(results.map((r) => [r.memory.id, r]));
    expect(byId.get(both)?.matchedBy).toBe('hybrid');
    expect(byId.get(vectorOnly)?.matchedBy).toBe('vector');
    expect(byId.get(keywordOnly)?.matchedBy).toBe('keyword');
    expect(results[0]?.memory.id).toBe(both); // found by both signals: highest fused score
    expect(byId.get(both)?.explanation).toMatchObject({ vectorRank: 2, keywordRank: expect.any(Number), rrfK: 60 });
    expect(byId.get(both)?.score).toBeCloseTo(1 / (60 + 2) + 1 / (60 + (byId.get(both)?.explanation?.keywordRank as number)), 10);
    expect(byId.get(keywordOnly)?.explanation?.vectorRank).toBeUndefined();
    expect(results.map((r) => r.explanation?.vectorSearch)).toEqual(results.map(() => mem.info.capabilities.semantic.vectorSearch));
    // explain carries each signal's own score: the cosine, and the keyword score keyword mode reports.
    expect(byId.get(both)?.explanation?.vectorSimilarity).toBeCloseTo(Math.cos(0.1), 5);
    const keywordMode = await mem.semantic.recall({ agentId: 'A', text: 'lighthouse', mode: 'keyword' });
    for (const id of [both, keywordOnly]) {
      const score = keywordMode.find((r) => r.memory.id === id)?.score as number;
      expect(score).toBeGreaterThan(0);
      expect(score).toBeLessThan(1);
      expect(byId.get(id)?.explanation?.keywordScore).toBeCloseTo(score, 5);
    }
    // An explicit mode wins over the default.
    const vector = await mem.semantic.recall({ agentId: 'A', text: 'lighthouse', embedding: QUERY, mode: 'vector' });
    expect(ids(vector)).toEqual([vectorOnly, both]);
  });

  it('with the offline hash embedder, text alone gives hybrid recall', async () => {
    const mem = (await open({ config: { embeddingProvider: 'hash', embeddingDimensions: 64 } })).mem;
    const target = await mem.semantic.remember({ agentId: 'A', content: 'the red bicycle is in the garage' });
    await mem.semantic.remember({ agentId: 'A', content: 'stock prices fell sharply today' });
    const results = await mem.semantic.recall({ agentId: 'A', text: 'red bicycle', explain: true });
    expect(results[0]?.memory.id).toBe(target);
    expect(results[0]?.matchedBy).toBe('hybrid');
    expect(results[0]?.explanation?.rrfK).toBe(60);
    expect((await mem.semantic.get(target))?.embedding?.length).toBe(64);
  });

  it('honours every filter field in vector, keyword and hybrid recall', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    const sources: MemorySource[] = ['observation', 'document', 'conversation'];
    const quoteKey = 'say "hi"';
    const slashKey = 'back\\slash';
    const docs: (RememberInput & { id: string; createdAt: number })[] = [];
    for (let i = 0; i < 12; i++) {
      const metadata: Record<string, string | number | boolean | null> = { [quoteKey]: i % 2 === 0 ? 'yes' : 'no', n: i % 3, flag: i % 4 === 0 };
      if (i % 5 === 0) metadata[slashKey] = 'v';
      if (i % 3 === 1) metadata['maybe'] = null;
      const input = {
        agentId: 'A',
        content: `alpha entry ${i}`,
        source: sources[i % 3] as MemorySource,
        scope: i % 2 === 0 ? 'episodic' : 'semantic',
        confidence: [0.2, 0.5, 0.9][i % 3] as number,
        metadata,
        embedding: planar(0.05 * (i + 1)),
      };
      const id = await mem.semantic.remember(input);
      // Another agent holds identical memories: never returned for A.
      await mem.semantic.remember({ ...input, agentId: 'B' });
      docs.push({ ...input, id, createdAt: clock.now });
      clock.advance(1000);
    }
    const t = (i: number) => (docs[i] as { createdAt: number }).createdAt;
    const filters: MemoryFilter[] = [
      {},
      { source: 'document' },
      { scope: 'semantic' },
      { minConfidence: 0.5 },
      { minConfidence: 0.95 },
      { after: t(3) },
      { before: t(8) },
      { after: t(2), before: t(9) },
      { metadata: { [quoteKey]: 'yes' } },
      { metadata: { n: 1 } },
      { metadata: { flag: true } },
      { metadata: { [slashKey]: 'v' } },
      { metadata: { maybe: null } },
      { metadata: { absent: 'x' } },
      { metadata: { n: '1' } },
      { source: 'conversation', scope: 'episodic', minConfidence: 0.8, metadata: { [quoteKey]: 'yes', n: 2 } },
      { scope: 'episodic', after: t(1), metadata: { flag: true } },
    ];
    filters.push(
      { where: { createdAt: { $lt: 1e20 }, confidence: { $gt: -1e300 } } },
      { where: { createdAt: { $gt: -1e20, $lte: t(5) + 0.5 }, 'metadata.n': { $in: [1, '2', true] } } },
      { scope: 'episodic', where: { $or: [{ 'metadata.flag': true }, { $not: { 'metadata.n': { $gte: 1 } } }] } },
    );
    // The reference evaluator defines the meaning (a legacy null = the key has no value: missing, null or []).
    const matches = (d: (typeof docs)[number], f: MemoryFilter): boolean =>
      matchesFilter(filterAst(f), { ...d, source: d.source as MemorySource, scope: d.scope as string, confidence: d.confidence as number, metadata: d.metadata ?? {} });
    for (const filter of filters) {
      const expected = docs.filter((d) => matches(d, filter)).map((d) => d.id);
      for (const mode of ['vector', 'keyword', 'hybrid'] as RecallMode[]) {
        const results = await mem.semantic.recall({ agentId: 'A', text: 'alpha', embedding: QUERY, mode, filter, limit: 100 });
        const got = ids(results);
        if (mode === 'vector') expect(got, `${mode} ${JSON.stringify(filter)}`).toEqual(expected); // nearest first = insertion order
        else expect(new Set(got), `${mode} ${JSON.stringify(filter)}`).toEqual(new Set(expected));
        expect(got).toHaveLength(expected.length);
      }
    }
    // Sanity: the matrix exercised non-trivial subsets.
    expect(docs.filter((d) => matches(d, { metadata: { [quoteKey]: 'yes' } }))).toHaveLength(6);
    expect(docs.filter((d) => matches(d, { metadata: { maybe: null } }))).toHaveLength(12); // absent or null everywhere
    expect(docs.filter((d) => matches(d, { metadata: { [slashKey]: null } }))).toHaveLength(9);
  });

  it('isolates agents; allAgents sees everyone; recall must name an agent', async () => {
    const mem = (await open()).mem;
    const a = await mem.semantic.remember({ agentId: 'A', content: 'shared secret words', embedding: planar(0.1) });
    const b = await mem.semantic.remember({ agentId: 'B', content: 'shared secret words', embedding: planar(0.1) });
    for (const mode of ['vector', 'keyword', 'hybrid'] as RecallMode[]) {
      expect(ids(await mem.semantic.recall({ agentId: 'B', text: 'secret', embedding: QUERY, mode }))).toEqual([b]);
      expect(ids(await mem.semantic.recall({ agentId: 'A', text: 'secret', embedding: QUERY, mode }))).toEqual([a]);
      expect(new Set(ids(await mem.semantic.recall({ allAgents: true, text: 'secret', embedding: QUERY, mode })))).toEqual(new Set([a, b]));
      expect(await mem.semantic.recall({ agentId: 'C', text: 'secret', embedding: QUERY, mode })).toEqual([]);
    }
    await expect(mem.semantic.recall({ text: 'secret' } as never)).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.semantic.recall({ agentId: 'A', allAgents: true, text: 'secret' } as never)).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.recall({ text: 'secret' } as never)).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('rejects bad input with VALIDATION and writes nothing', async () => {
    const mem = (await open()).mem;
    await mem.semantic.remember({ agentId: 'A', content: 'baseline zebra', embedding: planar(0) });
    const bad: RememberInput[] = [
      { agentId: 'A', content: 'zebra wrong dimension', embedding: [1, 2, 3] },
      { agentId: 'A', content: 'zebra nan', embedding: [Number.NaN, 0, 0, 0, 0, 0, 0, 1] },
      { agentId: 'A', content: 'zebra infinite', embedding: [Infinity, 0, 0, 0, 0, 0, 0, 1] },
      { agentId: 'A', content: 'zebra zero vector', embedding: new Array(DIM).fill(0) },
      { agentId: 'A', content: `zebra ${'x'.repeat(262_144)}` },
      { agentId: 'A', content: 'zebra bad source', source: 'rumour' as MemorySource },
      { agentId: 'A', content: 'zebra bad confidence', confidence: 1.5 },
      { agentId: 'A', content: '' },
      { agentId: '', content: 'zebra no agent' },
      { agentId: 'A', content: 'zebra bad metadata', metadata: [] as never },
      { agentId: 'A', content: 'zebra long scope', scope: 's'.repeat(129) },
    ];
    for (const input of bad) {
      await expect(mem.semantic.remember(input), JSON.stringify(input).slice(0, 80)).rejects.toMatchObject({ code: 'VALIDATION' });
      await expect(mem.remember(input)).rejects.toMatchObject({ code: 'VALIDATION' });
    }
    expect(await countWith(mem, 'zebra')).toBe(1);
    // Only the baseline memory was audited.
    expect((await mem.audit.entries({})).map((e) => e.action)).toEqual(['memory.remember']);

    for (const limit of [0, 1001, 1.5, -1, Number.NaN]) {
      await expect(mem.semantic.recall({ agentId: 'A', text: 'zebra', limit })).rejects.toMatchObject({ code: 'VALIDATION' });
    }
    const badQueries = [
      { agentId: 'A', embedding: [1, 2, 3] },
      { agentId: 'A', embedding: [Number.NaN, 0, 0, 0, 0, 0, 0, 1] },
      { agentId: 'A', text: 'zebra', filter: { source: 'rumour' } },
      { agentId: 'A', text: 'zebra', filter: { unknownField: 1 } },
      { agentId: 'A', text: 'zebra', filter: { minConfidence: 2 } },
      { agentId: 'A', text: 'zebra', filter: { after: 1.5 } },
      { agentId: 'A', text: 'zebra', filter: { metadata: { k: { nested: true } } } },
      { agentId: 'A', text: 'zebra', mode: 'fuzzy' },
      { agentId: 'A', mode: 'keyword' },
      { agentId: 'A', text: 'zebra', mode: 'vector' }, // no embedder, no vector
    ];
    for (const query of badQueries) {
      await expect(mem.semantic.recall(query as never), JSON.stringify(query)).rejects.toMatchObject({ code: 'VALIDATION' });
    }
  });

  it('stores and recalls content up to the size limit on every backend', async () => {
    const mem = (await open()).mem;
    const big = `needle ${'lorem ipsum dolor sit amet '.repeat(9_000)}`.slice(0, 240_000);
    const id = await mem.remember({ agentId: 'A', content: big, embedding: planar(0.1) });
    const twin = await mem.remember({ agentId: 'A', content: big, embedding: planar(0.2) });
    expect((await mem.semantic.get(id))?.content).toBe(big);
    expect(ids(await mem.semantic.recall({ agentId: 'A', text: 'needle', mode: 'keyword' })).sort()).toEqual([id, twin].sort());
    expect((await mem.consolidate()).merged).toBe(1);
  });

  it('rememberMany is all or nothing and returns ids in input order', async () => {
    const mem = (await open()).mem;
    const good = (i: number): RememberInput => ({ agentId: 'A', content: `okapi batch ${i}`, embedding: planar(0.1 * (i + 1)) });
    await expect(mem.semantic.rememberMany([good(0), { ...good(1), source: 'bogus' as MemorySource }, good(2)])).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.semantic.rememberMany([good(0), good(1), { ...good(2), embedding: [1, 2] }])).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.semantic.rememberMany([good(0), { ...good(1), embedding: [1, 0, 0, 0, 0, 0, 0, Number.NaN] }])).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(await countWith(mem, 'okapi')).toBe(0);
    expect(await mem.semantic.rememberMany([])).toEqual([]);
    const created = await mem.semantic.rememberMany([good(0), good(1), good(2)]);
    expect(created).toHaveLength(3);
    for (const [i, id] of created.entries()) expect((await mem.semantic.get(id))?.content).toBe(`okapi batch ${i}`);
    expect(ids(await mem.semantic.recall({ agentId: 'A', embedding: QUERY }))).toEqual(created);
  });

  it('keeps memories and the fixed dimension across a restart', async () => {
    const inst = await open();
    const id = await inst.mem.semantic.remember({ agentId: 'A', content: 'persistent walrus', metadata: { k: 'v' }, embedding: planar(0.2) });
    await inst.reopen();
    const mem = inst.mem;
    expect(await mem.semantic.get(id)).toMatchObject({ id, content: 'persistent walrus', metadata: { k: 'v' } });
    expect(ids(await mem.semantic.recall({ agentId: 'A', embedding: QUERY }))).toEqual([id]);
    expect(ids(await mem.semantic.recall({ agentId: 'A', text: 'walrus' }))).toEqual([id]);
    await expect(mem.semantic.remember({ agentId: 'A', content: 'walrus other size', embedding: [1, 2, 3, 4] })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.semantic.recall({ agentId: 'A', embedding: [1, 2, 3, 4] })).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(mem.info.embedding.dimensions).toBe(DIM);
  });

  it('refuses to open with an embedder or dimension that does not match the stored vectors', async () => {
    const inst = await open({ config: { embeddingProvider: 'hash', embeddingDimensions: 16 } });
    await inst.mem.semantic.remember({ agentId: 'A', content: 'embedded by hash' });
    await expect(inst.reopen({ config: { embeddingProvider: 'hash', embeddingDimensions: 32 } })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(inst.reopen({ config: { embeddingProvider: 'none', embeddingDimensions: 8 } })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    // The original configuration still opens, with the data intact.
    await inst.reopen({ config: { embeddingProvider: 'hash', embeddingDimensions: 16 } });
    expect(await countWith(inst.mem, 'hash')).toBe(1);

    const caller = await open();
    await caller.mem.semantic.remember({ agentId: 'A', content: 'caller vector', embedding: planar(0) });
    await expect(caller.reopen({ config: { embeddingProvider: 'hash', embeddingDimensions: 64 } })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('forget removes a memory from vector and keyword recall', async () => {
    const mem = (await open()).mem;
    const gone = await mem.semantic.remember({ agentId: 'A', content: 'forgettable heron', embedding: planar(0.01) });
    const kept = await mem.semantic.remember({ agentId: 'A', content: 'memorable heron', embedding: planar(0.5) });
    expect(ids(await mem.semantic.recall({ agentId: 'A', embedding: QUERY }))).toEqual([gone, kept]);
    expect(await mem.semantic.forget(gone)).toBe(true);
    expect(await mem.semantic.get(gone)).toBeUndefined();
    expect(ids(await mem.semantic.recall({ agentId: 'A', embedding: QUERY }))).toEqual([kept]);
    expect(ids(await mem.semantic.recall({ agentId: 'A', text: 'heron' }))).toEqual([kept]);
    expect(ids(await mem.semantic.recall({ agentId: 'A', text: 'forgettable' }))).toEqual([]);
    expect(await mem.semantic.forget(gone)).toBe(false);
    expect(await mem.semantic.forget('never-existed')).toBe(false);
    // The facade forgets too.
    expect(await mem.forget(kept)).toBe(true);
    expect(await countWith(mem, 'heron')).toBe(0);
  });

  it('updateEmbedding changes the ranking; unknown id is NOT_FOUND', async () => {
    const mem = (await open()).mem;
    const a = await mem.semantic.remember({ agentId: 'A', content: 'first', embedding: planar(0.1) });
    const b = await mem.semantic.remember({ agentId: 'A', content: 'second', embedding: planar(0.6) });
    const c = await mem.semantic.remember({ agentId: 'A', content: 'third without vector' });
    expect(ids(await mem.semantic.recall({ agentId: 'A', embedding: QUERY }))).toEqual([a, b]);
    await mem.semantic.updateEmbedding(b, planar(0.01));
    expect(ids(await mem.semantic.recall({ agentId: 'A', embedding: QUERY }))).toEqual([b, a]);
    expect((await mem.semantic.get(b))?.embedding?.[0]).toBeCloseTo(Math.cos(0.01), 6);
    // A memory stored without a vector gains one.
    await mem.semantic.updateEmbedding(c, [10, 0, 0, 0, 0, 0, 0, 0]);
    expect(ids(await mem.semantic.recall({ agentId: 'A', embedding: QUERY }))[0]).toBe(c);
    expect((await mem.semantic.get(c))?.embedding?.[0]).toBeCloseTo(1, 6);
    await expect(mem.semantic.updateEmbedding('no-such-id', planar(0))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(mem.semantic.updateEmbedding(a, [1, 2])).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.semantic.updateEmbedding(a, [Number.NaN, 0, 0, 0, 0, 0, 0, 0])).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(ids(await mem.semantic.recall({ agentId: 'A', embedding: QUERY }))).toEqual([c, b, a]);
  });

  it('updateEmbedding on a store without vectors fixes the dimension; unknown id is NOT_FOUND first', async () => {
    const mem = (await open()).mem;
    await expect(mem.semantic.updateEmbedding('no-such-id', [1, 0, 0])).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const id = await mem.semantic.remember({ agentId: 'A', content: 'plain text only' });
    await mem.semantic.updateEmbedding(id, [0, 1, 0]);
    expect(ids(await mem.semantic.recall({ agentId: 'A', embedding: [0, 1, 0] }))).toEqual([id]);
    await expect(mem.semantic.remember({ agentId: 'A', content: 'x', embedding: planar(0) })).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('recall bumps access counts and times (visible through get)', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    const hit = await mem.semantic.remember({ agentId: 'A', content: 'recalled often', embedding: planar(0) });
    const miss = await mem.semantic.remember({ agentId: 'A', content: 'never matched' });
    const created = clock.now;
    clock.advance(5000);
    await mem.semantic.recall({ agentId: 'A', text: 'recalled' });
    clock.advance(5000);
    await mem.semantic.recall({ agentId: 'A', embedding: QUERY, mode: 'vector' });
    const record = await mem.semantic.get(hit);
    expect(record?.accessCount).toBe(2);
    expect(record?.accessedAt).toBeGreaterThan(created);
    expect(record?.accessedAt).toBeLessThanOrEqual(clock.now);
    expect(await mem.semantic.get(miss)).toMatchObject({ accessCount: 0, accessedAt: created });
  });

  it('list and count: filters, agent scope, both orders, keyset pages, merged memories left out', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    const made: string[] = [];
    for (let i = 0; i < 23; i++) {
      // Batches of 4 share one createdAt: ties are broken by id.
      if (i % 4 === 0) clock.advance(1000);
      made.push(await mem.semantic.remember({ agentId: 'A', content: `listed ${i}`, scope: i % 2 === 0 ? 'even' : 'odd', metadata: { i, tag: i % 3 === 0 ? ['t', 'u'] : 'v' } }));
    }
    await mem.semantic.remember({ agentId: 'B', content: 'other agent', scope: 'even' });
    // A duplicate merged into its twin by consolidation: recall never returns it, nor do list and count.
    const twin = await mem.semantic.remember({ agentId: 'A', content: 'listed 0', scope: 'even', metadata: { i: 0, tag: ['t', 'u'] } });
    expect((await mem.consolidate()).merged).toBe(1);
    expect((await mem.semantic.get(twin))?.supersededBy).toBe(made[0]);

    expect(await mem.semantic.count({ agentId: 'A' })).toBe(23);
    expect(await mem.semantic.count({ allAgents: true })).toBe(24);
    expect(await mem.semantic.count({ agentId: 'A', filter: { scope: 'even' } })).toBe(12);
    expect(await mem.semantic.count({ agentId: 'A', filter: { where: { 'metadata.tag': 't' } } })).toBe(8);
    expect(await mem.semantic.count({ agentId: 'A', filter: { scope: 'odd', where: { $or: [{ 'metadata.i': { $lt: 4 } }, { 'metadata.tag': 'u' }] } } })).toBe(5);
    expect(await mem.semantic.count({ agentId: 'nobody' })).toBe(0);

    // The agents found from the data (merged memories left out): most first, then by agentId.
    await mem.semantic.remember({ agentId: 'C', content: 'third agent 1' });
    await mem.semantic.remember({ agentId: 'C', content: 'third agent 2' });
    await mem.semantic.remember({ agentId: '0-first-by-name', content: 'ties go by agentId' });
    expect(await mem.semantic.countByAgent()).toEqual([
      { agentId: 'A', count: 23 },
      { agentId: 'C', count: 2 },
      { agentId: '0-first-by-name', count: 1 },
      { agentId: 'B', count: 1 },
    ]);
    expect(await mem.semantic.countByAgent({ limit: 2 })).toEqual([{ agentId: 'A', count: 23 }, { agentId: 'C', count: 2 }]);
    await expect(mem.semantic.countByAgent({ limit: 0 })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.semantic.countByAgent({ limt: 2 } as never)).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringMatching(/limt/) });
    await mem.semantic.forget(await mem.semantic.remember({ agentId: 'D', content: 'gone' }));
    expect((await mem.semantic.countByAgent()).map((a) => a.agentId)).not.toContain('D');

    const all = await Promise.all(made.map(async (id) => (await mem.semantic.get(id)) as MemoryRecord));
    for (const order of ['asc', 'desc'] as const) {
      const expected = [...all].sort(byCreated(order)).map((r) => r.id);
      const orderBy = order === 'asc' ? 'createdAt' : '-createdAt';
      const paged = await listAll(mem, { agentId: 'A', orderBy, limit: 3 });
      expect(paged.map((r) => r.id), order).toEqual(expected);
      const whole = await mem.semantic.list({ agentId: 'A', orderBy, limit: 1000 });
      expect(whole.nextCursor).toBeUndefined();
      expect(whole.items.map((r) => r.id)).toEqual(expected);
    }
    // Default: newest first, 50 per page; the records are whole.
    const first = await mem.semantic.list({ agentId: 'A', filter: { scope: 'odd' } });
    expect(first.items.map((r) => r.id)).toEqual(all.filter((r) => r.scope === 'odd').sort(byCreated('desc')).map((r) => r.id));
    expect(first.items[0]).toMatchObject({ agentId: 'A', scope: 'odd', source: 'observation', confidence: 1 });
    expect(first.items[0]?.embedding).toBeUndefined();
    // An exact page: no cursor when nothing follows... or a cursor leading to an empty page; never a repeat.
    const exact = await mem.semantic.list({ agentId: 'A', limit: 23 });
    expect(exact.items).toHaveLength(23);
    if (exact.nextCursor !== undefined) expect((await mem.semantic.list({ agentId: 'A', limit: 23, cursor: exact.nextCursor })).items).toEqual([]);
    const everyone = await listAll(mem, { allAgents: true, limit: 5, filter: { scope: 'even' } });
    expect(everyone).toHaveLength(13);
    expect(new Set(everyone.map((r) => r.agentId))).toEqual(new Set(['A', 'B']));
  });

  it('list and count validate their input: unknown keys, agent, limit, orderBy, tampered cursors are VALIDATION', async () => {
    const mem = (await open()).mem;
    await mem.semantic.rememberMany(Array.from({ length: 5 }, (_, i) => ({ agentId: 'A', content: `v ${i}` })));
    const page = await mem.semantic.list({ agentId: 'A', limit: 2 });
    const cursor = page.nextCursor as string;
    expect(typeof cursor).toBe('string');
    const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
    const forge = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
    const bad: unknown[] = [
      { agentId: 'A', limit: 0 },
      { agentId: 'A', limit: 1001 },
      { agentId: 'A', limit: 2.5 },
      { agentId: 'A', orderBy: 'created' },
      { agentId: 'A', orderBy: '-id' },
      { agentId: 'A', sort: 'createdAt' },
      { agentId: 'A', cursor: 'not a cursor!' },
      { agentId: 'A', cursor: `${cursor}x` },
      { agentId: 'A', cursor: cursor.slice(0, -3) },
      { agentId: 'A', cursor: forge(['-createdAt', 'soon', 'id']) },
      { agentId: 'A', cursor: forge({ createdAt: 1, id: 'x' }) },
      { agentId: 'A', cursor: forge(JSON.parse(decoded).map((x: unknown, i: number) => (i === 0 ? 'createdAt' : x))) },
      { agentId: 'A', cursor: forge(JSON.parse(decoded).map((x: unknown, i: number) => (i === 1 ? -1 : x))) },
      // A cursor continues the listing it came from: not another order, agent or filter.
      { agentId: 'A', orderBy: 'createdAt', cursor },
      { agentId: 'B', cursor },
      { allAgents: true, cursor },
      { agentId: 'A', filter: { scope: 'episodic' }, cursor },
      { agentId: 'A', cursor: 42 },
      { agentId: 'A', filter: { where: { 'metadata.x': { $gtt: 1 } } } },
      { agentId: 'A', filter: { colour: 'blue' } },
      { agentId: 'A', allAgents: true },
      { limit: 3 },
    ];
    for (const query of bad) {
      await expect(mem.semantic.list(query as ListQuery), JSON.stringify(query)).rejects.toMatchObject({ code: 'VALIDATION' });
    }
    // The cursor works with the same query (the limit may change).
    expect((await mem.semantic.list({ agentId: 'A', limit: 10, cursor })).items).toHaveLength(3);
    for (const query of [{ agentId: 'A', limit: 3 }, { agentId: 'A', filter: { where: { $and: [] } } }, {}, { allAgents: true, agentId: 'A' }]) {
      await expect(mem.semantic.count(query as never), JSON.stringify(query)).rejects.toMatchObject({ code: 'VALIDATION' });
    }
    await expect(mem.semantic.list({ agentId: 'A', filter: { where: { 'metadata.x': { $gtt: 1 } as never } } })).rejects.toThrow("filter.where['metadata.x'].$gtt: unknown operator");
  });

  it('paging while others insert: every memory there at the start is listed once, none repeated', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    const initial: string[] = [];
    for (let b = 0; b < 8; b++) {
      clock.advance(10);
      // Batches of 12 share a createdAt: tie groups larger than a page.
      initial.push(...(await mem.semantic.rememberMany(Array.from({ length: 12 }, (_, i) => ({ agentId: 'A', content: `p ${b} ${i}`, metadata: { keep: i % 4 !== 0 } })))));
    }
    for (const orderBy of ['createdAt', '-createdAt'] as const) {
      for (const filter of [undefined, { where: { 'metadata.keep': true } }]) {
        const seen: string[] = [];
        let cursor: string | undefined;
        let round = 0;
        do {
          // A page read and new memories written at the same time, some at the instant of the page's rows.
          if (round % 2 === 0) clock.advance(round % 4 === 0 ? 0 : 5);
          const [page] = await Promise.all([
            mem.semantic.list({ agentId: 'A', orderBy, limit: 5, ...(filter ? { filter } : {}), ...(cursor === undefined ? {} : { cursor }) }),
            mem.semantic.rememberMany([{ agentId: 'A', content: `new ${round}`, metadata: { keep: true } }, { agentId: 'A', content: `new2 ${round}`, metadata: { keep: false } }]),
          ]);
          seen.push(...page.items.map((r) => r.id));
          cursor = page.nextCursor;
          round += 1;
        } while (cursor !== undefined && round < 200);
        expect(new Set(seen).size, `${orderBy} ${JSON.stringify(filter)}: no repeats`).toBe(seen.length);
        const wanted = filter ? initial.filter((_, i) => i % 12 % 4 !== 0) : initial;
        const missing = wanted.filter((id) => !seen.includes(id));
        expect(missing, `${orderBy} ${JSON.stringify(filter)}: none skipped`).toEqual([]);
      }
    }
  }, 120_000);

  it('deleteWhere removes exactly what count counts — vectors, keyword entries and merged twins with them — and nothing else', async () => {
    const { mem } = await open();
    const made: string[] = [];
    for (let i = 0; i < 6; i++) {
      made.push(await mem.semantic.remember({ agentId: 'A', content: `pelican note ${i}`, embedding: [1, i / 10, 0, 0], metadata: { n: i }, scope: i % 2 === 0 ? 'even' : 'odd' }));
    }
    const other = await mem.semantic.remember({ agentId: 'B', content: 'pelican of another agent', embedding: [1, 0, 0, 0], metadata: { n: 5 } });
    // A duplicate of note 4, merged into it: it goes with it.
    const twin = await mem.semantic.remember({ agentId: 'A', content: 'pelican note 4', embedding: [1, 0.4, 0, 0], metadata: { n: 4 }, scope: 'even' });
    expect((await mem.consolidate()).merged).toBe(1);
    expect((await mem.semantic.get(twin))?.supersededBy).toBe(made[4]);

    const query = { agentId: 'A', filter: { where: { 'metadata.n': { $gte: 3 } } } };
    expect(await mem.semantic.count(query)).toBe(3);
    expect(await mem.semantic.deleteWhere(query)).toBe(3);
    expect(await mem.semantic.count(query)).toBe(0);
    for (const id of [made[3], made[4], made[5], twin] as string[]) expect(await mem.semantic.get(id), id).toBeUndefined();
    for (const id of [made[0], made[1], made[2], other] as string[]) expect(await mem.semantic.get(id), id).toBeDefined();
    // Gone from every search too.
    expect(ids(await mem.semantic.recall({ agentId: 'A', embedding: [1, 0.5, 0, 0], mode: 'vector', limit: 100 })).sort()).toEqual([made[0], made[1], made[2]].sort());
    expect(ids(await mem.semantic.recall({ agentId: 'A', text: 'pelican', mode: 'keyword', limit: 100 })).sort()).toEqual([made[0], made[1], made[2]].sort());
    expect(await mem.semantic.deleteWhere(query)).toBe(0);

    // Agent-scoped: B's memory matching the same filter stays; allAgents reaches it.
    expect(await mem.semantic.count({ allAgents: true, filter: { where: { 'metadata.n': 5 } } })).toBe(1);
    expect(await mem.semantic.deleteWhereFor({ allAgents: true, filter: { where: { 'metadata.n': 5 } } })).toEqual([{ id: other, agentId: 'B' }]);
    // Without a filter: all of the agent's memories.
    expect(await mem.semantic.deleteWhere({ agentId: 'A' })).toBe(3);
    expect(await mem.semantic.count({ allAgents: true })).toBe(0);

    await expect(mem.semantic.deleteWhere({} as never)).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.semantic.deleteWhere({ agentId: 'A', filtr: {} } as never)).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringMatching(/filtr/) });
    await expect(mem.semantic.deleteWhere({ agentId: 'A', filter: { where: { 'metadata.n': { $gtt: 1 } as never } } })).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it(`filter property test: ${PROPERTY_FILTERS} random filter expressions select exactly what core's reference evaluator selects in list, count and (every fifth) vector recall`, async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    const next = rng(20261129);
    const createdAt: number[] = [];
    const gen = filterGen(next, createdAt);
    const inputs: RememberInput[] = [];
    for (let i = 0; i < 60; i++) {
      inputs.push({
        agentId: i % 3 === 0 ? 'B' : 'A',
        content: `prop ${i}`,
        source: gen.pick(GEN_SOURCES),
        scope: gen.pick(GEN_SCOPES),
        confidence: gen.pick([0.2, 0.35, 0.5, 0.9, 1]),
        metadata: gen.metadata(),
        embedding: Array.from({ length: DIM }, () => next() * 2 - 1),
      });
    }
    const storedIds: string[] = [];
    for (let i = 0; i < inputs.length; i += 6) {
      clock.advance(gen.int(3) * 500);
      createdAt.push(clock.now);
      storedIds.push(...(await mem.semantic.rememberMany(inputs.slice(i, i + 6))));
    }
    // The reference: the records as stored (numbers as the engine keeps them), judged by core's evaluator.
    const stored = await mem.semantic.getMany(storedIds);
    expect(stored).toHaveLength(60);
    let nonTrivial = 0;
    for (let f = 0; f < PROPERTY_FILTERS; f++) {
      const where = gen.expr();
      const filter: MemoryFilter = { where };
      const agentId = f % 2 === 0 ? 'A' : undefined;
      const ast = filterAst(filter);
      const expected = stored
        .filter((r) => (agentId === undefined || r.agentId === agentId) && matchesFilter(ast, r))
        .map((r) => r.id)
        .sort();
      if (expected.length > 0 && expected.length < (agentId ? 40 : 60)) nonTrivial += 1;
      const selector = agentId === undefined ? { allAgents: true as const } : { agentId };
      const label = `filter #${f} ${agentId ?? 'all'}: ${JSON.stringify(where)}`;
      const page = await mem.semantic.list({ ...selector, filter, limit: 1000 });
      expect(page.items.map((r) => r.id).sort(), label).toEqual(expected);
      expect(await mem.semantic.count({ ...selector, filter }), label).toBe(expected.length);
      if (f % 5 === 0) {
        // Search compiles filters its own way (e.g. inside SQLite's vec0 KNN): the same set again.
        const hits = await mem.semantic.recall({ ...selector, filter, embedding: QUERY, mode: 'vector', limit: 1000 });
        expect(ids(hits).sort(), label).toEqual(expected);
      }
    }
    // The generator exercised real selections, not only everything or nothing.
    expect(nonTrivial).toBeGreaterThan(PROPERTY_FILTERS / 3);
  }, 60_000);
});

/** Natural keys, dedupe and expiry (issue 10), on every cell. */
export const memoryKeysSuite = defineSuite('semantic keys, dedupe and expiry', ({ open }) => {

  it('a key upserts per agent: same id, content/metadata/source/scope/confidence/vector replaced and re-indexed; the result says created or updated', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    const first = await mem.semantic.rememberWithResult({ agentId: 'A', key: 'profile/name', content: 'the name is pelican', embedding: planar(0), metadata: { v: 1 } });
    expect(first).toEqual({ id: first.id, created: true, updated: false });
    clock.advance(10);
    const second = await mem.semantic.rememberWithResult({
      agentId: 'A', key: 'profile/name', content: 'the name is flamingo', embedding: planar(Math.PI / 2), metadata: { v: 2 }, source: 'document', scope: 'facts', confidence: 0.5,
    });
    expect(second).toEqual({ id: first.id, created: false, updated: true });
    const record = (await mem.semantic.get(first.id)) as MemoryRecord;
    expect(record).toMatchObject({ id: first.id, key: 'profile/name', content: 'the name is flamingo', metadata: { v: 2 }, source: 'document', scope: 'facts', confidence: 0.5, createdAt: clock.now - 10 });
    expect(record.embedding?.[1]).toBeCloseTo(1, 6);
    expect(ids(await mem.semantic.recall({ agentId: 'A', text: 'pelican', mode: 'keyword' }))).toEqual([]);
    expect(ids(await mem.semantic.recall({ agentId: 'A', text: 'flamingo', mode: 'keyword' }))).toEqual([first.id]);
    const nearest = await mem.semantic.recall({ agentId: 'A', embedding: planar(Math.PI / 2), mode: 'vector', limit: 5, filter: { scope: 'facts' } });
    expect(ids(nearest)).toEqual([first.id]);
    expect(nearest[0]?.score).toBeCloseTo(1, 5);
    // remember() keeps answering the id; another agent's key is its own; a replace without a vector drops the old one.
    expect(await mem.semantic.remember({ agentId: 'A', key: 'profile/name', content: 'the name is heron' })).toBe(first.id);
    expect((await mem.semantic.get(first.id))?.embedding).toBeUndefined();
    expect(await mem.semantic.recall({ agentId: 'A', embedding: planar(Math.PI / 2), mode: 'vector' })).toEqual([]);
    const other = await mem.semantic.remember({ agentId: 'B', key: 'profile/name', content: 'the name is heron' });
    expect(other).not.toBe(first.id);
    expect((await mem.semantic.rememberMany([
      { agentId: 'A', key: 'profile/name', content: 'the name is stork' },
      { agentId: 'A', key: 'profile/age', content: 'age 3' },
    ]))[0]).toBe(first.id);
    expect(await mem.semantic.count({ agentId: 'A' })).toBe(2);
    expect((await mem.semantic.get(first.id))?.content).toBe('the name is stork');
  });

  it('key validation: 1..256 characters, not with dedupe; a batch naming one (agent, key) twice is VALIDATION and writes nothing', async () => {
    const mem = (await open()).mem;
    for (const bad of ['', 'k'.repeat(257), 7, 'nul\u0000']) {
      await expect(mem.semantic.remember({ agentId: 'A', content: 'x', key: bad as string }), String(bad).slice(0, 10)).rejects.toMatchObject({ code: 'VALIDATION' });
    }
    expect(await mem.semantic.remember({ agentId: 'A', content: 'longest key', key: 'k'.repeat(256) })).toEqual(expect.any(String));
    await expect(mem.semantic.remember({ agentId: 'A', content: 'x', key: 'k', dedupe: 'content' })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.semantic.remember({ agentId: 'A', content: 'x', dedupe: 'yes' as 'content' })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(
      mem.semantic.rememberMany([
        { agentId: 'A', content: 'one twin', key: 'twin' },
        { agentId: 'A', content: 'other twin', key: 'twin' },
      ]),
    ).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('inputs[1].key') });
    expect(await mem.semantic.recall({ agentId: 'A', text: 'twin', mode: 'keyword' })).toEqual([]);
    // The same key for two agents in one batch is fine.
    const both = await mem.semantic.rememberMany([
      { agentId: 'A', content: 'twin a', key: 'twin' },
      { agentId: 'B', content: 'twin b', key: 'twin' },
    ]);
    expect(new Set(both).size).toBe(2);
  });

  it("dedupe: 'content' answers the live twin's id (agent, scope, content) and writes nothing; another scope, agent or content is new", async () => {
    const mem = (await open()).mem;
    const a = await mem.semantic.rememberWithResult({ agentId: 'A', content: 'pelican words', dedupe: 'content' });
    expect(a.created).toBe(true);
    expect(await mem.semantic.rememberWithResult({ agentId: 'A', content: 'pelican words', dedupe: 'content', metadata: { ignored: true } })).toEqual({ id: a.id, created: false, updated: false });
    expect((await mem.semantic.rememberWithResult({ agentId: 'A', content: 'pelican words', scope: 'other', dedupe: 'content' })).created).toBe(true);
    expect((await mem.semantic.rememberWithResult({ agentId: 'B', content: 'pelican words', dedupe: 'content' })).created).toBe(true);
    // Without dedupe a duplicate is made, as before.
    expect((await mem.semantic.rememberWithResult({ agentId: 'A', content: 'pelican words' })).created).toBe(true);
    // In a batch: a dedupe input repeating an earlier input gets its id.
    const batch = await mem.semantic.rememberManyWithResult([
      { agentId: 'C', content: 'batch words' },
      { agentId: 'C', content: 'batch words', dedupe: 'content' },
      { agentId: 'A', content: 'pelican words', dedupe: 'content' },
    ]);
    expect(batch[0]?.created).toBe(true);
    expect(batch[1]).toEqual({ id: batch[0]?.id, created: false, updated: false });
    expect(batch[2]).toEqual({ id: a.id, created: false, updated: false });
    expect((await mem.semantic.recall({ agentId: 'C', text: 'batch', mode: 'keyword' })).length).toBe(1);
    expect((await mem.semantic.recall({ agentId: 'A', text: 'pelican', mode: 'keyword', filter: { scope: 'episodic' } })).length).toBe(2);
  });

  it('an expired memory is invisible to every read at once (recall in every mode, get, getMany, list, count, consolidation); purgeExpired deletes it', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    const brief = await mem.semantic.remember({ agentId: 'A', content: 'ephemeral heron sighting', embedding: planar(0), ttlMs: 1000 });
    const fixed = await mem.semantic.remember({ agentId: 'A', content: 'ephemeral heron sighting', embedding: planar(0.3), expiresAt: clock.now + 5000 });
    const lasting = await mem.semantic.remember({ agentId: 'A', content: 'lasting heron record', embedding: planar(0.5) });
    expect((await mem.semantic.get(brief))?.expiresAt).toBe(clock.now + 1000);
    const everyRead = async (): Promise<string[][]> => [
      ids(await mem.semantic.recall({ agentId: 'A', embedding: QUERY, mode: 'vector', limit: 1 })),
      ids(await mem.semantic.recall({ agentId: 'A', text: 'heron', mode: 'keyword', limit: 10 })).sort(),
      ids(await mem.semantic.recall({ agentId: 'A', text: 'heron', embedding: QUERY, mode: 'hybrid', limit: 10 })).sort(),
      ids(await mem.semantic.recall({ allAgents: true, embedding: QUERY, mode: 'vector', limit: 10, filter: { source: 'observation' } })).sort(),
      (await mem.semantic.getMany([brief, fixed, lasting])).map((r) => r.id).sort(),
    ];
    const before = await everyRead();
    expect(before[0]).toEqual([brief]);
    expect(before[1]).toEqual([brief, fixed, lasting].sort());
    clock.advance(1000); // brief expires exactly now
    const after = await everyRead();
    expect(after[0]).toEqual([fixed]);
    expect(after[1]).toEqual([fixed, lasting].sort());
    expect(after[2]).toEqual([fixed, lasting].sort());
    expect(after[3]).toEqual([fixed, lasting].sort());
    expect(after[4]).toEqual([fixed, lasting].sort());
    expect(await mem.semantic.get(brief)).toBeUndefined();
    expect(await mem.semantic.count({ agentId: 'A' })).toBe(2);
    expect((await listAll(mem, { agentId: 'A', limit: 1 })).map((r) => r.id).sort()).toEqual([fixed, lasting].sort());
    expect((await mem.semantic.countByAgent()).find((a) => a.agentId === 'A')).toEqual({ agentId: 'A', count: 2 });
    // Consolidation never merges memories with an expiry (nor into them), never decays expired
    // ones, and removes them.
    const report = await mem.consolidation.consolidate();
    expect(report.merged).toBe(0);
    clock.advance(8 * DAY);
    const later = await mem.consolidation.consolidate();
    expect(later.decayed).toBe(1); // only the live one
    expect(report.expired + later.expired).toBe(2);
    expect(ids(await mem.semantic.recall({ agentId: 'A', text: 'heron', mode: 'keyword' }))).toEqual([lasting]);
    expect(await mem.semantic.purgeExpired()).toBe(0); // consolidation removed them
    expect(ids(await mem.semantic.recall({ agentId: 'A', embedding: QUERY, mode: 'vector', limit: 10 }))).toEqual([lasting]);
  });

  it('expiry validation: expiresAt in the future or ttlMs 1..100 years, never both; a keyed memory past its expiry is made anew', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    const bad: RememberInput[] = [
      { agentId: 'A', content: 'x', ttlMs: 0 },
      { agentId: 'A', content: 'x', ttlMs: 1.5 },
      { agentId: 'A', content: 'x', ttlMs: 100 * 365 * DAY + 1 },
      { agentId: 'A', content: 'x', expiresAt: clock.now },
      { agentId: 'A', content: 'x', expiresAt: 'soon' as unknown as number },
      { agentId: 'A', content: 'x', expiresAt: clock.now + 10, ttlMs: 10 },
    ];
    for (const input of bad) await expect(mem.semantic.remember(input), JSON.stringify(input)).rejects.toMatchObject({ code: 'VALIDATION' });
    const first = await mem.semantic.rememberWithResult({ agentId: 'A', key: 'session', content: 'short lived', ttlMs: 100 });
    // Replacing before expiry keeps the id and takes the new expiry (none here).
    expect(await mem.semantic.rememberWithResult({ agentId: 'A', key: 'session', content: 'short lived again', ttlMs: 100 })).toEqual({ id: first.id, created: false, updated: true });
    clock.advance(100);
    expect(await mem.semantic.get(first.id)).toBeUndefined();
    const again = await mem.semantic.rememberWithResult({ agentId: 'A', key: 'session', content: 'back again' });
    expect(again.created).toBe(true);
    expect(again.id).not.toBe(first.id);
    clock.advance(DAY);
    expect((await mem.semantic.get(again.id))?.content).toBe('back again');
    expect((await mem.semantic.get(again.id))?.expiresAt).toBeUndefined();
    expect(await mem.semantic.purgeExpired()).toBe(0);
  });
});

export const memoryUpdateSuite = defineSuite('semantic update', ({ open }) => {
  it('update replaces the given fields in place: new words found by keyword recall and the old ones not, metadata filters see the new metadata, id/key/createdAt/access counts kept', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    const id = await mem.semantic.remember({ agentId: 'A', key: 'bird', content: 'the pelican nests by the harbour', embedding: planar(0), metadata: { kind: 'old', keep: 1 }, scope: 'notes' });
    const other = await mem.semantic.remember({ agentId: 'A', content: 'unrelated sparrow', embedding: planar(0.4), scope: 'notes' });
    const created = clock.now;
    clock.advance(1000);
    await mem.semantic.recall({ agentId: 'A', text: 'pelican', mode: 'keyword' });
    await mem.semantic.recall({ agentId: 'A', text: 'pelican', mode: 'keyword' });
    clock.advance(1000);
    const updated = await mem.semantic.update(id, { content: 'the flamingo wades in the lagoon', embedding: planar(Math.PI / 2), metadata: { kind: 'new' }, source: 'document', scope: 'facts', confidence: 0.25 });
    expect(updated).toMatchObject({ id, agentId: 'A', key: 'bird', content: 'the flamingo wades in the lagoon', metadata: { kind: 'new' }, source: 'document', scope: 'facts', confidence: 0.25, createdAt: created, accessCount: 2 });
    expect(updated.embedding?.[1]).toBeCloseTo(1, 6);
    const stored = (await mem.semantic.get(id)) as MemoryRecord;
    expect(stored).toMatchObject({ id, key: 'bird', content: 'the flamingo wades in the lagoon', metadata: { kind: 'new' }, createdAt: created, accessCount: 2, source: 'document', scope: 'facts', confidence: 0.25 });
    expect(stored.metadata).toEqual({ kind: 'new' }); // replaced whole, never merged
    // Keyword recall: the new words find it, the old ones no longer do.
    expect(ids(await mem.semantic.recall({ agentId: 'A', text: 'flamingo lagoon', mode: 'keyword' }))).toEqual([id]);
    expect(ids(await mem.semantic.recall({ agentId: 'A', text: 'pelican harbour', mode: 'keyword' }))).toEqual([]);
    // The vector moved, and the vector index follows the new scope / source / confidence.
    const near = await mem.semantic.recall({ agentId: 'A', embedding: planar(Math.PI / 2), mode: 'vector', limit: 5, filter: { scope: 'facts', source: 'document', minConfidence: 0.2 } });
    expect(ids(near)).toEqual([id]);
    expect(near[0]?.score).toBeCloseTo(1, 5);
    expect(ids(await mem.semantic.recall({ agentId: 'A', embedding: QUERY, mode: 'vector', limit: 5, filter: { scope: 'notes' } }))).toEqual([other]);
    // Metadata filters see the new metadata only.
    expect(await mem.semantic.count({ agentId: 'A', filter: { metadata: { kind: 'new' } } })).toBe(1);
    expect(await mem.semantic.count({ agentId: 'A', filter: { metadata: { kind: 'old' } } })).toBe(0);
    expect(await mem.semantic.count({ agentId: 'A', filter: { where: { 'metadata.keep': { $exists: true } } } })).toBe(0);
    // A partial update keeps everything else, the vector included.
    const partial = await mem.semantic.update(id, { metadata: { kind: 'newer' } });
    expect(partial).toMatchObject({ content: 'the flamingo wades in the lagoon', scope: 'facts', source: 'document', confidence: 0.25, metadata: { kind: 'newer' } });
    expect(partial.embedding?.[1]).toBeCloseTo(1, 6);
    expect(ids(await mem.semantic.recall({ agentId: 'A', embedding: planar(Math.PI / 2), mode: 'vector', limit: 1 }))).toEqual([id]);
    // Scope alone: the vector index follows it.
    await mem.semantic.update(id, { scope: 'moved', confidence: 0.9 });
    expect(ids(await mem.semantic.recall({ agentId: 'A', embedding: planar(Math.PI / 2), mode: 'vector', limit: 5, filter: { scope: 'moved', minConfidence: 0.8 } }))).toEqual([id]);
    expect(await mem.semantic.recall({ agentId: 'A', embedding: planar(Math.PI / 2), mode: 'vector', limit: 5, filter: { scope: 'facts' } })).toEqual([]);
    expect(await mem.semantic.count({ agentId: 'A' })).toBe(2);
    // A content change without an embedder and without an embedding drops the vector.
    const plain = await mem.semantic.update(id, { content: 'the ibis sleeps' });
    expect(plain.embedding).toBeUndefined();
    expect((await mem.semantic.get(id))?.embedding).toBeUndefined();
    expect(ids(await mem.semantic.recall({ agentId: 'A', embedding: planar(Math.PI / 2), mode: 'vector', limit: 5 }))).toEqual([other]);
    expect(ids(await mem.semantic.recall({ agentId: 'A', text: 'ibis', mode: 'keyword' }))).toEqual([id]);
    // The key still names the same memory.
    expect(await mem.semantic.rememberWithResult({ agentId: 'A', key: 'bird', content: 'the heron' })).toEqual({ id, created: false, updated: true });
  });

  it('update re-embeds a new content with the configured embedder; an embedding in the patch wins', async () => {
    const mem = (await open({ config: { embeddingProvider: 'hash', embeddingDimensions: 64 } })).mem;
    const id = await mem.semantic.remember({ agentId: 'A', content: 'stock prices fell sharply today' });
    await mem.semantic.remember({ agentId: 'A', content: 'the weather is mild and grey' });
    const before = (await mem.semantic.get(id))?.embedding as number[];
    const updated = await mem.semantic.update(id, { content: 'the red bicycle is in the garage' });
    expect(updated.embedding).toHaveLength(64);
    expect(updated.embedding).not.toEqual(before);
    const [fresh] = await mem.semantic.recall({ agentId: 'A', text: 'red bicycle garage', mode: 'vector', limit: 1 });
    expect(fresh?.memory.id).toBe(id);
    // The same text remembered anew gets the same vector the update stored.
    const twin = await mem.semantic.remember({ agentId: 'B', content: 'the red bicycle is in the garage' });
    expect(cosine((await mem.semantic.get(twin))?.embedding as number[], updated.embedding as number[])).toBeCloseTo(1, 5);
    const given = Array.from({ length: 64 }, (_, i) => (i === 3 ? 1 : 0));
    const withVector = await mem.semantic.update(id, { content: 'another text entirely', embedding: given });
    expect(withVector.embedding?.[3]).toBeCloseTo(1, 6);
    // Metadata alone keeps the vector (no re-embedding).
    expect((await mem.semantic.update(id, { metadata: { a: 1 } })).embedding?.[3]).toBeCloseTo(1, 6);
  });

  it('update of an unknown, expired or merged memory is NOT_FOUND and changes nothing; expiry can be set, moved and cleared', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    await expect(mem.semantic.update('no-such-id', { content: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(mem.semantic.update('00000000-0000-4000-8000-000000000000', { embedding: planar(0) })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const brief = await mem.semantic.remember({ agentId: 'A', content: 'brief egret', ttlMs: 1000 });
    const keep = await mem.semantic.remember({ agentId: 'A', content: 'kept egret', embedding: planar(0) });
    const twin = await mem.semantic.remember({ agentId: 'A', content: 'kept egret', embedding: planar(0.1) });
    expect((await mem.consolidate()).merged).toBe(1);
    expect((await mem.semantic.get(twin))?.supersededBy).toBe(keep);
    await expect(mem.semantic.update(twin, { content: 'revived twin' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await mem.semantic.get(twin))?.content).toBe('kept egret');
    expect(await mem.semantic.recall({ agentId: 'A', text: 'revived', mode: 'keyword' })).toEqual([]);
    // Expiry moved later, then cleared, then set again with ttlMs.
    expect((await mem.semantic.update(brief, { expiresAt: clock.now + 5000 })).expiresAt).toBe(clock.now + 5000);
    clock.advance(2000);
    expect((await mem.semantic.get(brief))?.content).toBe('brief egret');
    expect((await mem.semantic.update(brief, { expiresAt: null })).expiresAt).toBeUndefined();
    clock.advance(10_000);
    expect((await mem.semantic.get(brief))?.expiresAt).toBeUndefined();
    expect((await mem.semantic.update(brief, { ttlMs: 500 })).expiresAt).toBe(clock.now + 500);
    clock.advance(500);
    await expect(mem.semantic.update(brief, { content: 'too late' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await mem.semantic.recall({ agentId: 'A', text: 'late', mode: 'keyword' })).toEqual([]);
    expect(await mem.semantic.purgeExpired()).toBe(1);
  });

  it('update validation: at least one field, unknown keys named, each field as remember checks it; nothing changes', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    const id = await mem.semantic.remember({ agentId: 'A', content: 'steady crane', embedding: planar(0), metadata: { v: 1 } });
    await expect(mem.semantic.update(id, {})).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.semantic.update(id, { contnet: 'typo' } as unknown as MemoryPatch)).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('contnet') });
    await expect(mem.semantic.update(id, { agentId: 'B' } as unknown as MemoryPatch)).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('agentId') });
    await expect(mem.semantic.update(id, { key: 'k' } as unknown as MemoryPatch)).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('key') });
    await expect(mem.semantic.update('', { content: 'x' })).rejects.toMatchObject({ code: 'VALIDATION' });
    const bad: MemoryPatch[] = [
      { content: '' },
      { content: 'x'.repeat(262_145) },
      { content: 7 as unknown as string },
      { source: 'rumour' as MemorySource },
      { scope: '' },
      { metadata: [] as unknown as MemoryPatch['metadata'] },
      { metadata: 'x' as unknown as MemoryPatch['metadata'] },
      { confidence: 1.5 },
      { confidence: -0.1 },
      { embedding: [1, 2] },
      { embedding: [Number.NaN, 0, 0, 0, 0, 0, 0, 0] },
      { expiresAt: clock.now },
      { ttlMs: 0 },
      { ttlMs: 100 * 365 * DAY + 1 },
      { expiresAt: clock.now + 10, ttlMs: 10 },
      { content: 'fine', confidence: 2 },
    ];
    for (const patch of bad) await expect(mem.semantic.update(id, patch), JSON.stringify(patch).slice(0, 60)).rejects.toMatchObject({ code: 'VALIDATION' });
    const record = (await mem.semantic.get(id)) as MemoryRecord;
    expect(record).toMatchObject({ content: 'steady crane', metadata: { v: 1 }, confidence: 1, scope: 'episodic', source: 'observation' });
    expect(record.expiresAt).toBeUndefined();
    expect(record.embedding?.[0]).toBeCloseTo(1, 6);
    expect(ids(await mem.semantic.recall({ agentId: 'A', text: 'fine', mode: 'keyword' }))).toEqual([]);
  });

  it('update on a store without vectors: an embedding fixes the dimension (unknown id NOT_FOUND first)', async () => {
    const mem = (await open()).mem;
    const id = await mem.semantic.remember({ agentId: 'A', content: 'only words here' });
    await expect(mem.semantic.update('no-such-id', { embedding: [1, 0, 0] })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await mem.semantic.update(id, { embedding: [0, 2, 0], content: 'words and a vector' })).embedding).toEqual([0, 1, 0]);
    expect(ids(await mem.semantic.recall({ agentId: 'A', embedding: [0, 1, 0] }))).toEqual([id]);
    await expect(mem.semantic.update(id, { embedding: planar(0) })).rejects.toMatchObject({ code: 'VALIDATION' });
  });
});
