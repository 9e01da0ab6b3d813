/**
 * audit — the hash-chained audit log (performance anchors §3, §6.8):
 * 1. append throughput (sequential awaits) vs a raw autocommit insert of the same row into a table
 *    of the same shape, with node:crypto SHA-256 over a similar payload (tip kept in memory) —
 *    target ≥ 0.5× raw;
 * 2. full-chain verification rate of `mem.audit.verify()` over N entries — target ≥ 100k entries/s
 *    (a raw iterate + re-hash with the same hashEntry is printed as the baseline);
 * 3. open() time with 1M entries once a verified checkpoint exists — target < 1 s (the first open,
 *    which verifies everything and records the checkpoint, is the baseline);
 * 4. the chain's hash library: SHA-256 and HMAC-SHA-256 of the same encoded entries with
 *    node:crypto (what hashEntry uses) and with @noble/hashes (the design card's choice) — the
 *    digests are checked equal, the rates printed side by side (info; it decides which one the
 *    chain uses).
 * Long chains are bulk-inserted directly with better-sqlite3 (valid chain via hashEntry, anchor file
 * written alongside), so building them does not dominate the run.
 *
 * Env: BENCH_AUDIT_APPEND_N (appends per run, default 20000), BENCH_AUDIT_VERIFY_N (100000),
 *      BENCH_AUDIT_OPEN_N (1000000), BENCH_RUNS.
 */
