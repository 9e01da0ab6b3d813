/**
 * archive — export and import of N memories × D dims (with KV entries, entities and sessions
 * beside them) on SQLite files, each against a raw baseline of the same rows in the same run:
 * export against a raw `SELECT … iterate()` stream of the memories and their vectors written as
 * NDJSON to a file, import against raw batched inserts of those rows into a fresh file (memories,
 * vectors and keyword terms, 1,000 per transaction). Target: throughput ≥ 0.5× the baseline (time
 * ratio ≤ 2). Peak RSS growth during the export is measured at N/4 and at N: streaming means it
 * does not grow with the store.
 *
 * Env: BENCH_N (memories, default 100000), BENCH_DIM (384).
 */
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { MemorySubstrate } from '../src/index.js';
import { LatentModel, makeTexts, memoryBatch, Vocabulary } from './data.js';
import { engineDescription, envInt, progress, rawKeywordWriter, tempDir, type BenchResult } from './lib.js';
import { InsertedPerAgent } from '../src/backends/sqlite/sqlite-agent-counts.js';

const AGENT = 'bench-agent';
const BATCH = 1000;

/**
 * Samples RSS and the JS heap every 5 ms while `fn` runs; returns its duration and the peak growth
 * of each (MiB). RSS also counts SQLite's page cache (64 MiB at most) and the pages of the database
 * file it maps (256 MiB at most) — file-backed, bounded; the heap is what memstrate itself holds.
 */
async function measured<T>(fn: () => Promise<T>): Promise<{ ms: number; peakMiB: number; heapMiB: number; value: T }> {
  globalThis.gc?.();
  const base = process.memoryUsage();
  let peak = base.rss;
  let heap = base.heapUsed;
  const sample = () => {
    const m = process.memoryUsage();
    peak = Math.max(peak, m.rss);
    heap = Math.max(heap, m.heapUsed);
  };
  const timer = setInterval(sample, 5);
  const t0 = performance.now();
  try {
    const value = await fn();
    sample();
    return { ms: performance.now() - t0, peakMiB: (peak - base.rss) / 1048576, heapMiB: (heap - base.heapUsed) / 1048576, value };
  } finally {
    clearInterval(timer);
  }
}

async function filled(path: string, n: number, dim: number): Promise<MemorySubstrate> {
  const model = new LatentModel(dim, 0xa2c);
  const vectors = model.sample(n, 1);
  const { texts } = makeTexts(new Vocabulary(20_000, 3), n, 4);
  const mem = await MemorySubstrate.open({ sqlitePath: path }, { env: {} });
  for (let start = 0; start < n; start += BATCH) await mem.semantic.rememberMany(memoryBatch(AGENT, texts, vectors, dim, start, start + BATCH));
  for (let i = 0; i < n / 100; i++) {
    await mem.structured.set(AGENT, `k${i}`, { i });
    await mem.knowledge.addEntity({ agentId: AGENT, entityType: 'concept', name: `e${i}` });
  }
  await mem.sessions.appendCanonical(AGENT, [{ role: 'user', content: 'hello' }]);
  return mem;
}

