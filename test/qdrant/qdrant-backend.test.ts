import { randomBytes } from 'node:crypto';
import { QdrantClient, type Schemas } from '@qdrant/js-client-rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HashEmbedder, MemorySubstrate, type MemoryConfigInput } from '../../src/index.js';
import { dropCollection, QDRANT_KIND_LABEL, qdrantKind, qdrantTarget, type QdrantTarget } from '../harness/qdrant-target.js';
import { startQdrantEmulator, type QdrantEmulator } from '../qdrant-emulator/index.js';

/**
 * What is specific to the Qdrant backend (the conformance suite covers the stores' behaviour): the
 * collection's layout and the vector space it records, refusals of a foreign collection, that
 * updateEmbedding changes only the dense vector, and errors. Against the Qdrant the cells use.
 */
const label = QDRANT_KIND_LABEL[await qdrantKind()];
let target: QdrantTarget;
let client: QdrantClient;
const collections: string[] = [];

beforeAll(async () => {
  target = await qdrantTarget();
  const apiKey = target.apiKeyEnv ? process.env[target.apiKeyEnv] : undefined;
  client = new QdrantClient({ url: target.url, checkCompatibility: false, ...(apiKey ? { apiKey } : {}) });
});

afterAll(async () => {
  for (const c of collections) await dropCollection(target, c);
});

function fresh(): string {
  const name = `memstrate_test_${randomBytes(6).toString('hex')}`;
  collections.push(name);
  return name;
}

function open(collection: string, extra: Partial<MemoryConfigInput> = {}): Promise<MemorySubstrate> {
  const env = target.apiKeyEnv ? { [target.apiKeyEnv]: process.env[target.apiKeyEnv] } : {};
  return MemorySubstrate.open(
    { sqlitePath: ':memory:', semanticBackend: 'qdrant', qdrant: { url: target.url, collection, ...(target.apiKeyEnv ? { apiKeyEnv: target.apiKeyEnv } : {}) }, ...extra },
    { env },
  );
}

