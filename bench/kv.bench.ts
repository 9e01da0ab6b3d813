/**
 * kv — structured-store get and set (random keys over a populated key space, ~232-byte JSON
 * values, sequential awaits, interleaved with the baseline in slices of 1000 ops) against raw prepared better-sqlite3 statements on a WITHOUT ROWID
 * table of the same shape as the substrate's `kv` table: get = stmt.get + JSON.parse, set =
 * JSON.stringify + upsert returning the new version (autocommit). Target (anchors §6.7):
 * ≥ 0.5× raw ops/s for both. Every memstrate set also appends its audit entry, so a second baseline
 * shows the floor of an audited write: the raw upsert plus an audit row (tip read, SHA-256, insert)
 * in one transaction (info).
 *
 * Env: BENCH_KV_KEYS (key space, default 100000), BENCH_KV_GETS (gets per run, default 50000),
 *      BENCH_KV_SETS (sets per run, default 20000), BENCH_RUNS.
 */
import { createHash } from 'node:crypto';
import { MemorySubstrate } from '../src/index.js';
import type { JsonValue } from '../src/index.js';
import { compareRate, engineDescription, envInt, openRawSqlite, progress, Rng, RUNS, tempDir, type BenchResult } from './lib.js';

const AGENT = 'bench-agent';
/** Operations per interleaved slice (memstrate and raw alternate every CHUNK operations). */
const CHUNK = 1000;

/** A JSON value of about 232 bytes, different for each `i`. */
export function kvValue(i: number, rng: Rng): JsonValue {
  return {
    id: i,
    name: `user-preference-${i.toString(36)}`,
    enabled: rng.next() < 0.5,
    score: Math.round(rng.next() * 1e6) / 1e3,
    tags: ['alpha', 'beta', `t${rng.int(1000)}`],
    note: `remember to follow up on item ${rng.int(1_000_000)} before the weekly planning sync meeting; owner: agent ${rng.int(100)}`,
    updated: 1_763_000_000_000 + rng.int(1e9),
  };
}

