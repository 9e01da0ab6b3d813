/**
 * pg-load — loading memories into `semantic_backend = "postgres"`: `rememberMany` (1000 per call)
 * against a raw `COPY … FROM STDIN` (text format) of the same rows into the same tables, in the same
 * run, batch by batch interleaved (the order alternates), so both see the same table sizes and the
 * same machine load. "The same rows" is what `rememberMany` stores: the memory row with its vector
 * and its keyword postings (`memory_terms`), with every index and constraint of the schema in place
 * except HNSW (dropped in both, as a bulk load would; pgvector's HNSW insert dominates otherwise).
 *
 * Target: rememberMany ≥ 0.5× the COPY rate. Also printed (info): COPY of the memory rows alone.
 *
 * Runs on the PostgreSQL server (MEMSTRATE_TEST_PG_URL) when it offers the `vector` extension,
 * else on PGlite + pgvector over a loopback socket; the engine line says which.
 * Env: BENCH_N (memories per contender, default 100000), BENCH_DIM (384).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { HNSW_INDEX, semanticTables, vectorLiteral } from '../src/backends/postgres/postgres-semantic-sql.js';
import { termWeights } from '../src/core/keyword-score.js';
import { MemorySubstrate } from '../src/index.js';
import { adminQuery, pgvectorTarget, stopPgliteServer } from '../test/harness/pglite-server.js';
import { LatentModel, makeTexts, memoryBatch, Vocabulary } from './data.js';
import { envInt, progress, tempDir, type BenchResult } from './lib.js';

const AGENT = 'bench-agent';
const BATCH = 1000;

type Batch = ReturnType<typeof memoryBatch>;

/** COPY text format: backslash, tab, newline and carriage return escaped. */
function copyText(s: string): string {
  return s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

async function copyInto(client: pg.Client, table: string, columns: string, lines: string[]): Promise<void> {
  const stream = client.query(copyFrom(`copy ${table} (${columns}) from stdin`));
  await pipeline(Readable.from([lines.join('')]), stream);
}

/** The rows rememberMany would store for `batch`, written by COPY: memories, then (unless `memoriesOnly`) their postings. */
async function copyBatch(client: pg.Client, schema: string, batch: Batch, memoriesOnly: boolean): Promise<void> {
  const t = semanticTables(schema);
  const now = Date.now();
  const memories: string[] = [];
  const terms: string[] = [];
  for (const m of batch) {
    const id = randomUUID();
    memories.push(`${id}\t${copyText(m.agentId)}\t${copyText(m.content)}\tconversation\tepisodic\t{}\t1\t${now}\t${now}\t0\t${vectorLiteral(m.embedding)}\n`);
    if (!memoriesOnly) for (const [term, weight] of termWeights(m.content)) terms.push(`${copyText(term)}\t${copyText(m.agentId)}\t${id}\t${weight}\n`);
  }
  await client.query('begin');
  await copyInto(client, t.memories, 'id, agent_id, content, source, scope, metadata, confidence, created_at, accessed_at, access_count, embedding', memories);
  if (terms.length > 0) await copyInto(client, t.terms, 'term, agent_id, memory_id, weight', terms);
  await client.query('commit');
}

export async function pgLoad(results: BenchResult[]): Promise<void> {
  const n = envInt('BENCH_N', 100_000);
  const dim = envInt('BENCH_DIM', 384, 384);
  const started = performance.now();
  const target = await pgvectorTarget();
  const engine = `${target.engine}; no HNSW index during the load; Node ${process.version}`;
  console.log(`pg-load: ${n} memories × ${dim} dims per contender, ${BATCH} per batch`);
  console.log(`  engine: ${engine}`);

  const vectors = new LatentModel(dim, 0x5eed).sample(n, 1);
  const { texts } = makeTexts(new Vocabulary(20_000, 3), n, 4);
  const batchOf = (start: number) => memoryBatch(AGENT, texts, vectors, dim, start, start + BATCH);
  progress(started, 'data generated');

  const { dir, cleanup } = tempDir('pg-load');
  const names = ['remember', 'copy', 'copymem'].map((c) => `bench_${c}_${randomBytes(4).toString('hex')}`);
  const subs: MemorySubstrate[] = [];
  const client = new pg.Client({ connectionString: target.url });
  client.on('error', () => {});
  await client.connect();
  try {
    // Each schema: opened by memstrate (migrations, the space fixed by a first batch), HNSW dropped.
    for (const [i, schema] of names.entries()) {
      const mem = await MemorySubstrate.open(
        { sqlitePath: `${dir}/main${i}.db`, semanticBackend: 'postgres', semanticPostgresUrl: target.url, postgresSchema: schema, postgresPoolSize: 2 },
        { env: {} },
      );
      subs.push(mem);
      await mem.semantic.rememberMany(batchOf(0));
      await client.query(`drop index "${schema}".${HNSW_INDEX}`);
    }
    const [remember] = subs as [MemorySubstrate];
    const contenders = [
      { name: 'rememberMany', run: (b: Batch) => remember.semantic.rememberMany(b) },
      { name: 'COPY memories + postings', run: (b: Batch) => copyBatch(client, names[1] as string, b, false) },
      { name: 'COPY memories only', run: (b: Batch) => copyBatch(client, names[2] as string, b, true) },
    ];
    const seconds = contenders.map(() => 0);
    let loaded = 0;
    for (let start = BATCH; start < n; start += BATCH) {
      const batch = batchOf(start);
      for (let j = 0; j < contenders.length; j++) {
        const c = (j + start / BATCH) % contenders.length;
        const t0 = performance.now();
        await (contenders[c] as (typeof contenders)[number]).run(batch);
        seconds[c] = (seconds[c] as number) + (performance.now() - t0) / 1000;
      }
      loaded += batch.length;
      if ((start / BATCH) % 20 === 0) progress(started, `loaded ${start + batch.length} rows into each`);
    }
    const rates = seconds.map((s) => loaded / s);
    contenders.forEach((c, j) => console.log(`    ${c.name.padEnd(26)} ${Math.round(rates[j] as number)} rows/s`));
    const [rm, copy, copyMem] = rates as [number, number, number];
    results.push(
      { bench: 'pg-load', metric: `rememberMany rate (${n / 1000}k×${dim})`, measured: rm, unit: 'rows/s', baseline: { name: 'COPY of the same memories + postings', value: copy }, target: { on: 'ratio', op: '>=', value: 0.5 }, engine },
      { bench: 'pg-load', metric: 'COPY of the memory rows alone', measured: copyMem, unit: 'rows/s', engine, note: `rememberMany is ${(rm / copyMem).toFixed(2)}× this` },
    );
  } finally {
    await client.end().catch(() => {});
    for (const mem of subs) await mem.close().catch(() => {});
    for (const schema of names) await adminQuery(target.url, `drop schema if exists "${schema}" cascade`).catch(() => {});
    cleanup();
    if (target.kind === 'pglite') await stopPgliteServer();
  }
}
