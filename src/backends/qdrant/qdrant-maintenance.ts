import type { Schemas } from '@qdrant/js-client-rest';
import type { DecayPolicy } from '../../contracts/semantic-backend.js';
import type { QdrantCall } from './qdrant-collection.js';
import { liveAt, type MemoryPayload } from './qdrant-points.js';

/** Points per scroll page and per batch of payload updates. */
const PAGE = 1000;

type PointId = string | number;

/**
 * Every point matching `filter`, page by page (scroll with `next_page_offset`, never one unbounded
 * request), with the payload fields named.
 */
async function* scrollAll(
  call: QdrantCall,
  collection: string,
  filter: Schemas['Filter'],
  fields: (keyof MemoryPayload)[],
): AsyncGenerator<Schemas['Record'][]> {
  let offset: Schemas['ExtendedPointId'] | undefined;
  for (;;) {
    const page = await call('scroll memories', (c) =>
      c.scroll(collection, { filter, limit: PAGE, with_payload: { include: fields }, with_vector: false, ...(offset !== undefined ? { offset } : {}) }),
    );
    if (page.points.length > 0) yield page.points;
    const next = page.next_page_offset;
    if (next === undefined || next === null || typeof next === 'object') return;
    offset = next;
  }
}

async function applyOperations(call: QdrantCall, collection: string, action: string, operations: Schemas['UpdateOperation'][]): Promise<void> {
  for (let start = 0; start < operations.length; start += PAGE) {
    const chunk = operations.slice(start, start + PAGE);
    await call(action, (c) => c.batchUpdate(collection, { operations: chunk, wait: true }));
  }
}

const NOT_MERGED: Schemas['Condition'] = { is_empty: { key: 'superseded_by' } };

/**
 * Deletes every point matching `filter` (already excluding merged points) and the points merged
 * into them: ids are read page by page, then deleted a page at a time, waited. Not atomic: a failure
 * midway leaves the pages before it deleted (a retry deletes the rest).
 */
export async function deleteMatching(call: QdrantCall, collection: string, filter: Schemas['Filter']): Promise<{ id: string; agentId: string }[]> {
  const matched: { id: string; agentId: string }[] = [];
  for await (const page of scrollAll(call, collection, filter, ['agent_id'])) {
    for (const point of page) matched.push({ id: String(point.id), agentId: String((point.payload as MemoryPayload | null | undefined)?.agent_id) });
  }
  for (let start = 0; start < matched.length; start += PAGE) {
    const ids = matched.slice(start, start + PAGE).map((m) => m.id);
    await call('delete memories', (c) => c.delete(collection, { filter: { should: [{ has_id: ids }, { key: 'superseded_by', match: { any: ids } }] }, wait: true }));
  }
  return matched;
}

/**
 * Confidence decay as on the SQL engines: memories not merged, last accessed before
 * `accessedBefore` and above the floor get max(floor, confidence × factor). Returns how many
 * decayed (with `dryRun`, how many would, by an exact count).
 */
export async function decayPoints(call: QdrantCall, collection: string, policy: DecayPolicy): Promise<number> {
  const filter: Schemas['Filter'] = {
    must: [NOT_MERGED, { key: 'accessed_at', range: { lt: policy.accessedBefore } }, { key: 'confidence', range: { gt: policy.floor } }, liveAt(policy.now)],
  };
  if (policy.dryRun) return (await call('count decaying memories', (c) => c.count(collection, { filter, exact: true }))).count;
  let decayed = 0;
  for await (const page of scrollAll(call, collection, filter, ['confidence'])) {
    const operations: Schemas['UpdateOperation'][] = page.map((p) => {
      const confidence = Number((p.payload as Partial<MemoryPayload>).confidence);
      return { set_payload: { payload: { confidence: Math.max(policy.floor, confidence * policy.factor) }, points: [p.id as PointId] } };
    });
    await applyOperations(call, collection, 'decay', operations);
    decayed += page.length;
  }
  return decayed;
}

interface Member {
  id: string;
  createdAt: number;
  confidence: number;
  accessCount: number;
  accessedAt: number;
}

/**
 * Merges exact duplicates (same agent, scope and content among memories not merged yet) with the
 * SQL engines' rules: the oldest (created time, then id) survives with the group's highest
 * confidence, the sum of the access counts and the latest access; the others stay, linked through
 * `superseded_by`, with their dense vectors removed (the active one, `vectors.active`, and a pending
 * re-embedding's, among `vectors.all`). A survivor without an active vector adopts the first twin's
 * (in the same order) that has one. Returns how many were merged (with `dryRun`, how many would be).
 * Groups are found over paged scrolls; the updates are waited batches.
 */
export async function mergeDuplicatePoints(
  call: QdrantCall,
  collection: string,
  options: { dryRun: boolean },
  vectors: { active: string; all: readonly string[] },
): Promise<number> {
  const groups = new Map<string, Member[]>();
  // Memories with a key or an expiry are never merged, nor merged into.
  const mergeable: Schemas['Filter'] = { must: [NOT_MERGED, { is_empty: { key: 'key' } }, { is_empty: { key: 'expires_at' } }] };
  for await (const page of scrollAll(call, collection, mergeable, ['agent_id', 'scope', 'content', 'created_at', 'confidence', 'access_count', 'accessed_at'])) {
    for (const p of page) {
      const payload = p.payload as unknown as MemoryPayload;
      const key = JSON.stringify([payload.agent_id, payload.scope, payload.content]);
      const member: Member = {
        id: String(p.id),
        createdAt: payload.created_at,
        confidence: payload.confidence,
        accessCount: payload.access_count,
        accessedAt: payload.accessed_at,
      };
      const group = groups.get(key);
      if (group) group.push(member);
      else groups.set(key, [member]);
    }
  }
  const duplicates = [...groups.values()].filter((g) => g.length > 1);
  const merged = duplicates.reduce((n, g) => n + g.length - 1, 0);
  if (options.dryRun || merged === 0) return merged;

  const operations: Schemas['UpdateOperation'][] = [];
  for (const group of duplicates) {
    group.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const [survivor, ...twins] = group as [Member, ...Member[]];
    operations.push({
      set_payload: {
        payload: {
          confidence: Math.max(...group.map((m) => m.confidence)),
          access_count: group.reduce((n, m) => n + m.accessCount, 0),
          accessed_at: Math.max(...group.map((m) => m.accessedAt)),
        },
        points: [survivor.id],
      },
    });
    const read = await call('read duplicate vectors', (c) => c.retrieve(collection, { ids: group.map((m) => m.id), with_payload: false, with_vector: [...vectors.all] }));
    const vectorsOf = new Map(read.map((v) => [String(v.id), (v.vector as Record<string, unknown> | undefined) ?? {}]));
    const denseOf = new Map([...vectorsOf].map(([id, v]) => [id, v[vectors.active]]));
    if (!Array.isArray(denseOf.get(survivor.id))) {
      const donor = twins.find((t) => Array.isArray(denseOf.get(t.id)));
      if (donor) operations.push({ update_vectors: { points: [{ id: survivor.id, vector: { [vectors.active]: denseOf.get(donor.id) as number[] } }] } });
    }
    const twinIds = twins.map((t) => t.id);
    operations.push({ set_payload: { payload: { superseded_by: survivor.id }, points: twinIds } });
    for (const name of vectors.all) {
      const withVectors = twinIds.filter((id) => Array.isArray(vectorsOf.get(id)?.[name]));
      if (withVectors.length > 0) operations.push({ delete_vectors: { points: withVectors, vector: [name] } });
    }
  }
  await applyOperations(call, collection, 'merge duplicates', operations);
  return merged;
}
