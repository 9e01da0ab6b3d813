/**
 * Property test: seeded random operation sequences run against MemstrateStore (on a real substrate:
 * SQLite file, semantic memory in it, the offline `hash` embedder) and against LangGraph's own
 * InMemoryStore, comparing every result.
 *
 * What is compared, and where the two legitimately differ (README, "LangGraph"):
 * - put / delete: both succeed; get: the same item (namespace, key, value) or both null.
 * - search without `query`: the same items. The order is compared exactly when every match lies in
 *   one namespace (both then list in insertion order); across namespaces InMemoryStore groups by
 *   namespace while memstrate lists in creation order, so a page is compared by size and membership.
 * - search with `query`: InMemoryStore without an index ignores the query; memstrate ranks indexed
 *   matches first (keyword/vector recall) and then lists the rest — so only the set of items is
 *   compared (with a limit covering every match), plus that scored items come first.
 * - listNamespaces (prefix, suffix with `*`, maxDepth, limit, offset): InMemoryStore keeps listing a
 *   namespace after its last item is deleted; memstrate lists namespaces that hold items. The
 *   expectation is InMemoryStore's answer less the namespaces that no longer hold an item.
 * Labels are lower-case letters so InMemoryStore's localeCompare of ':'-joined namespaces and
 * memstrate's label-by-label code-point order agree.
 */
import { InMemoryStore, type Item, type SearchItem } from '@langchain/langgraph-checkpoint';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { MemstrateStore } from '../../src/langgraph/index.js';
import { figure } from '../helpers/figure.js';
import { openFresh, type Opened } from './fixture.js';

const SEEDS = [1, 2, 3];
const OPS = 300;

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const AGENTS = ['a', 'b', 'c'];
const LABELS = ['x', 'y', 'xy'];
const KEYS = ['k1', 'k2', 'k3', 'k4'];
const COLORS = ['red', 'green', 'blue'];
const WORDS = ['pelican', 'harbor', 'granite', 'orchid', 'lantern'];
const FILTERS: (Record<string, unknown> | undefined)[] = [
  undefined,
  { color: 'red' },
  { n: { $gt: 2 } },
  { n: { $lte: 3 }, color: { $ne: 'blue' } },
  { color: { $in: ['red', 'green'] } },
  { n: { $nin: [0, 1] } },
  { flag: true },
  { n: { $eq: 1 } },
  { n: { $gte: 1, $lt: 4 } },
  { missing: { $ne: 'x' } },
];

let opened: Opened | undefined;
let tick = Date.UTC(2026, 0, 1);
beforeEach(async () => {
  // A fresh store per seed, and a clock that moves on every read: creation instants are distinct, so
  // creation order is insertion order.
  opened = await openFresh('sqlite', { clock: () => ++tick }, { embeddingProvider: 'hash', embeddingDimensions: 64 });
});
afterEach(() => opened?.close());

const id = (i: { namespace: string[]; key: string }) => JSON.stringify([...i.namespace, i.key]);
const plain = (i: Item | null) => (i === null ? null : { namespace: i.namespace, key: i.key, value: i.value });
const byId = (items: Item[]) => items.map(plain).sort((x, y) => id(x!).localeCompare(id(y!)));

