import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { MemorySubstrate, type MemoryConfigInput } from '../../src/index.js';
import { rng, unit } from '../../src/testing/vectors.js';

/**
 * Approximate vector search on SQLite (sqlite-ann-index.ts), on real SQLite files with sqlite-vec:
 * what `explain` reports, recall against the exact scan of the same store, filters inside the
 * coarse search, the exact fallback when the probed cells hold fewer than k matches, writes after a
 * build, another process's build, `auto`, and the settings' validation.
 */
const dir = mkdtempSync(join(tmpdir(), 'memstrate-ann-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DIM = 48;
const N = 6000;

/** Clustered unit vectors (40 centres, noise), deterministic. */
function vectors(n: number, seed: number): number[][] {
  const r = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(r() || 1e-12)) * Math.cos(2 * Math.PI * r());
  const centres = Array.from({ length: 40 }, () => unit(Array.from({ length: DIM }, gauss)));
  return Array.from({ length: n }, () => {
    const c = centres[Math.floor(r() * centres.length)] as number[];
    return unit(c.map((x) => x + 0.35 * gauss()));
  });
}

const data = vectors(N, 11);
const queries = vectors(30, 12);

async function open(file: string, sqlite: Record<string, unknown>): Promise<MemorySubstrate> {
  const path = join(dir, file);
  return MemorySubstrate.open({ sqlitePath: path, auditAnchorPath: `${path}.anchor`, sqlite } as MemoryConfigInput, { env: {} });
}

async function load(mem: MemorySubstrate): Promise<void> {
  for (let i = 0; i < N; i += 1000) {
    await mem.semantic.rememberMany(
      data.slice(i, i + 1000).map((embedding, j) => ({ agentId: 'a', content: `memory ${i + j}`, scope: (i + j) % 2 === 0 ? 'even' : 'odd', embedding, metadata: { n: i + j } })),
    );
  }
  await mem.semantic.remember({ agentId: 'b', content: 'another agent', embedding: data[0] as number[] });
}

async function ids(mem: MemorySubstrate, q: number[], extra: Record<string, unknown> = {}): Promise<{ ids: string[]; path: string | undefined }> {
  const results = await mem.semantic.recall({ agentId: 'a', embedding: q, mode: 'vector', explain: true, limit: 10, ...extra });
  return { ids: results.map((r) => r.memory.id), path: results[0]?.explanation?.vectorSearch };
}

describe('SQLite approximate vector search', () => {
  it('exact until an index exists, then approximate with recall@10 ≥ 0.9 against the exact scan; filters inside; exact fallback', async () => {
    const approx = await open('a.db', { vectorSearch: 'approximate', approximateProbeFactor: 1 });
    await load(approx);
    const before = await ids(approx, queries[0] as number[]);
    expect(before.path).toBe('exact');
    const build = await approx.buildVectorIndex('a', { onProgress: () => undefined });
    expect(build).toMatchObject({ agentId: 'a', rows: N, cells: 3 });
    expect(await approx.vectorIndexes()).toEqual([expect.objectContaining({ agentId: 'a', state: 'ready', rowsAtBuild: N, cells: 3 })]);
    await approx.close();

    const exact = await open('a.db', { vectorSearch: 'exact' });
    // Every cell probed: the recall measured is the sign codes' and the rerank's (the cells' own is the benchmark's).
    const mem = await open('a.db', { vectorSearch: 'approximate', approximateProbeFactor: 100 });
    try {
      let hits = 0;
      for (const q of queries) {
        const want = await ids(exact, q);
        const got = await ids(mem, q);
        expect(want.path).toBe('exact');
        expect(got.path).toBe('approximate');
        expect(got.ids).toHaveLength(10);
        hits += got.ids.filter((id) => want.ids.includes(id)).length;
      }
      expect(hits / (queries.length * 10)).toBeGreaterThanOrEqual(0.9);

      // A vec0-column filter and a metadata filter, applied inside the coarse search: k results, all matching.
      const odd = await mem.semantic.recall({ agentId: 'a', embedding: queries[1] as number[], mode: 'vector', explain: true, limit: 10, filter: { scope: 'odd' } });
      expect(odd).toHaveLength(10);
      expect(odd.every((r) => r.memory.scope === 'odd')).toBe(true);
      expect(odd[0]?.explanation?.vectorSearch).toBe('approximate');
      const low = await mem.semantic.recall({ agentId: 'a', embedding: queries[2] as number[], mode: 'vector', explain: true, limit: 10, filter: { where: { 'metadata.n': { $lt: 3000 } } } });
      expect(low).toHaveLength(10);
      expect(low.every((r) => (r.memory.metadata['n'] as number) < 3000)).toBe(true);

      // Three matches in the whole store: the probed cells may hold fewer, the exact fallback finds all three.
      const rare = await mem.semantic.recall({ agentId: 'a', embedding: queries[3] as number[], mode: 'vector', explain: true, limit: 10, filter: { where: { 'metadata.n': { $in: [5, 2500, 5999] } } } });
      expect(rare.map((r) => r.memory.metadata['n']).sort((x, y) => (x as number) - (y as number))).toEqual([5, 2500, 5999]);
      expect(rare[0]?.explanation?.vectorSearch).toBe('exact');

      // Other agents are not indexed (and not searched).
      const other = await mem.semantic.recall({ agentId: 'b', embedding: data[0] as number[], mode: 'vector', explain: true });
      expect(other.map((r) => r.memory.content)).toEqual(['another agent']);
      expect(other[0]?.explanation?.vectorSearch).toBe('exact');
    } finally {
      await exact.close();
      await mem.close();
    }
  });

  it('follows writes after the build: new, updated, re-embedded, forgotten and merged memories', async () => {
    const mem = await open('w.db', { vectorSearch: 'approximate', approximateProbeFactor: 1 });
    try {
      await load(mem);
      await mem.buildVectorIndex('a');
      const q = queries[4] as number[];
      const freshId = await mem.semantic.remember({ agentId: 'a', content: 'written after the build', embedding: q });
      let top = await mem.semantic.recall({ agentId: 'a', embedding: q, mode: 'vector', explain: true, limit: 3 });
      expect(top[0]?.memory.id).toBe(freshId);
      expect(top[0]?.explanation?.vectorSearch).toBe('approximate');

      await mem.semantic.update(freshId, { scope: 'moved' });
      top = await mem.semantic.recall({ agentId: 'a', embedding: q, mode: 'vector', limit: 1, filter: { scope: 'moved' } });
      expect(top.map((r) => r.memory.id)).toEqual([freshId]);

      const other = queries[5] as number[];
      await mem.semantic.update(freshId, { embedding: other });
      top = await mem.semantic.recall({ agentId: 'a', embedding: other, mode: 'vector', explain: true, limit: 1 });
      expect(top[0]?.memory.id).toBe(freshId);
      expect(top[0]?.explanation?.vectorSearch).toBe('approximate');

      await mem.semantic.forget(freshId);
      top = await mem.semantic.recall({ agentId: 'a', embedding: other, mode: 'vector', limit: 10 });
      expect(top.map((r) => r.memory.id)).not.toContain(freshId);
      expect(top).toHaveLength(10);

      // Decay changes confidence inside the index too: a minConfidence filter sees it.
      const twinId = await mem.semantic.remember({ agentId: 'a', content: 'confident', embedding: other, confidence: 0.9 });
      top = await mem.semantic.recall({ agentId: 'a', embedding: other, mode: 'vector', limit: 1, filter: { minConfidence: 0.8 } });
      expect(top.map((r) => r.memory.id)).toEqual([twinId]);

      // Consolidation merges an exact duplicate into its older twin: the merged one leaves the index.
      const dupId = await mem.semantic.remember({ agentId: 'a', content: 'confident', embedding: other, confidence: 0.9 });
      const report = await mem.consolidation.consolidate();
      expect(report.merged).toBeGreaterThanOrEqual(1);
      top = await mem.semantic.recall({ agentId: 'a', embedding: other, mode: 'vector', explain: true, limit: 10 });
      expect(top.map((r) => r.memory.id)).not.toContain(dupId);
      expect(top.map((r) => r.memory.id)).toContain(twinId);
      expect(top[0]?.explanation?.vectorSearch).toBe('approximate');

      // A rebuild replaces every entry: exactly one per unmerged memory with a vector, none left behind.
      await mem.buildVectorIndex('a');
      const db = new Database(join(dir, 'w.db'), { readonly: true });
      try {
        const indexed = db.prepare('select count(*) as n from memory_ann_vectors').get() as { n: number };
        const live = db.prepare("select count(*) as n from memories where agent_id = 'a' and superseded_by is null").get() as { n: number };
        expect(indexed.n).toBe(live.n);
      } finally {
        db.close();
      }
      top = await mem.semantic.recall({ agentId: 'a', embedding: other, mode: 'vector', explain: true, limit: 1 });
      expect(top.map((r) => [r.memory.id, r.explanation?.vectorSearch])).toEqual([[twinId, 'approximate']]);
    } finally {
      await mem.close();
    }
  });

  it("another process's build is seen, and its writes land in the index; dropping returns to exact", async () => {
    const one = await open('p.db', { vectorSearch: 'approximate' });
    await load(one);
    const two = await open('p.db', { vectorSearch: 'approximate' });
    try {
      expect((await ids(two, queries[6] as number[])).path).toBe('exact');
      await one.buildVectorIndex('a');
      expect((await ids(two, queries[6] as number[])).path).toBe('approximate');
      const q = queries[7] as number[];
      const writtenId = await two.semantic.remember({ agentId: 'a', content: 'from the second process', embedding: q });
      const top = await one.semantic.recall({ agentId: 'a', embedding: q, mode: 'vector', explain: true, limit: 1 });
      expect(top[0]?.memory.id).toBe(writtenId);
      expect(top[0]?.explanation?.vectorSearch).toBe('approximate');
      // Erasing the agent takes its index with it (the cells are averages of its vectors).
      await one.semantic.rememberMany([{ agentId: 'gone', content: 'x', embedding: q }]);
      await one.buildVectorIndex('gone');
      expect((await one.vectorIndexes()).map((s) => s.agentId)).toEqual(['a', 'gone']);
      await one.erase({ agentId: 'gone' });
      expect((await two.vectorIndexes()).map((s) => s.agentId)).toEqual(['a']);
      expect(await two.dropVectorIndex('a')).toBe(true);
      expect(await two.dropVectorIndex('a')).toBe(false);
      expect((await ids(one, q)).path).toBe('exact');
      expect(await one.vectorIndexes()).toEqual([]);
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('auto builds the index of an agent past approximate_min_rows in the background, and uses it once ready', async () => {
    const mem = await open('auto.db', { vectorSearch: 'auto', approximateMinRows: 5000 });
    try {
      await load(mem);
      expect((await ids(mem, queries[8] as number[])).path).toBe('exact');
      let ready = false;
      for (let i = 0; i < 200 && !ready; i++) {
        ready = (await mem.vectorIndexes()).some((s) => s.agentId === 'a' && s.state === 'ready');
        if (!ready) await new Promise((r) => setTimeout(r, 50));
      }
      expect(ready).toBe(true);
      expect((await ids(mem, queries[8] as number[])).path).toBe('approximate');
      // Agent b (one memory) stays exact and gets no index.
      expect((await mem.vectorIndexes()).map((s) => s.agentId)).toEqual(['a']);
    } finally {
      await mem.close();
    }
  });

  it('exact ignores an index; settings are validated; an unknown agent has nothing to index', async () => {
    const exact = await open('a.db', { vectorSearch: 'exact' });
    try {
      expect((await ids(exact, queries[0] as number[])).path).toBe('exact');
      await expect(exact.buildVectorIndex('nobody')).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(exact.buildVectorIndex('')).rejects.toMatchObject({ code: 'VALIDATION' });
    } finally {
      await exact.close();
    }
    await expect(open('bad.db', { vectorSearch: 'fast' })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(open('bad.db', { approximateProbeFactor: 0 })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(open('bad.db', { approximateMinRow: 10 })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});
