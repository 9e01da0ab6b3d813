/**
 * Shared helpers for the benchmark suite: configuration from the environment, a seeded PRNG,
 * timing (warm-up, interleaved rounds, median of runs, p50/p95 over individual samples), result
 * rows with ratio/target/PASS-MISS, and the engine description printed next to every number.
 *
 * Absolute times drift ~12 % between runs on the reference VM, so every benchmark compares against
 * a baseline measured in the same run on the same data and reports the ratio.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { KeywordRunWriter } from '../src/backends/sqlite/sqlite-keyword-runs.js';

// ── configuration ────────────────────────────────────────────────────────────────────────────

/** `BENCH_QUICK=1` divides every default size by 10 (a smoke run); explicit env values win. */
export const QUICK = process.env.BENCH_QUICK === '1';

/** A positive integer from the environment, or the default (scaled down under BENCH_QUICK). */
export function envInt(name: string, defaultValue: number, quickValue = Math.max(1, Math.round(defaultValue / 10))): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return QUICK ? quickValue : defaultValue;
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

/** How many measured runs each comparison takes the median over (BENCH_RUNS, default 5). */
export const RUNS = (): number => envInt('BENCH_RUNS', 5, 3);

// ── deterministic randomness ─────────────────────────────────────────────────────────────────

/** mulberry32: a small, fast, seeded 32-bit PRNG; `next()` is uniform in [0, 1). */
export class Rng {
  private state: number;
  private spare: number | undefined;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** Standard normal (Box–Muller, caching the second value). */
  gauss(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
}

// ── statistics and timing ────────────────────────────────────────────────────────────────────

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx] as number;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export interface LatencyStats {
  /** Over every individual sample of every measured run (ms). */
  p50: number;
  p95: number;
  /** Median over runs of the per-run mean (ms). */
  mean: number;
  /** (max − min) / median of the per-run means. */
  spread: number;
  samples: number;
}

export function latencyStats(samples: readonly number[], runMeans: readonly number[]): LatencyStats {
  const sorted = [...samples].sort((a, b) => a - b);
  const m = median(runMeans);
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    mean: m,
    spread: runMeans.length > 1 ? (Math.max(...runMeans) - Math.min(...runMeans)) / m : 0,
    samples: sorted.length,
  };
}

/** Lets pending setImmediate work (e.g. write-behind access bumps) run outside the timed region. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export interface LatencyContender {
  name: string;
  /** One timed operation (e.g. one query); `i` indexes the workload. */
  op: (i: number) => unknown | Promise<unknown>;
}

/**
 * Per-operation latency of several contenders on the same workload, interleaved per operation
 * (op i runs for every contender, in an order rotated by i, before op i+1) so that load from other
 * processes hits all contenders alike. `warmup` untimed passes come first; each of `runs` measured
 * passes yields one per-run mean per contender. Between ops, pending setImmediate work (e.g. a
 * write-behind access bump) runs untimed.
 */
export async function compareLatency(
  contenders: readonly LatencyContender[],
  options: { count: number; runs: number; warmup?: number },
): Promise<Map<string, LatencyStats>> {
  const { count, runs } = options;
  const warmup = options.warmup ?? 1;
  const m = contenders.length;
  const samples: number[][] = contenders.map(() => []);
  const means: number[][] = contenders.map(() => []);
  for (let r = 0; r < warmup + runs; r++) {
    const totals = new Array<number>(m).fill(0);
    for (let i = 0; i < count; i++) {
      for (let j = 0; j < m; j++) {
        const c = (i + r + j) % m;
        const contender = contenders[c] as LatencyContender;
        const t0 = performance.now();
        await contender.op(i);
        const dt = performance.now() - t0;
        await settle();
        if (r >= warmup) {
          (samples[c] as number[]).push(dt);
          totals[c] = (totals[c] as number) + dt;
        }
      }
    }
    if (r >= warmup) totals.forEach((t, c) => (means[c] as number[]).push(t / count));
  }
  const out = new Map<string, LatencyStats>();
  contenders.forEach((c, j) => out.set(c.name, latencyStats(samples[j] as number[], means[j] as number[])));
  return out;
}

export interface ThroughputContender {
  name: string;
  /** Called once per run, untimed (fresh table, fresh data …). */
  setup?: (run: number) => unknown | Promise<unknown>;
  /** The timed body; returns how many operations it did. */
  body: (run: number) => number | Promise<number>;
  /** Called once per run after the body, untimed. */
  teardown?: (run: number) => unknown | Promise<unknown>;
}

