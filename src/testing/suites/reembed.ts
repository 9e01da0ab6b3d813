import { expect } from 'vitest';
import { HashEmbedder, MemorySubstrate, type Embedder, type MemoryError, type ReembedProgress } from '../../index.js';
import { defineSuite } from '../conformance.js';

/** Counts the texts it embeds (to prove a resumed run embeds nothing twice). */
class CountingEmbedder implements Embedder {
  readonly id: string;
  readonly dimensions: number;
  texts = 0;
  private readonly inner: HashEmbedder;
  constructor(dimensions: number) {
    this.inner = new HashEmbedder(dimensions);
    this.id = this.inner.id;
    this.dimensions = dimensions;
  }
  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    this.texts += texts.length;
    return this.inner.embed(texts);
  }
}

const OLD_DIMS = 8;
const NEW_DIMS = 16;

async function codeOf(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'resolved',
    (e: MemoryError) => e.code,
  );
}

/** Cosine of two vectors of the same length. */
function cosine(a: readonly number[], b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  a.forEach((x, i) => {
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  });
  return dot / Math.sqrt(na * nb);
}

export const reembedSuite = defineSuite('reembed', ({ cell, open, itIf }) => {
  const seed = async (mem: MemorySubstrate, n: number): Promise<string[]> =>
    mem.semantic.rememberMany(Array.from({ length: n }, (_, i) => ({ agentId: i % 2 === 0 ? 'alpha' : 'beta', content: `fact number ${i} about topic ${i % 5}`, scope: `s${i % 3}` })));

  itIf('vectorSpaceMigration', 're-embeds every memory into a new space: recall searches the old one until the atomic switch, memories written meanwhile get both vectors', async () => {
    const inst = await open({ embedder: new HashEmbedder(OLD_DIMS) });
    const { mem } = inst;
    const ids = await seed(mem, 30);
    await mem.semantic.rememberMany([
      { agentId: 'alpha', content: 'twin memory', scope: 'dup' },
      { agentId: 'alpha', content: 'twin memory', scope: 'dup' },
    ]);
    await mem.consolidate(); // merges the twins: the merged one needs no vector
    await mem.semantic.remember({ agentId: 'beta', content: 'keyed home is Lisbon', key: 'home' });
    const next = new HashEmbedder(NEW_DIMS);
    const progress: ReembedProgress[] = [];
    const report = await mem.reembed({
      embedder: next,
      batchSize: 7,
      onProgress: (p) => {
        progress.push({ ...p });
      },
    });
    // Progress was reported from 0 to the end, counting every unmerged memory once.
    expect(progress[0]).toEqual({ done: 0, total: 32 });
    expect(progress.at(-1)).toEqual({ done: 32, total: 32 });
    expect(report).toMatchObject({ outcome: 'switched', embedded: 32, resumed: false, droppedPrevious: false, from: { dimensions: OLD_DIMS }, to: { dimensions: NEW_DIMS, embedderId: next.id } });
    expect(report.auditSeq).toBeGreaterThan(0);
    expect(await mem.vectorSpaces()).toEqual({ current: { dimensions: NEW_DIMS, embedderId: next.id }, pending: undefined, previous: { dimensions: OLD_DIMS, embedderId: new HashEmbedder(OLD_DIMS).id } });
    // info names the embedder recall now uses, not the one the substrate was opened with.
    expect(mem.info.embedding).toEqual({ provider: 'hash', model: next.id, dimensions: NEW_DIMS });

    // Recall now searches the new space, embedding queries with the new embedder.
    const hit = await mem.semantic.recall({ agentId: 'alpha', text: 'fact number 4 about topic 4', mode: 'vector', limit: 1 });
    expect(hit[0]?.memory.id).toBe(ids[4]);
    expect(hit[0]?.score).toBeCloseTo(1, 5);
    const record = await mem.semantic.get(ids[4] as string);
    expect(record?.embedding).toHaveLength(NEW_DIMS);
    expect(cosine(record?.embedding as number[], (await next.embed([record?.content as string]))[0] as Float32Array)).toBeCloseTo(1, 5);
    // New memories land in the new space.
    const later = await mem.semantic.remember({ agentId: 'beta', content: 'written after the switch' });
    expect((await mem.semantic.get(later))?.embedding).toHaveLength(NEW_DIMS);

    // The audit chain records the begin and the switch, and verifies.
    const actions = (await mem.audit.entries({ limit: 1000 })).map((e) => e.action);
    expect(actions.filter((a) => a === 'memory.reembed_begin')).toHaveLength(1);
    expect(actions.filter((a) => a === 'memory.reembed')).toHaveLength(1);
    expect((await mem.audit.verify()).ok).toBe(true);

    // A reopen with the old embedder is a ConfigError naming the command; with the new one it opens.
    await mem.close();
    const stale = inst.reopen({ embedder: new HashEmbedder(OLD_DIMS) });
    await expect(stale).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('memstrate reembed') });
    const reopened = await inst.reopen({ embedder: next });
    expect((await reopened.semantic.recall({ agentId: 'beta', text: 'written after the switch', mode: 'vector', limit: 1 }))[0]?.memory.id).toBe(later);
  });

  itIf('vectorSpaceMigration', 'while the new space is built, recall answers from the old one and writes reach both spaces', async () => {
    const old = new HashEmbedder(OLD_DIMS);
    const { mem } = await open({ embedder: old });
    const ids = await seed(mem, 12);
    let checked = false;
    let written: string | undefined;
    let changed: string | undefined;
    const report = await mem.reembed({
      embedder: new HashEmbedder(NEW_DIMS),
      batchSize: 4,
      onProgress: async (p) => {
        if (checked || p.done === 0) return;
        checked = true;
        // Mid-run: the current space is still the old one, and recall uses it.
        expect((await mem.vectorSpaces()).pending?.dimensions).toBe(NEW_DIMS);
        const hits = await mem.semantic.recall({ agentId: 'alpha', text: 'fact number 2 about topic 2', mode: 'vector', limit: 1 });
        expect(hits[0]?.memory.id).toBe(ids[2]);
        expect((await mem.semantic.get(ids[2] as string))?.embedding).toHaveLength(OLD_DIMS);
        // A write now, and a change of content of a memory already re-embedded, a deletion too.
        written = await mem.semantic.remember({ agentId: 'alpha', content: 'arrived during the re-embedding' });
        changed = ids[0] as string;
        await mem.semantic.update(changed, { content: 'rewritten content mid-run' });
        await mem.semantic.forget(ids[1] as string);
      },
    });
    expect(checked).toBe(true);
    expect(report.outcome).toBe('switched');
    const next = new HashEmbedder(NEW_DIMS);
    for (const [id, text] of [
      [written, 'arrived during the re-embedding'],
      [changed, 'rewritten content mid-run'],
    ] as const) {
      const record = await mem.semantic.get(id as string);
      expect(cosine(record?.embedding as number[], (await next.embed([text]))[0] as Float32Array)).toBeCloseTo(1, 5);
    }
    expect(await mem.semantic.get(ids[1] as string)).toBeUndefined();
    expect(await mem.semantic.count({ agentId: 'alpha' })).toBe(7); // 6 seeded, one written
    expect(await mem.semantic.count({ agentId: 'beta' })).toBe(5); // 6 seeded, one forgotten
  });

  itIf('vectorSpaceMigration', 'an interrupted re-embedding resumes where it stopped, embedding nothing twice; another space waits until it is aborted', async () => {
    const inst = await open({ embedder: new HashEmbedder(OLD_DIMS) });
    const { mem } = inst;
    await seed(mem, 20);
    const first = new CountingEmbedder(NEW_DIMS);
    const stop = new AbortController();
    const interrupted = mem.reembed({ embedder: first, batchSize: 5, signal: stop.signal, onProgress: (p) => (p.done >= 10 ? stop.abort() : undefined) });
    expect(await codeOf(interrupted)).toBe('CONFLICT');
    expect(first.texts).toBe(10);
    expect((await mem.vectorSpaces()).pending).toEqual({ dimensions: NEW_DIMS, embedderId: first.id });
    // Recall still searches the old space.
    expect((await mem.semantic.recall({ agentId: 'alpha', text: 'fact number 0 about topic 0', mode: 'vector', limit: 1 }))[0]?.score).toBeCloseTo(1, 5);

    // Another embedder is refused while this one is pending.
    expect(await codeOf(mem.reembed({ embedder: new HashEmbedder(12) }))).toBe('VALIDATION');

    // A new process resumes it (the pending space is stored, not in memory).
    await mem.close();
    const again = await inst.reopen({ embedder: new HashEmbedder(OLD_DIMS) });
    const second = new CountingEmbedder(NEW_DIMS);
    const report = await again.reembed({ embedder: second, batchSize: 5 });
    expect(report).toMatchObject({ outcome: 'switched', resumed: true, embedded: 10 });
    expect(second.texts).toBe(10);
    expect((await again.vectorSpaces()).current).toEqual({ dimensions: NEW_DIMS, embedderId: second.id });

    // abort: a started re-embedding can be abandoned, leaving the current space alone.
    const third = new AbortController();
    const started = again.reembed({ embedder: new HashEmbedder(12), batchSize: 5, signal: third.signal, onProgress: (p) => (p.done > 0 ? third.abort() : undefined) });
    expect(await codeOf(started)).toBe('CONFLICT');
    expect(await again.abortReembed()).toBe(true);
    expect(await again.abortReembed()).toBe(false);
    expect(await again.vectorSpaces()).toMatchObject({ current: { dimensions: NEW_DIMS }, pending: undefined });
    expect((await again.semantic.recall({ agentId: 'alpha', text: 'fact number 0 about topic 0', mode: 'vector', limit: 1 }))[0]?.score).toBeCloseTo(1, 5);
    expect((await again.audit.verify()).ok).toBe(true);
  });

  itIf('vectorSpaceMigration', 'the previous space is kept until dropped; an unchanged space is left alone; options are validated', async () => {
    const old = new HashEmbedder(OLD_DIMS);
    const { mem } = await open({ embedder: old });
    await seed(mem, 3);
    expect(await mem.reembed()).toMatchObject({ outcome: 'unchanged', embedded: 0, auditSeq: 0 });
    for (const bad of [{ bogus: 1 }, { batchSize: 0 }, { batchSize: 1.5 }, { dropPrevious: 'yes' }]) {
      expect(await codeOf(mem.reembed(bad as never))).toBe('VALIDATION');
    }
    expect(await mem.dropPreviousVectorSpace()).toBe(false);
    await mem.reembed({ embedder: new HashEmbedder(NEW_DIMS) });
    expect((await mem.vectorSpaces()).previous?.dimensions).toBe(OLD_DIMS);
    expect(await mem.dropPreviousVectorSpace()).toBe(true);
    expect((await mem.vectorSpaces()).previous).toBeUndefined();
    expect(await mem.dropPreviousVectorSpace()).toBe(false);
    const back = await mem.reembed({ embedder: old, dropPrevious: true });
    expect(back).toMatchObject({ outcome: 'switched', droppedPrevious: true, embedded: 3 });
    expect(await mem.vectorSpaces()).toEqual({ current: { dimensions: OLD_DIMS, embedderId: old.id }, pending: undefined, previous: undefined });
    const actions = (await mem.audit.entries({ limit: 1000 })).map((e) => e.action);
    expect(actions.filter((a) => a === 'memory.vector_space_drop')).toHaveLength(2);
  });

  itIf('vectorSpaceMigration', 'a space fixed by mistake is undone: an empty store is reset at once, a toy vector re-embedded, and a maintenance open ignores the embedder', async () => {
    // A single open with the hash embedder fixed an empty store's space.
    const inst = await open({ embedder: new HashEmbedder(4) });
    await inst.mem.close();
    const wanted = new HashEmbedder(NEW_DIMS);
    await expect(inst.reopen({ embedder: wanted })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('memstrate reembed') });
    const maintenance = await MemorySubstrate.open(inst.config, { env: inst.env ?? {}, embedder: wanted, ignoreEmbedder: true, ...(cell.backends ? { backends: cell.backends } : {}) });
    const report = await maintenance.reembed();
    expect(report).toMatchObject({ outcome: 'reset', embedded: 0, from: { dimensions: 4 }, to: { dimensions: NEW_DIMS, embedderId: wanted.id } });
    expect(await maintenance.vectorSpaces()).toEqual({ current: { dimensions: NEW_DIMS, embedderId: wanted.id }, pending: undefined, previous: undefined });
    expect(maintenance.info.embedding).toMatchObject({ model: wanted.id, dimensions: NEW_DIMS });
    await maintenance.close();
    const fixed = await inst.reopen({ embedder: wanted });
    const id = await fixed.semantic.remember({ agentId: 'alpha', content: 'now in the right space' });
    expect((await fixed.semantic.get(id))?.embedding).toHaveLength(NEW_DIMS);

    // One toy 2-dimensional vector, stored without an embedder: re-embedded with the real one.
    const toy = await open();
    const toyId = await toy.mem.semantic.remember({ agentId: 'alpha', content: 'toy memory', embedding: [1, 0] });
    const switched = await toy.mem.reembed({ embedder: wanted });
    expect(switched).toMatchObject({ outcome: 'switched', embedded: 1, from: { dimensions: 2 } });
    expect((await toy.mem.semantic.get(toyId))?.embedding).toHaveLength(NEW_DIMS);
    expect(toy.mem.info.embedding).toEqual({ provider: 'hash', model: wanted.id, dimensions: NEW_DIMS });

    // Without an embedder, an empty store forgets its space; one holding memories cannot.
    const bare = await open();
    const only = await bare.mem.semantic.remember({ agentId: 'alpha', content: 'x', embedding: [1, 0, 0] });
    expect(await codeOf(bare.mem.reembed())).toBe('VALIDATION');
    await bare.mem.semantic.forget(only);
    expect(await bare.mem.reembed()).toMatchObject({ outcome: 'reset', to: null });
    expect((await bare.mem.vectorSpaces()).current).toBeUndefined();
    expect(bare.mem.info.embedding).toMatchObject({ provider: 'none', dimensions: undefined });
    const five = await bare.mem.semantic.remember({ agentId: 'alpha', content: 'y', embedding: [1, 0, 0, 0, 0] });
    expect((await bare.mem.semantic.get(five))?.embedding).toHaveLength(5);
  });
});
