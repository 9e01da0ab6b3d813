/**
 * Runs the benchmark suite: `npm run bench` (all) or `npm run bench -- recall kv` (some).
 * Prints each benchmark's numbers as it finishes, then a summary table (benchmark, measured,
 * baseline, ratio, target, PASS/MISS). Exit code 0 even on MISS — benchmarks report, they do not
 * gate — but 1 when a benchmark fails with an error.
 */
import { engineDescription, printResults, QUICK, summaryTable, type BenchResult } from './lib.js';

type Bench = (results: BenchResult[]) => Promise<void>;

const BENCHES: Record<string, () => Promise<Bench>> = {
  recall: async () => (await import('./recall.bench.js')).recall,
  remember: async () => (await import('./remember.bench.js')).remember,
  load: async () => (await import('./load.bench.js')).load,
  kv: async () => (await import('./kv.bench.js')).kv,
  audit: async () => (await import('./audit.bench.js')).audit,
  pgvector: async () => (await import('./pgvector.bench.js')).pgvector,
  gateway: async () => (await import('./gateway.bench.js')).gateway,
  'pg-tasks': async () => (await import('./pg-tasks.bench.js')).pgTasks,
  'semantic-matrix': async () => (await import('./semantic-matrix.bench.js')).semanticMatrix,
  'list-filter': async () => (await import('./list-filter.bench.js')).listFilter,
  archive: async () => (await import('./archive.bench.js')).archive,
  mcp: async () => (await import('./mcp.bench.js')).mcp,
  langgraph: async () => (await import('./langgraph.bench.js')).langgraph,
  'ann-probe': async () => (await import('./ann-probe.bench.js')).annProbe,
  scale: async () => (await import('./scale.bench.js')).scale,
  'pg-load': async () => (await import('./pg-load.bench.js')).pgLoad,
};

function describe(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown; stack?: unknown };
  const code = typeof e?.code === 'string' ? `[${e.code}] ` : '';
  const hint = e?.code === 'NOT_SUPPORTED' ? ' — the store is not implemented yet; re-run later' : '';
  return `${code}${String(e?.message ?? error)}${hint}`;
}

async function main(): Promise<number> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = wanted.filter((w) => !(w in BENCHES));
  if (unknown.length > 0) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${Object.keys(BENCHES).join(', ')}`);
    return 2;
  }
  const names = wanted.length > 0 ? wanted : Object.keys(BENCHES);
  console.log(`memstrate benchmarks: ${names.join(', ')}${QUICK ? ' (BENCH_QUICK: sizes ÷10)' : ''}`);
  console.log(`engine: ${engineDescription()}\n`);

  const all: BenchResult[] = [];
  const errors: { name: string; message: string }[] = [];
  const suiteStart = performance.now();
  for (const name of names) {
    const results: BenchResult[] = [];
    const t0 = performance.now();
    try {
      const bench = await (BENCHES[name] as () => Promise<Bench>)();
      await bench(results);
    } catch (error) {
      errors.push({ name, message: describe(error) });
      console.log(`  ERROR in ${name}: ${describe(error)}`);
      if (process.env.BENCH_DEBUG === '1') console.error(error);
    }
    printResults(results);
    all.push(...results);
    console.log(`  (${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
  }

  console.log(`── summary (${((performance.now() - suiteStart) / 1000).toFixed(0)} s) ──`);
  console.log(`engine: ${engineDescription()}; baselines use raw better-sqlite3 with the same pragmas (WAL, synchronous=NORMAL, cache 64 MiB, mmap 256 MiB) on a separate file, except "JS brute" (plain Float32Array scan)`);
  console.log('ratio = measured / baseline; targets on a ratio read "ratio ≤/≥ x×", absolute targets compare the measured value\n');
  if (all.length > 0) console.log(summaryTable(all));
  for (const e of errors) console.log(`ERROR  ${e.name}: ${e.message}`);
  return errors.length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