export interface ThroughputStats {
  /** Median over runs of ops/s. */
  opsPerSec: number;
  spread: number;
  runs: number[];
}

/** Median ops/s of several contenders measured in interleaved runs (plus `warmup` untimed runs each). */
export async function compareThroughput(
  contenders: readonly ThroughputContender[],
  options: { runs: number; warmup?: number },
): Promise<Map<string, ThroughputStats>> {
  const rates = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  const warmup = options.warmup ?? 1;
  let runNo = 0;
  for (let r = 0; r < warmup + options.runs; r++) {
    const order = r % 2 === 0 ? contenders : [...contenders].reverse();
    for (const c of order) {
      const run = runNo++;
      await c.setup?.(run);
      const t0 = performance.now();
      const ops = await c.body(run);
      const dt = performance.now() - t0;
      await c.teardown?.(run);
      await settle();
      if (r >= warmup) (rates.get(c.name) as number[]).push(ops / (dt / 1000));
    }
  }
  const out = new Map<string, ThroughputStats>();
  for (const c of contenders) {
    const rs = rates.get(c.name) as number[];
    const m = median(rs);
    out.set(c.name, { opsPerSec: m, spread: rs.length > 1 ? (Math.max(...rs) - Math.min(...rs)) / m : 0, runs: rs });
  }
  return out;
}

export interface RateContender {
  name: string;
  /** Performs operations start … start+count−1 of the workload (timed). */
  chunk: (start: number, count: number) => unknown | Promise<unknown>;
}

/**
 * Ops/s of several contenders over the same `total`-operation workload, interleaved in chunks of
 * `chunk` operations (chunk c runs for every contender, order rotated, before chunk c+1), so load
 * from other processes hits all contenders alike. One untimed warm-up pass, then `runs` measured
 * passes; the result is the median over passes.
 */
export async function compareRate(
  contenders: readonly RateContender[],
  options: { total: number; chunk: number; runs: number; warmup?: number },
): Promise<Map<string, ThroughputStats>> {
  const { total, chunk, runs } = options;
  const warmup = options.warmup ?? 1;
  const m = contenders.length;
  const rates: number[][] = contenders.map(() => []);
  for (let r = 0; r < warmup + runs; r++) {
    const times = new Array<number>(m).fill(0);
    let c = 0;
    for (let start = 0; start < total; start += chunk, c++) {
      const count = Math.min(chunk, total - start);
      for (let j = 0; j < m; j++) {
        const k = (c + r + j) % m;
        const t0 = performance.now();
        await (contenders[k] as RateContender).chunk(start, count);
        times[k] = (times[k] as number) + (performance.now() - t0);
        await settle();
      }
    }
    if (r >= warmup) times.forEach((t, k) => (rates[k] as number[]).push(total / (t / 1000)));
  }
  const out = new Map<string, ThroughputStats>();
  contenders.forEach((c, k) => {
    const rs = rates[k] as number[];
    const med = median(rs);
    out.set(c.name, { opsPerSec: med, spread: rs.length > 1 ? (Math.max(...rs) - Math.min(...rs)) / med : 0, runs: rs });
  });
  return out;
}

// ── results ──────────────────────────────────────────────────────────────────────────────────

export interface Target {
  /** What the target is compared with: the ratio to the baseline, or the measured value itself. */
  on: 'ratio' | 'value';
  op: '<=' | '>=' | '<';
  value: number;
}

export interface BenchResult {
  bench: string;
  metric: string;
  measured: number;
  unit: string;
  /** Absent for metrics with an absolute target only. */
  baseline?: { name: string; value: number };
  target?: Target;
  /** Which engine/configuration produced the numbers. */
  engine: string;
  note?: string;
}

export function ratioOf(r: BenchResult): number | undefined {
  return r.baseline ? r.measured / r.baseline.value : undefined;
}

export function verdict(r: BenchResult): 'PASS' | 'MISS' | 'info' {
  if (!r.target) return 'info';
  const x = r.target.on === 'ratio' ? ratioOf(r) : r.measured;
  if (x === undefined || Number.isNaN(x)) return 'MISS';
  const { op, value } = r.target;
  const ok = op === '<=' ? x <= value : op === '>=' ? x >= value : x < value;
  return ok ? 'PASS' : 'MISS';
}