export async function kv(results: BenchResult[]): Promise<void> {
  const keys = envInt('BENCH_KV_KEYS', 100_000);
  const gets = envInt('BENCH_KV_GETS', 50_000);
  const sets = envInt('BENCH_KV_SETS', 20_000);
  const runs = RUNS();
  const engine = engineDescription();
  const started = performance.now();

  const rng = new Rng(21);
  const keyName = (k: number) => `key:${k.toString().padStart(7, '0')}`;
  const values = Array.from({ length: keys }, (_, i) => kvValue(i, rng));
  const avgBytes = values.reduce<number>((s, v) => s + Buffer.byteLength(JSON.stringify(v)), 0) / keys;
  const pool = Array.from({ length: 1000 }, (_, i) => kvValue(keys + i, rng));
  const getKeys = Array.from({ length: gets }, () => keyName(rng.int(keys)));
  const setKeys = Array.from({ length: sets }, () => keyName(rng.int(keys)));
  console.log(`kv: ${keys} keys, values ≈ ${Math.round(avgBytes)} bytes JSON; ${gets} random gets and ${sets} random sets per run, ${runs} runs`);

  const { dir, cleanup } = tempDir('kv');
  const mem = await MemorySubstrate.open({ sqlitePath: `${dir}/mem.db` }, { env: {} });
  // The same store with durability = "full" (synchronous=FULL: every commit synced), for its cost.
  const memFull = await MemorySubstrate.open({ sqlitePath: `${dir}/mem-full.db`, durability: 'full' }, { env: {} });
  const raw = openRawSqlite(`${dir}/raw.db`);
  try {
    raw.exec(`create table kv (agent_id text not null, key text not null, value text not null, version integer not null,
      updated_at integer not null, primary key (agent_id, key)) without rowid`);
    raw.exec('create table audit (seq integer primary key, prev_hash text not null, hash text not null, detail text not null)');
    const rawTip = raw.prepare<[], { seq: number; hash: string }>('select seq, hash from audit order by seq desc limit 1');
    const rawAudit = raw.prepare<[number, string, string, string]>('insert into audit (seq, prev_hash, hash, detail) values (?, ?, ?, ?)');
    const rawBegin = raw.prepare('begin immediate');
    const rawCommit = raw.prepare('commit');
    const rawGet = raw.prepare<[string, string], { value: string }>('select value from kv where agent_id = ? and key = ?');
    // Run with .all(): with better-sqlite3, .get()/.run() on a RETURNING statement leaves it
    // unfinished, so the WAL auto-checkpoint never runs and the WAL grows without bound (≈ 4 KB per
    // upsert) — faster per call, but not a sustainable steady state, and later reads slow down ~2×.
    const rawSet = raw.prepare<[string, string, string, number], { version: number }>(
      `insert into kv (agent_id, key, value, version, updated_at) values (?, ?, ?, 1, ?)
       on conflict (agent_id, key) do update set value = excluded.value, version = kv.version + 1, updated_at = excluded.updated_at
       returning version`,
    );
    // Both tables are filled the same way (one autocommit upsert per key, in key order), so their
    // B-trees and WAL histories match.
    for (let k = 0; k < keys; k++) rawSet.all(AGENT, keyName(k), JSON.stringify(values[k]), Date.now());
    progress(started, 'raw table populated (sequential upserts)');
    for (let k = 0; k < keys; k++) await mem.structured.set(AGENT, keyName(k), values[k] as JsonValue);
    progress(started, 'memstrate populated (sequential set)');
    for (let k = 0; k < keys; k++) await memFull.structured.set(AGENT, keyName(k), values[k] as JsonValue);
    progress(started, 'memstrate (durability full) populated');

    let sink = 0;
    const getStats = await compareRate(
      [
        {
          name: 'memstrate get',
          chunk: async (start, count) => {
            for (let i = start; i < start + count; i++) if ((await mem.structured.get(AGENT, getKeys[i] as string)) !== undefined) sink++;
          },
        },
        {
          name: 'raw get',
          chunk: (start, count) => {
            for (let i = start; i < start + count; i++) {
              const r = rawGet.get(AGENT, getKeys[i] as string);
              if (r && JSON.parse(r.value) !== undefined) sink++;
            }
          },
        },
      ],
      { total: gets, chunk: CHUNK, runs },
    );
    progress(started, 'gets timed');
    const setStats = await compareRate(
      [
        {
          name: 'memstrate set',
          chunk: async (start, count) => {
            for (let i = start; i < start + count; i++) sink += await mem.structured.set(AGENT, setKeys[i] as string, pool[i % pool.length] as JsonValue);
          },
        },
        {
          name: 'memstrate set full',
          chunk: async (start, count) => {
            for (let i = start; i < start + count; i++) sink += await memFull.structured.set(AGENT, setKeys[i] as string, pool[i % pool.length] as JsonValue);
          },
        },
        {
          name: 'raw set',
          chunk: (start, count) => {
            for (let i = start; i < start + count; i++) {
              sink += (rawSet.all(AGENT, setKeys[i] as string, JSON.stringify(pool[i % pool.length]), Date.now())[0] as { version: number }).version;
            }
          },
        },
        {
          name: 'raw set+audit',
          chunk: (start, count) => {
            for (let i = start; i < start + count; i++) {
              const key = setKeys[i] as string;
              rawBegin.run();
              const version = (rawSet.all(AGENT, key, JSON.stringify(pool[i % pool.length]), Date.now())[0] as { version: number }).version;
              const tip = rawTip.get();
              const seq = (tip?.seq ?? 0) + 1;
              const detail = JSON.stringify({ key, version });
              const hash = createHash('sha256').update(`${seq}|${tip?.hash ?? ''}|${detail}`).digest('hex');
              rawAudit.run(seq, tip?.hash ?? '', hash, detail);
              rawCommit.run();
              sink += version;
            }
          },
        },
      ],
      { total: sets, chunk: CHUNK, runs },
    );
    progress(started, `sets timed (checksum ${sink})`);
    for (const [name, s] of [...getStats, ...setStats]) console.log(`    ${name.padEnd(14)} ${Math.round(s.opsPerSec)} ops/s  (${(1e6 / s.opsPerSec).toFixed(2)} µs/op)  spread ${(s.spread * 100).toFixed(0)} %`);

    const rate = (m: Map<string, { opsPerSec: number }>, name: string) => (m.get(name) as { opsPerSec: number }).opsPerSec;
    const tgt = { on: 'ratio', op: '>=', value: 0.5 } as const;
    results.push(
      { bench: 'kv', metric: `get, random key of ${keys / 1000}k`, measured: rate(getStats, 'memstrate get'), unit: 'ops/s', baseline: { name: 'raw prepared get', value: rate(getStats, 'raw get') }, target: tgt, engine },
      { bench: 'kv', metric: `set (upsert), random key of ${keys / 1000}k`, measured: rate(setStats, 'memstrate set'), unit: 'ops/s', baseline: { name: 'raw prepared upsert', value: rate(setStats, 'raw set') }, target: tgt, engine },
      { bench: 'kv', metric: 'set (upsert) — floor of an audited write', measured: rate(setStats, 'raw set+audit'), unit: 'ops/s', baseline: { name: 'raw prepared upsert', value: rate(setStats, 'raw set') }, engine },
      { bench: 'kv', metric: 'set (upsert, audited)', measured: rate(setStats, 'memstrate set'), unit: 'ops/s', baseline: { name: 'raw upsert + audit row, one txn', value: rate(setStats, 'raw set+audit') }, engine },
      { bench: 'kv', metric: 'set, durability = "full"', measured: rate(setStats, 'memstrate set full'), unit: 'ops/s', baseline: { name: 'set, durability "normal"', value: rate(setStats, 'memstrate set') }, engine: `${engine}; synchronous=FULL` },
    );
  } finally {
    raw.close();
    await mem.close();
    await memFull.close();
    cleanup();
  }
}