export async function archive(results: BenchResult[]): Promise<void> {
  const n = envInt('BENCH_N', 100_000);
  const dim = envInt('BENCH_DIM', 384, 384);
  const engine = engineDescription();
  const started = performance.now();
  console.log(`archive: ${n} memories × ${dim} dims (+ ${n / 100} KV entries and entities), SQLite files`);
  const { dir, cleanup } = tempDir('archive');
  try {
    // Peak RSS of an export at a quarter of the size, to compare with the full one.
    const small = await filled(`${dir}/small.db`, Math.max(1000, n / 4), dim);
    const smallExport = await measured(() => pipeline(small.export(), createWriteStream(`${dir}/small.ndjson`)));
    await small.close();
    progress(started, `export of ${n / 4}: peak RSS +${smallExport.peakMiB.toFixed(0)} MiB, heap +${smallExport.heapMiB.toFixed(0)} MiB`);
    const smallTarget = await MemorySubstrate.open({ sqlitePath: `${dir}/small-target.db` }, { env: {} });
    const smallImport = await measured(() => smallTarget.import(`${dir}/small.ndjson`));
    await smallTarget.close();
    progress(started, `import of ${n / 4}: peak RSS +${smallImport.peakMiB.toFixed(0)} MiB, heap +${smallImport.heapMiB.toFixed(0)} MiB`);

    const mem = await filled(`${dir}/mem.db`, n, dim);
    progress(started, 'loaded');
    const exported = await measured(() => pipeline(mem.export(), createWriteStream(`${dir}/archive.ndjson`)));
    await mem.close();
    const archiveBytes = statSync(`${dir}/archive.ndjson`).size;
    progress(started, `exported ${(archiveBytes / 1048576).toFixed(0)} MiB in ${exported.ms.toFixed(0)} ms, peak RSS +${exported.peakMiB.toFixed(0)} MiB`);

    // Raw export: the memories and their vectors, streamed row by row into NDJSON of the same shape.
    const rawExport = await measured(async () => {
      const db = new Database(`${dir}/mem.db`, { readonly: true });
      sqliteVec.load(db);
      const out = createWriteStream(`${dir}/raw.ndjson`);
      const rows = db.prepare('select m.*, v.embedding as vec from memories m left join memories_vec v on v.rowid = m.rowid').iterate() as IterableIterator<Record<string, unknown>>;
      for (const row of rows) {
        const vec = row['vec'] as Buffer | null;
        const line = JSON.stringify({ type: 'memory', ...row, vec: undefined, embedding: vec ? Array.from(new Float32Array(vec.buffer, vec.byteOffset, vec.byteLength / 4)) : null });
        if (!out.write(`${line}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
      }
      await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
      db.close();
    });
    progress(started, `raw export in ${rawExport.ms.toFixed(0)} ms`);

    const target = await MemorySubstrate.open({ sqlitePath: `${dir}/target.db` }, { env: {} });
    const imported = await measured(() => target.import(`${dir}/archive.ndjson`));
    await target.close();
    progress(started, `imported in ${imported.ms.toFixed(0)} ms, peak RSS +${imported.peakMiB.toFixed(0)} MiB, heap +${imported.heapMiB.toFixed(0)} MiB`);

    // Raw import: the same memory rows (parsed from the raw NDJSON) with their vectors and keyword
    // terms, 1,000 per transaction, into a fresh file with memstrate's schema.
    const fresh = await MemorySubstrate.open({ sqlitePath: `${dir}/raw-target.db` }, { env: {} });
    await fresh.semantic.remember({ agentId: 'seed', content: 'fixes the vector space', embedding: new Float32Array(dim).fill(1) });
    await fresh.close();
    const rawImport = await measured(async () => {
      const db = new Database(`${dir}/raw-target.db`);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      sqliteVec.load(db);
      const lines = createInterface({ input: createReadStream(`${dir}/raw.ndjson`), crlfDelay: Infinity });
      const insMemory = db.prepare(
        'insert into memories (id, agent_id, content, source, scope, metadata, confidence, created_at, accessed_at, access_count) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      );
      const insVec = db.prepare('insert into memories_vec (rowid, agent_id, embedding, scope, source, confidence, created_at) values (?, ?, ?, ?, ?, ?, ?)');
      const terms = rawKeywordWriter(db);
      const counts = new InsertedPerAgent();
      const batch = db.transaction((rows: Record<string, unknown>[]) => {
        for (const r of rows) {
          const { lastInsertRowid } = insMemory.run(r['id'], r['agent_id'], r['content'], r['source'], r['scope'], r['metadata'], r['confidence'], r['created_at'], r['accessed_at'], r['access_count']);
          if (Array.isArray(r['embedding'])) insVec.run(BigInt(lastInsertRowid), r['agent_id'], Buffer.from(Float32Array.from(r['embedding'] as number[]).buffer), r['scope'], r['source'], r['confidence'], BigInt(r['created_at'] as number));
          terms.add(lastInsertRowid, String(r['agent_id']), String(r['content']));
          counts.inserted(String(r['agent_id']));
        }
        counts.flush((sql) => db.prepare(sql));
        terms.flush();
      });
      let rows: Record<string, unknown>[] = [];
      for await (const line of lines) {
        if (!line) continue;
        rows.push(JSON.parse(line) as Record<string, unknown>);
        if (rows.length === BATCH) {
          batch(rows);
          rows = [];
        }
      }
      if (rows.length > 0) batch(rows);
      db.close();
    });
    progress(started, `raw import in ${rawImport.ms.toFixed(0)} ms`);

    const rate = (ms: number) => n / (ms / 1000);
    const size = `${n / 1000}k×${dim}`;
    results.push(
      { bench: 'archive', metric: `export ${size} (+ KV, entities, sessions, audit)`, measured: rate(exported.ms), unit: 'memories/s', baseline: { name: 'raw SELECT stream to NDJSON', value: rate(rawExport.ms) }, target: { on: 'ratio', op: '>=', value: 0.5 }, engine },
      { bench: 'archive', metric: `import ${size} (validate pass + write pass)`, measured: rate(imported.ms), unit: 'memories/s', baseline: { name: 'raw batched inserts (1,000/tx)', value: rate(rawImport.ms) }, target: { on: 'ratio', op: '>=', value: 0.5 }, engine },
      { bench: 'archive', metric: `export peak RSS growth at ${n / 1000}k`, measured: exported.peakMiB, unit: 'MiB', baseline: { name: `at ${n / 4000}k`, value: Math.max(1, smallExport.peakMiB) }, engine, note: 'streaming: flat with the store size' },
      { bench: 'archive', metric: `import peak RSS growth at ${n / 1000}k`, measured: imported.peakMiB, unit: 'MiB', baseline: { name: `at ${n / 4000}k`, value: Math.max(1, smallImport.peakMiB) }, engine, note: "includes SQLite's page cache (≤ 64 MiB) and mapped file pages (≤ 256 MiB)" },
      { bench: 'archive', metric: `export JS heap growth at ${n / 1000}k`, measured: exported.heapMiB, unit: 'MiB', baseline: { name: `at ${n / 4000}k`, value: Math.max(1, smallExport.heapMiB) }, engine },
      { bench: 'archive', metric: `import JS heap growth at ${n / 1000}k`, measured: imported.heapMiB, unit: 'MiB', baseline: { name: `at ${n / 4000}k`, value: Math.max(1, smallImport.heapMiB) }, engine, note: 'streaming: flat with the archive size' },
      { bench: 'archive', metric: 'archive size', measured: archiveBytes / 1048576, unit: 'MiB', engine },
    );
  } finally {
    cleanup();
  }
}