export function fmt(x: number, unit = ''): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  const s = a >= 100_000 ? Math.round(x).toLocaleString('en-US') : a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : a >= 1 ? x.toFixed(2) : x.toFixed(3);
  return unit ? `${s} ${unit}` : s;
}

export function targetText(t: Target | undefined, unit: string): string {
  if (!t) return '—';
  return t.on === 'ratio' ? `${t.op} ${t.value}×` : `${t.op} ${fmt(t.value, unit)}`;
}

/** One line per result, printed as soon as a benchmark finishes. */
export function printResults(results: readonly BenchResult[]): void {
  for (const r of results) {
    const ratio = ratioOf(r);
    const base = r.baseline ? `  vs ${r.baseline.name} ${fmt(r.baseline.value, r.unit)} → ratio ${fmt(ratio as number)}×` : '';
    const tgt = r.target ? `  target ${targetText(r.target, r.unit)}  ${verdict(r)}` : '';
    console.log(`  ${r.metric}: ${fmt(r.measured, r.unit)}${base}${tgt}${r.note ? `  (${r.note})` : ''}`);
  }
}

/** The final summary: benchmark, measured, baseline, ratio, target, PASS/MISS. */
export function summaryTable(results: readonly BenchResult[]): string {
  const header = ['benchmark', 'measured', 'baseline', 'ratio', 'target', 'result'];
  const rows = results.map((r) => {
    const ratio = ratioOf(r);
    return [
      `${r.bench}: ${r.metric}`,
      fmt(r.measured, r.unit),
      r.baseline ? `${fmt(r.baseline.value, r.unit)} (${r.baseline.name})` : '—',
      ratio === undefined ? '—' : `${fmt(ratio)}×`,
      targetText(r.target, r.unit),
      verdict(r),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line)].join('\n');
}

// ── environment: temp dirs, raw SQLite connections, engine description ──────────────────────

/** A fresh temporary directory; removed by the returned cleanup unless BENCH_KEEP=1. */
export function tempDir(label: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `memstrate-bench-${label}-`));
  return {
    dir,
    cleanup: () => {
      if (process.env.BENCH_KEEP === '1') console.log(`  (kept ${dir})`);
      else rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** memstrate's keyword postings writer (sqlite-keyword-runs.ts) on a raw connection, its statements prepared once: what a raw baseline writes for the keyword index. */
export function rawKeywordWriter(db: Database.Database): KeywordRunWriter {
  const statements = new Map<string, Database.Statement>();
  return new KeywordRunWriter((sql) => {
    let stmt = statements.get(sql);
    if (stmt === undefined) statements.set(sql, (stmt = db.prepare(sql)));
    return stmt;
  });
}

/**
 * A raw better-sqlite3 connection configured like the substrate's SQLite engine
 * (src/backends/sqlite/sqlite-engine.ts): WAL, synchronous=NORMAL, 64 MiB page cache,
 * 256 MiB mmap, sqlite-vec loaded. Baselines use it so only the substrate's own work differs.
 */
export function openRawSqlite(path: string): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('cache_size = -65536');
  db.pragma('mmap_size = 268435456');
  sqliteVec.load(db);
  return db;
}

let engineText: string | undefined;

/** e.g. "SQLite 3.53.2 file, WAL, synchronous=NORMAL, better-sqlite3 12.11.1 + sqlite-vec v0.1.9, Node v20.20.2". */
export function engineDescription(): string {
  if (engineText) return engineText;
  const db = new Database(':memory:');
  sqliteVec.load(db);
  const row = db.prepare('select sqlite_version() as s, vec_version() as v').get() as { s: string; v: string };
  db.close();
  const require = createRequire(import.meta.url);
  const bs3 = (require('better-sqlite3/package.json') as { version: string }).version;
  engineText = `SQLite ${row.s} file, WAL, synchronous=NORMAL, better-sqlite3 ${bs3} + sqlite-vec ${row.v}, Node ${process.version}`;
  return engineText;
}

/** Logs a progress line with the elapsed time since the benchmark started. */
export function progress(started: number, message: string): void {
  console.log(`  [${((performance.now() - started) / 1000).toFixed(1)} s] ${message}`);
}

/** Wall-clock now in ms with sub-ms precision, comparable across processes on one machine (the gateway bench and its floor child). */
export function wall(): number {
  return performance.timeOrigin + performance.now();
}