for (const seed of SEEDS) {
  it(`seed ${seed}: ${OPS} random operations give the same results on MemstrateStore and InMemoryStore`, async (context) => {
    const r = rng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
    const agents = AGENTS;
    const namespace = () => [pick(agents), ...Array.from({ length: Math.floor(r() * 3) }, () => pick(LABELS))];
    const ours = new MemstrateStore((opened as Opened).mem, { clock: () => tick });
    const theirs = new InMemoryStore();
    const counts: Record<string, number> = {};
    for (let step = 0; step < OPS; step++) {
      const roll = r();
      const where = `step ${step}`;
      if (roll < 0.35) {
        counts['put'] = (counts['put'] ?? 0) + 1;
        const ns = namespace();
        const key = pick(KEYS);
        const value: Record<string, unknown> = { n: Math.floor(r() * 6), color: pick(COLORS), text: `${pick(WORDS)} ${pick(WORDS)}` };
        if (r() < 0.5) value['flag'] = r() < 0.5;
        if (r() < 0.2) value['nested'] = { deep: [1, 'two', { three: 3 }] };
        const index = r() < 0.2 ? false : undefined;
        await ours.put(ns, key, value, index);
        await theirs.put(ns, key, structuredClone(value), index);
      } else if (roll < 0.45) {
        counts['delete'] = (counts['delete'] ?? 0) + 1;
        const ns = namespace();
        const key = pick(KEYS);
        await ours.delete(ns, key);
        await theirs.delete(ns, key);
      } else if (roll < 0.6) {
        counts['get'] = (counts['get'] ?? 0) + 1;
        const ns = namespace();
        const key = pick(KEYS);
        expect(plain(await ours.get(ns, key)), where).toEqual(plain(await theirs.get(ns, key)));
      } else if (roll < 0.8) {
        counts['search'] = (counts['search'] ?? 0) + 1;
        const prefix = namespace().slice(0, Math.floor(r() * 3));
        const filter = pick(FILTERS);
        const all = (await theirs.search(prefix, { filter, limit: 10_000 })) as SearchItem[];
        const limit = 1 + Math.floor(r() * 5);
        const offset = Math.floor(r() * 4);
        const page = await ours.search(prefix, { filter, limit, offset });
        const expected = all.slice(offset, offset + limit);
        const spaces = new Set(all.map((i) => JSON.stringify(i.namespace)));
        if (spaces.size <= 1) expect(page.map(plain), `${where} search ${JSON.stringify({ prefix, filter, limit, offset })}`).toEqual(expected.map(plain));
        else {
          expect(page.length, where).toBe(expected.length);
          const allIds = new Set(all.map(id));
          for (const item of page) expect(allIds.has(id(item)), where).toBe(true);
        }
        expect(byId(await ours.search(prefix, { filter, limit: 10_000 })), where).toEqual(byId(all));
      } else if (roll < 0.87) {
        counts['query'] = (counts['query'] ?? 0) + 1;
        const prefix = namespace().slice(0, Math.floor(r() * 2));
        const filter = pick(FILTERS);
        const query = pick(WORDS);
        const got = await ours.search(prefix, { filter, query, limit: 1000 });
        expect(byId(got), where).toEqual(byId(await theirs.search(prefix, { filter, query, limit: 10_000 })));
        const firstUnscored = got.findIndex((i) => i.score === undefined);
        if (firstUnscored >= 0) expect(got.slice(firstUnscored).every((i) => i.score === undefined), where).toBe(true);
      } else {
        counts['listNamespaces'] = (counts['listNamespaces'] ?? 0) + 1;
        const options: { prefix?: string[]; suffix?: string[]; maxDepth?: number; limit?: number; offset?: number } = {};
        if (r() < 0.5) options.prefix = namespace().slice(0, 1 + Math.floor(r() * 2)).map((l) => (r() < 0.15 ? '*' : l));
        if (r() < 0.3) options.suffix = [pick([...LABELS, '*'])];
        if (r() < 0.4) options.maxDepth = 1 + Math.floor(r() * 3);
        const limit = r() < 0.5 ? 1 + Math.floor(r() * 4) : undefined;
        const offset = r() < 0.3 ? Math.floor(r() * 3) : undefined;
        // InMemoryStore's answer, less namespaces left without items.
        const live = new Set((await theirs.search([], { limit: 100_000 })).map((i) => JSON.stringify(i.namespace)));
        const liveNamespaces = [...live].map((s) => JSON.parse(s) as string[]);
        const allTheirs = await theirs.listNamespaces({ ...options, limit: 100_000, offset: 0 });
        const holding = allTheirs.filter((ns) =>
          liveNamespaces.some(
            (l) => matches(l, options.prefix, 'prefix') && matches(l, options.suffix, 'suffix') && JSON.stringify(options.maxDepth ? l.slice(0, options.maxDepth) : l) === JSON.stringify(ns),
          ),
        );
        const start = offset ?? 0;
        const expected = holding.slice(start, start + (limit ?? 100));
        expect(await ours.listNamespaces({ ...options, ...(limit ? { limit } : {}), ...(offset ? { offset } : {}) }), `${where} listNamespaces ${JSON.stringify({ ...options, limit, offset })}`).toEqual(expected);
      }
    }
    // Every kind of operation ran.
    expect(Object.keys(counts).sort()).toEqual(['delete', 'get', 'listNamespaces', 'put', 'query', 'search']);
    figure(context, `MemstrateStore vs InMemoryStore, seed ${seed} (${(opened as Opened).engine}): ${Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(', ')} — every result equal`);
  }, 120_000);
}

function matches(namespace: string[], path: string[] | undefined, type: 'prefix' | 'suffix'): boolean {
  if (!path) return true;
  if (path.length > namespace.length) return false;
  const start = type === 'prefix' ? 0 : namespace.length - path.length;
  return path.every((label, i) => label === '*' || namespace[start + i] === label);
}
