// What the conformance suite cannot see: the file itself.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger, NewMemoryRow } from 'memstrate';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { JsonFileSemanticBackend } from '../src/index.js';
import { bm25, termStats } from '../src/keywords.js';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
let dir: string;
let path: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'jsonfile-file-'));
  path = join(dir, 'nested', 'memories.json');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function row(id: string, content: string, embedding?: number[]): NewMemoryRow {
  return { id, agentId: 'a', content, source: 'observation', scope: 'episodic', metadata: { k: id }, confidence: 1, createdAt: 1000, embedding: embedding && Float32Array.from(embedding), key: undefined, expiresAt: undefined, dedupe: false };
}

it('creates the directory at open, writes the file on the first mutation, and leaves no temporary file', async () => {
  const backend = await JsonFileSemanticBackend.open(path, quiet);
  expect(readdirSync(join(dir, 'nested'))).toEqual([]);
  await backend.fixVectorSpace({ dimensions: 2, embedderId: 'caller' });
  await backend.insert([row('m1', 'first', [0.6, 0.8]), row('m2', 'second')], 1000);
  await backend.touch(['m1', 'm1'], 2000);
  await backend.close();
  expect(readdirSync(join(dir, 'nested'))).toEqual(['memories.json']);
  const file = JSON.parse(readFileSync(path, 'utf8')) as { vectorSpace: unknown; memories: { id: string; accessCount: number; embedding?: number[] }[] };
  expect(file.vectorSpace).toEqual({ dimensions: 2, embedderId: 'caller' });
  expect(file.memories.map((m) => [m.id, m.accessCount, m.embedding?.length])).toEqual([['m1', 2, 2], ['m2', 0, undefined]]);
  // Float32 values survive the JSON round trip exactly.
  const reopened = await JsonFileSemanticBackend.open(path, quiet);
  expect((await reopened.get('m1'))?.embedding).toEqual(Array.from(Float32Array.from([0.6, 0.8])));
  await reopened.close();
  await expect(reopened.get('m1')).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
});

it('refuses a file that is not its own, and never overwrites it', async () => {
  mkdirSync(join(dir, 'nested'));
  for (const text of ['not json', '{"memories": []}', '[]']) {
    writeFileSync(path, text);
    await expect(JsonFileSemanticBackend.open(path, quiet)).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    expect(readFileSync(path, 'utf8')).toBe(text);
  }
});

it('a rejected change leaves the last committed state; a failed write whose rollback cannot read the file stops the store', async () => {
  const backend = await JsonFileSemanticBackend.open(path, quiet);
  await backend.insert([row('m1', 'kept')], 1000);
  // Invalid input: rejected, nothing written, the store unchanged.
  await expect(backend.insert([row('m2', 'vector without a space', [1, 0])], 1000)).rejects.toMatchObject({ code: 'VALIDATION' });
  expect((await backend.fetch(['m1', 'm2'])).map((r) => r.id)).toEqual(['m1']);
  // The file's place taken by a directory: the write fails, the rollback cannot read, the store stops.
  rmSync(path);
  mkdirSync(join(path, 'blocker'), { recursive: true });
  await expect(backend.insert([row('m3', 'lost')], 1000)).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
  await expect(backend.get('m1')).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
  expect((await backend.health()).ok).toBe(false);
  await backend.close();
});

it("ranks by memstrate's keyword score: its terms (CJK bigrams, Porter stems), BM25 weights and the corpus given", () => {
  const docs = ['東京タワーに行きました', 'experiments recalled', 'unrelated'].map(termStats);
  const score = bm25(['東京'], docs);
  const idf = Math.log(1 + (3 - 1 + 0.5) / (1 + 0.5));
  expect(score(docs[0] as never)).toBeCloseTo(idf * (docs[0]?.weights.get('東京') as number), 12);
  expect(score(docs[2] as never)).toBe(0);
  expect([...(docs[1]?.weights.keys() ?? [])]).toEqual(['experi', 'recal']);
});