describe(`qdrant backend ${label}`, () => {
  it('creates the collection: named dense Cosine vector, sparse "bm25" without modifier, payload indexes, the space in its metadata', async () => {
    const name = fresh();
    const mem = await open(name, { embeddingProvider: 'hash', embeddingDimensions: 32 });
    await mem.close();
    const info = await client.getCollection(name);
    expect(info.config.params.vectors).toMatchObject({ dense: { size: 32, distance: 'Cosine' } });
    expect(Object.keys(info.config.params.sparse_vectors ?? {})).toEqual(['bm25']);
    expect(info.config.params.sparse_vectors?.['bm25']?.modifier ?? 'none').toBe('none');
    expect(Object.keys(info.payload_schema ?? {})).toEqual(
      expect.arrayContaining(['agent_id', 'scope', 'source', 'created_at', 'confidence', 'accessed_at', 'meta_eq', 'superseded_by', 'kw_terms']),
    );
    expect(info.config.metadata).toMatchObject({ memstrate_format: 1, memstrate_keywords: 2, memstrate: { vector_dimensions: 32, vector_embedder: expect.stringContaining('hash') } });
  });

  it('a store opened without a dimension gets its dense vector when the first vector arrives, and reads the space back on the next open', async () => {
    const name = fresh();
    let mem = await open(name);
    const keywordOnly = await mem.semantic.remember({ agentId: 'A', content: 'keyword only lighthouse' });
    expect((await client.getCollection(name)).config.params.vectors ?? {}).not.toHaveProperty('dense');
    const withVector = await mem.semantic.remember({ agentId: 'A', content: 'vector lighthouse', embedding: [1, 0, 0, 0] });
    await mem.close();
    mem = await open(name);
    expect(mem.info.embedding?.dimensions).toBe(4);
    const hits = await mem.semantic.recall({ agentId: 'A', text: 'lighthouse', embedding: [1, 0, 0, 0] });
    expect(hits.map((h) => h.memory.id)).toEqual([withVector, keywordOnly]);
    await expect(mem.semantic.remember({ agentId: 'A', content: 'x', embedding: [1, 0, 0] })).rejects.toMatchObject({ code: 'VALIDATION' });
    await mem.close();
    await expect(open(name, { embeddingProvider: 'hash', embeddingDimensions: 8 })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('refuses, without touching it, a collection of another dimension, distance or layout', async () => {
    const other = fresh();
    await client.createCollection(other, { vectors: { dense: { size: 8, distance: 'Cosine' } }, sparse_vectors: { text: { modifier: 'idf' } } });
    await client.upsert(other, { points: [{ id: 1, vector: { dense: [1, 0, 0, 0, 0, 0, 0, 0] }, payload: { keep: true } }], wait: true });
    await expect(open(other, { embeddingProvider: 'hash', embeddingDimensions: 16 })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });

    const euclid = fresh();
    await client.createCollection(euclid, { vectors: { dense: { size: 8, distance: 'Euclid' } }, sparse_vectors: { text: { modifier: 'idf' } } });
    await expect(open(euclid)).rejects.toThrow(/Euclid distance; memstrate needs Cosine/);

    const foreign = fresh();
    await client.createCollection(foreign, { vectors: { size: 8, distance: 'Cosine' } });
    await expect(open(foreign)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });

    const noIdf = fresh();
    await client.createCollection(noIdf, { sparse_vectors: { text: {} } });
    await expect(open(noIdf)).rejects.toThrow(/lacks the IDF modifier/);

    const bm25Idf = fresh();
    await client.createCollection(bm25Idf, { sparse_vectors: { bm25: { modifier: 'idf' } } });
    await expect(open(bm25Idf)).rejects.toThrow(/memstrate computes IDF per agent/);

    expect((await client.count(other, { exact: true })).count).toBe(1); // never wiped
  });

  it('re-embedding builds dense_2 beside dense, named in the metadata; the switch makes it the active vector (read back on reopen); merged twins lose their pending vectors; dense_N names are accepted, others still refused', async () => {
    const name = fresh();
    const mem = await open(name, { embeddingProvider: 'hash', embeddingDimensions: 8 });
    const ids = await mem.semantic.rememberMany(Array.from({ length: 6 }, (_, i) => ({ agentId: 'A', content: `fact ${i}` })));
    // An interrupted run leaves the pending space: a dense_2 vector, recorded as pending.
    const stop = new AbortController();
    const next = new HashEmbedder(16);
    const run = mem.reembed({ embedder: next, batchSize: 2, signal: stop.signal, onProgress: (p) => (p.done >= 2 ? stop.abort() : undefined) });
    await expect(run).rejects.toMatchObject({ code: 'CONFLICT' });
    let info = await client.getCollection(name);
    expect(info.config.params.vectors).toEqual({ dense: { size: 8, distance: 'Cosine' }, dense_2: { size: 16, distance: 'Cosine' } });
    expect(info.config.metadata).toMatchObject({ memstrate: { vector_dimensions: 8, pending: { name: 'dense_2', dimensions: 16, embedder: next.id } } });
    const [first] = await client.retrieve(name, { ids: [ids[0] as string], with_vector: true, with_payload: false });
    expect(Object.keys(first?.vector ?? {}).sort()).toEqual(['bm25', 'dense', 'dense_2']);

    // Twins merged meanwhile lose the pending vector too (and need none).
    const twins = await mem.semantic.rememberMany([
      { agentId: 'A', content: 'twin', scope: 'dup' },
      { agentId: 'A', content: 'twin', scope: 'dup' },
    ]);
    await client.batchUpdate(name, { operations: twins.map((id) => ({ update_vectors: { points: [{ id, vector: { dense_2: Array.from({ length: 16 }, (_, i) => (i === 0 ? 1 : 0)) } }] } })), wait: true });
    await mem.consolidate();
    const merged = (await client.retrieve(name, { ids: twins, with_vector: true, with_payload: ['superseded_by'] })).find((p) => p.payload?.['superseded_by'] !== undefined);
    expect(Object.keys(merged?.vector ?? {})).toEqual(['bm25']);

    const report = await mem.reembed({ embedder: next });
    expect(report).toMatchObject({ outcome: 'switched', resumed: true });
    info = await client.getCollection(name);
    expect(info.config.metadata).toMatchObject({ memstrate: { vector_dimensions: 16, vector_name: 'dense_2', previous: { name: 'dense', dimensions: 8 } } });
    expect(info.config.metadata?.['memstrate']).not.toHaveProperty('pending');
    await mem.close();

    // A reopen with the new embedder searches dense_2; dropping the previous space deletes dense.
    const again = await open(name, { embeddingProvider: 'hash', embeddingDimensions: 16 });
    expect((await again.semantic.recall({ agentId: 'A', text: 'fact 3', mode: 'vector', limit: 1 }))[0]?.memory.id).toBe(ids[3]);
    expect(await again.dropPreviousVectorSpace()).toBe(true);
    expect((await client.getCollection(name)).config.params.vectors).toEqual({ dense_2: { size: 16, distance: 'Cosine' } });
    expect((await again.semantic.get(ids[3] as string))?.embedding).toHaveLength(16);
    await again.close();

    const odd = fresh();
    await client.createCollection(odd, { vectors: { dense_x: { size: 8, distance: 'Cosine' } }, sparse_vectors: { bm25: {} } });
    await expect(open(odd)).rejects.toThrow(/a vector "dense_x" memstrate does not use/);
  });

  it('updateEmbedding changes only the dense vector: payload and keyword vector stay (OpenFang G-4)', async () => {
    const name = fresh();
    const mem = await open(name);
    const id = await mem.semantic.remember({ agentId: 'A', content: 'harbour lights', scope: 's', metadata: { k: 'v' }, embedding: [1, 0, 0, 0] });
    const before = (await client.retrieve(name, { ids: [id], with_payload: true, with_vector: true }))[0] as Schemas['Record'];
    await mem.semantic.updateEmbedding(id, [0, 1, 0, 0]);
    const after = (await client.retrieve(name, { ids: [id], with_payload: true, with_vector: true }))[0] as Schemas['Record'];
    expect(after.payload).toEqual(before.payload);
    const vectors = after.vector as Record<string, unknown>;
    expect(vectors['bm25']).toEqual((before.vector as Record<string, unknown>)['bm25']);
    expect(vectors['bm25']).toBeDefined();
    expect(vectors['dense']).toEqual([0, 1, 0, 0]);
    expect((await mem.semantic.recall({ agentId: 'A', text: 'harbour', mode: 'keyword' })).map((r) => r.memory.id)).toEqual([id]);
    expect((await mem.semantic.get(id))?.metadata).toEqual({ k: 'v' });
    await mem.close();
  });

  it('a collection written before per-agent keyword statistics is re-indexed on open: bm25 vectors and kw_terms, then marked', async () => {
    const name = fresh();
    await client.createCollection(name, { sparse_vectors: { text: { modifier: 'idf' } } });
    await client.updateCollection(name, { metadata: { memstrate_format: 1 } });
    const point = (id: string, agent: string, content: string) => ({
      id,
      vector: { text: { indices: [1], values: [1] } },
      payload: { agent_id: agent, content, source: 'observation', scope: 'episodic', metadata: {}, meta_eq: [], confidence: 1, created_at: 1, accessed_at: 1, access_count: 0 },
    });
    const [m1, m2, m3] = ['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000003'];
    await client.upsert(name, { points: [point(m1 as string, 'A', 'the harbour pilot'), point(m2 as string, 'A', '東京タワーに行きました'), point(m3 as string, 'B', 'pilot pilot')], wait: true });
    const mem = await open(name);
    try {
      const pilot = await mem.semantic.recall({ agentId: 'A', text: 'pilot', mode: 'keyword' });
      expect(pilot.map((r) => r.memory.id)).toEqual([m1]);
      // A's statistics only: N = 2, df = 1.
      const raw = Math.log(2) * (2.2 / (1 + 1.2 * (0.25 + (0.75 * 3) / 256)));
      expect(pilot[0]?.score).toBeCloseTo(raw / (raw + 1), 5);
      expect((await mem.semantic.recall({ agentId: 'A', text: 'タワー', mode: 'keyword' })).map((r) => r.memory.id)).toEqual([m2]);
      const info = await client.getCollection(name);
      expect(info.config.params.sparse_vectors).toHaveProperty('bm25');
      expect(info.config.metadata).toMatchObject({ memstrate_keywords: 2 });
    } finally {
      await mem.close();
    }
  });

  it('forget deletes the point for good, and an id Qdrant would accept but memstrate never made is not found', async () => {
    const name = fresh();
    const mem = await open(name);
    const id = await mem.semantic.remember({ agentId: 'A', content: 'to be forgotten', embedding: [1, 0, 0, 0] });
    expect(await mem.semantic.recall({ agentId: 'A', text: 'forgotten' })).toHaveLength(1);
    expect(await mem.semantic.forget(id)).toBe(true);
    expect(await client.retrieve(name, { ids: [id] })).toEqual([]);
    expect(await mem.semantic.recall({ agentId: 'A', text: 'forgotten' })).toEqual([]);
    expect(await mem.semantic.get(id.toUpperCase())).toBeUndefined();
    expect(await mem.semantic.forget('42')).toBe(false);
    await expect(mem.semantic.updateEmbedding('not-a-uuid', [1, 0, 0, 0])).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await mem.close();
  });
});

describe('qdrant backend errors (on the Qdrant emulator, which can require an API key)', () => {
  let secured: QdrantEmulator;
  const KEY = 'qdrant-secret-key-123';
  beforeAll(async () => {
    secured = await startQdrantEmulator({ apiKey: KEY });
  });
  afterAll(async () => {
    await secured.close();
  });

  it('the API key comes from the env var named in config; a wrong key is BACKEND_UNAVAILABLE naming the variable, never the key', async () => {
    const config: MemoryConfigInput = { sqlitePath: ':memory:', semanticBackend: 'qdrant', qdrant: { url: secured.url, apiKeyEnv: 'MY_QDRANT_KEY', collection: fresh() } };
    const ok = await MemorySubstrate.open(config, { env: { MY_QDRANT_KEY: KEY } });
    await ok.semantic.remember({ agentId: 'A', content: 'secured' });
    await ok.close();
    const error = await MemorySubstrate.open(config, { env: { MY_QDRANT_KEY: 'wrong-key-456789' } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BACKEND_UNAVAILABLE', backend: 'semantic:qdrant' });
    expect(String((error as Error).message)).toContain('MY_QDRANT_KEY');
    expect(String((error as Error).message)).not.toContain('wrong-key-456789');
    await expect(MemorySubstrate.open(config, { env: {} })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('a URL with credentials is a ConfigError that does not echo them', async () => {
    const error = await MemorySubstrate.open(
      { sqlitePath: ':memory:', semanticBackend: 'qdrant', qdrant: { url: `http://user:pw-secret@${new URL(secured.url).host}` } },
      { env: {} },
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(String((error as Error).message)).not.toContain('pw-secret');
  });
});
