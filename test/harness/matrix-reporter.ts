/**
 * Prints, at the end of every run, the hybrid matrix as it ran: one row per backend cell
 * (`<main> × <semantic>`) and one column per conformance suite, with passed / failed / skipped
 * counts, and the engines each cell actually used (reported by the tests themselves through their
 * task meta: SQLite file, PostgreSQL server, pgvector on PGlite or on the server, the gateway, …).
 * Suites are the `<store> [<cell>]` describe blocks of src/testing/conformance.ts. Then the
 * figures the battery tests measured (fuzzing, kill -9 cycles, stalls, …; test/helpers/figure.ts).
 */
import type { Reporter, TestCase, TestModule } from 'vitest/node';

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

const SUITE = /^(.+) \[(.+ × .+)\]$/;

function suiteOf(test: TestCase): { store: string; cell: string } | undefined {
  let parent: TestCase['parent'] | undefined = test.parent;
  while (parent && parent.type === 'suite') {
    const match = SUITE.exec(parent.name);
    if (match) return { store: match[1] as string, cell: match[2] as string };
    parent = parent.parent;
  }
  return undefined;
}

export default class MatrixReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    this.printMatrix(modules);
    this.printFigures(modules);
  }

  private printFigures(modules: ReadonlyArray<TestModule>): void {
    const lines: string[] = [];
    for (const module of modules) {
      for (const test of module.children.allTests()) {
        const figures = (test.meta() as { figures?: unknown }).figures;
        if (!Array.isArray(figures)) continue;
        const state = test.result().state;
        for (const text of figures) lines.push(`  ${state === 'passed' ? '' : `[${state}] `}${String(text)}`);
      }
    }
    if (lines.length > 0) process.stdout.write(`Battery figures (measured in this run):\n${lines.join('\n')}\n\n`);
  }

  private printMatrix(modules: ReadonlyArray<TestModule>): void {
    try {
      const counts = new Map<string, Map<string, Counts>>();
      const engines = new Map<string, string>();
      const stores = new Set<string>();
      for (const module of modules) {
        for (const test of module.children.allTests()) {
          const at = suiteOf(test);
          if (!at) continue;
          stores.add(at.store);
          const byStore = counts.get(at.cell) ?? new Map<string, Counts>();
          counts.set(at.cell, byStore);
          const c = byStore.get(at.store) ?? { passed: 0, failed: 0, skipped: 0 };
          byStore.set(at.store, c);
          const state = test.result().state;
          if (state === 'passed') c.passed++;
          else if (state === 'failed') c.failed++;
          else c.skipped++;
          const engine = (test.meta() as { engines?: unknown }).engines;
          if (typeof engine === 'string') engines.set(at.cell, engine);
        }
      }
      if (counts.size === 0) return;
      const columns = [...stores].sort();
      const cell = (c: Counts | undefined) => (c ? `${c.passed}/${c.failed}/${c.skipped}` : '—');
      const header = ['cell', ...columns];
      const rows = [...counts.keys()].sort().map((name) => [name, ...columns.map((s) => cell(counts.get(name)?.get(s)))]);
      const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
      const line = (r: string[]) => `| ${r.map((v, i) => v.padEnd(widths[i] as number)).join(' | ')} |`;
      const out = [
        '',
        'Conformance matrix (passed/failed/skipped per suite; skips name their capability in the test title)',
        line(header),
        line(widths.map((w) => '-'.repeat(w))),
        ...rows.map(line),
        '',
        'Engines each cell used:',
        ...[...counts.keys()].sort().map((name) => `  ${name}: ${engines.get(name) ?? '(not reported)'}`),
        '',
      ];
      process.stdout.write(`${out.join('\n')}\n`);
    } catch (error) {
      process.stdout.write(`[matrix reporter] could not print the matrix: ${String(error)}\n`);
    }
  }
}