import { createHash, createHmac } from 'node:crypto';
import { hmac as nobleHmac } from '@noble/hashes/hmac';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2';
import { bytesToHex } from '@noble/hashes/utils';
import { writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { GENESIS_HASH, hashEntry, MemorySubstrate } from '../src/index.js';
import { compareRate, compareThroughput, engineDescription, envInt, median, openRawSqlite, progress, RUNS, tempDir, type BenchResult } from './lib.js';

const AUDIT_TABLE = `create table audit_entries (
  seq integer primary key, timestamp integer not null, agent_id text not null, action text not null,
  detail text not null, outcome text not null, prev_hash text not null, hash text not null);
  create index audit_agent on audit_entries(agent_id, seq);`;

/** A facade-like audit entry (≈ 290 bytes with its hashes). */
function entryFields(i: number): { agentId: string; action: string; detail: string; outcome: string } {
  return {
    agentId: `agent-${i % 8}`,
    action: 'kv.set',
    detail: JSON.stringify({ key: `preferences/user-${i % 1000}/notification-settings`, version: 1 + (i >> 10), note: 'updated by the scheduler' }),
    outcome: 'ok',
  };
}

/**
 * Creates a migrated substrate database at `path` holding a valid chain of `n` entries (seq 1..n)
 * and the matching anchor file; returns the tip hash.
 */
async function buildChain(path: string, n: number): Promise<string> {
  const mem = await MemorySubstrate.open({ sqlitePath: path }, { env: {} });
  await mem.close();
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const ins = db.prepare(
    'insert into audit_entries (seq, timestamp, agent_id, action, detail, outcome, prev_hash, hash) values (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  let prevHash = GENESIS_HASH;
  const t0 = 1_763_000_000_000;
  db.transaction(() => {
    for (let seq = 1; seq <= n; seq++) {
      const base = { seq, timestamp: t0 + seq, ...entryFields(seq), prevHash };
      const hash = hashEntry(base);
      ins.run(seq, base.timestamp, base.agentId, base.action, base.detail, base.outcome, prevHash, hash);
      prevHash = hash;
    }
  })();
  // The log's identity was created by the open above; the anchor is bound to it.
  const { value: chain } = db.prepare("select value from meta where key = 'audit.chain_id'").get() as { value: string };
  db.close();
  writeFileSync(`${path}.audit-anchor`, JSON.stringify({ version: 1, chain, seq: n, hash: prevHash }));
  return prevHash;
}

export async function audit(results: BenchResult[]): Promise<void> {
  const appendN = envInt('BENCH_AUDIT_APPEND_N', 20_000, 4_000);
  const verifyN = envInt('BENCH_AUDIT_VERIFY_N', 100_000, 20_000);
  const openN = envInt('BENCH_AUDIT_OPEN_N', 1_000_000, 100_000);
  const runs = RUNS();
  const engine = engineDescription();
  const started = performance.now();
  console.log(`audit: ${appendN} appends per run; verify ${verifyN} entries; open() with ${openN} entries; ${runs} runs`);
  const { dir, cleanup } = tempDir('audit');
  try {
    // ── 1. append ──
    {
      const mem = await MemorySubstrate.open({ sqlitePath: `${dir}/append.db` }, { env: {} });
      const raw = openRawSqlite(`${dir}/append-raw.db`);
      try {
        raw.exec(AUDIT_TABLE);
        const ins = raw.prepare(
          'insert into audit_entries (seq, timestamp, agent_id, action, detail, outcome, prev_hash, hash) values (?, ?, ?, ?, ?, ?, ?, ?)',
        );
        let rawTip = { seq: 0, hash: GENESIS_HASH };
        let memSeq = 0;
        const stats = await compareRate(
          [
            {
              name: 'memstrate append',
              chunk: async (start, count) => {
                for (let i = start; i < start + count; i++) memSeq = (await mem.audit.append(entryFields(i))).seq;
              },
            },
            {
              name: 'raw insert',
              chunk: (start, count) => {
                for (let i = start; i < start + count; i++) {
                  const f = entryFields(i);
                  const seq = rawTip.seq + 1;
                  const ts = Date.now();
                  const hash = createHash('sha256').update(rawTip.hash).update(`${seq}\n${ts}\n${f.agentId}\n${f.action}\n${f.detail}\n${f.outcome}`).digest('hex');
                  ins.run(seq, ts, f.agentId, f.action, f.detail, f.outcome, rawTip.hash, hash);
                  rawTip = { seq, hash };
                }
              },
            },
          ],
          { total: appendN, chunk: 1000, runs },
        );
        const m = stats.get('memstrate append') as { opsPerSec: number; spread: number };
        const r = stats.get('raw insert') as { opsPerSec: number; spread: number };
        progress(started, `append: memstrate ${Math.round(m.opsPerSec)}/s (spread ${(m.spread * 100).toFixed(0)} %), raw ${Math.round(r.opsPerSec)}/s (spread ${(r.spread * 100).toFixed(0)} %); log at seq ${memSeq}`);
        results.push({
          bench: 'audit', metric: 'append, 1 per txn (sequential awaits)', measured: m.opsPerSec, unit: 'entries/s',
          baseline: { name: 'raw insert + sha256, autocommit', value: r.opsPerSec }, target: { on: 'ratio', op: '>=', value: 0.5 }, engine,
        });
      } finally {
        raw.close();
        await mem.close();
      }
    }

    // ── 4. hash library: node:crypto vs @noble/hashes, same digests ──
    {
      const n = Math.max(20_000, Math.floor(appendN));
      const encoder = new TextEncoder();
      const payloads = Array.from({ length: 1000 }, (_, i) => encoder.encode(`memstrate.audit.v1\n${i}|${JSON.stringify(entryFields(i))}|${GENESIS_HASH}`));
      const key = encoder.encode('a-benchmark-hmac-key-of-32-bytes!');
      const nodeKey = Buffer.from(key);
      for (const p of payloads.slice(0, 50)) {
        if (createHash('sha256').update(p).digest('hex') !== bytesToHex(nobleSha256(p))) throw new Error('sha256 digests differ');
        if (createHmac('sha256', nodeKey).update(p).digest('hex') !== bytesToHex(nobleHmac(nobleSha256, key, p))) throw new Error('hmac digests differ');
      }
      let sink = 0;
      const stats = await compareRate(
        [
          { name: 'node sha256', chunk: (start, count) => { for (let i = start; i < start + count; i++) sink += createHash('sha256').update(payloads[i % 1000] as Uint8Array).digest('hex').length; } },
          { name: 'noble sha256', chunk: (start, count) => { for (let i = start; i < start + count; i++) sink += bytesToHex(nobleSha256(payloads[i % 1000] as Uint8Array)).length; } },
          { name: 'node hmac', chunk: (start, count) => { for (let i = start; i < start + count; i++) sink += createHmac('sha256', nodeKey).update(payloads[i % 1000] as Uint8Array).digest('hex').length; } },
          { name: 'noble hmac', chunk: (start, count) => { for (let i = start; i < start + count; i++) sink += bytesToHex(nobleHmac(nobleSha256, key, payloads[i % 1000] as Uint8Array)).length; } },
        ],
        { total: n, chunk: 1000, runs },
      );
      const rate = (name: string) => (stats.get(name) as { opsPerSec: number }).opsPerSec;
      progress(started, `hash library: node sha256 ${Math.round(rate('node sha256'))}/s, noble ${Math.round(rate('noble sha256'))}/s; node hmac ${Math.round(rate('node hmac'))}/s, noble ${Math.round(rate('noble hmac'))}/s (checksum ${sink})`);
      results.push(
        { bench: 'audit', metric: 'entry hash, @noble/hashes sha256', measured: rate('noble sha256'), unit: 'hashes/s', baseline: { name: 'node:crypto sha256', value: rate('node sha256') }, engine, note: 'same digests' },
        { bench: 'audit', metric: 'entry hash, @noble/hashes hmac-sha256', measured: rate('noble hmac'), unit: 'hashes/s', baseline: { name: 'node:crypto hmac-sha256', value: rate('node hmac') }, engine, note: 'same digests' },
      );
    }

    // ── 2. verify ──
    {
      const path = `${dir}/verify.db`;
      await buildChain(path, verifyN);
      progress(started, `verify: chain of ${verifyN} built`);
      const mem = await MemorySubstrate.open({ sqlitePath: path }, { env: {} });
      const raw = openRawSqlite(path);
      try {
        const scan = raw.prepare('select * from audit_entries order by seq');
        const stats = await compareThroughput(
          [
            {
              name: 'memstrate verify',
              body: async () => {
                const report = await mem.audit.verify();
                if (report.entries !== verifyN) throw new Error(`verify saw ${report.entries} entries, expected ${verifyN}`);
                return report.entries;
              },
            },
            {
              name: 'raw iterate + rehash',
              body: () => {
                let prev = GENESIS_HASH;
                let count = 0;
                for (const row of scan.iterate() as Iterable<{ seq: number; timestamp: number; agent_id: string; action: string; detail: string; outcome: string; prev_hash: string; hash: string }>) {
                  const h = hashEntry({ seq: row.seq, timestamp: row.timestamp, agentId: row.agent_id, action: row.action, detail: row.detail, outcome: row.outcome, prevHash: row.prev_hash });
                  if (row.prev_hash !== prev || h !== row.hash) throw new Error(`raw verify: chain broken at ${row.seq}`);
                  prev = h;
                  count++;
                }
                return count;
              },
            },
          ],
          { runs, warmup: 1 },
        );
        const m = stats.get('memstrate verify') as { opsPerSec: number; spread: number };
        const r = stats.get('raw iterate + rehash') as { opsPerSec: number; spread: number };
        progress(started, `verify: memstrate ${Math.round(m.opsPerSec)}/s (spread ${(m.spread * 100).toFixed(0)} %), raw ${Math.round(r.opsPerSec)}/s`);
        results.push({
          bench: 'audit', metric: `verify() full chain, ${verifyN / 1000}k entries`, measured: m.opsPerSec, unit: 'entries/s',
          baseline: { name: 'raw iterate + rehash', value: r.opsPerSec }, target: { on: 'value', op: '>=', value: 100_000 }, engine,
        });
      } finally {
        raw.close();
        await mem.close();
      }
    }

    // ── 3. open() with a long, checkpointed log ──
    {
      const path = `${dir}/open.db`;
      await buildChain(path, openN);
      progress(started, `open: chain of ${openN} built`);
      let t = performance.now();
      const first = await MemorySubstrate.open({ sqlitePath: path }, { env: {} });
      const firstMs = performance.now() - t;
      await first.close();
      progress(started, `open: first open (full verification + checkpoint) ${firstMs.toFixed(0)} ms`);
      const times: number[] = [];
      for (let i = 0; i < 3; i++) {
        t = performance.now();
        const again = await MemorySubstrate.open({ sqlitePath: path }, { env: {} });
        times.push(performance.now() - t);
        const tip = await again.audit.tip();
        await again.close();
        if (tip.seq !== openN) throw new Error(`reopened log has ${tip.seq} entries, expected ${openN}`);
      }
      const secondMs = median(times);
      progress(started, `open: later opens ${times.map((x) => x.toFixed(1)).join(', ')} ms`);
      results.push({
        bench: 'audit', metric: `open() with ${openN / 1e6}M entries, checkpoint present`, measured: secondMs, unit: 'ms',
        baseline: { name: 'first open', value: firstMs }, target: { on: 'value', op: '<', value: 1000 }, engine,
      });
      results.push({
        bench: 'audit', metric: `first open() with ${openN / 1e6}M entries (verifies all)`, measured: firstMs, unit: 'ms', engine,
        note: `${Math.round(openN / (firstMs / 1000))} entries/s`,
      });
    }
  } finally {
    cleanup();
  }
}
