import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    // The packages under examples/ import memstrate by name, as they would out of tree: resolve it to
    // the sources here (tsconfig.json maps the same names for the typecheck), no build needed.
    alias: [
      { find: /^memstrate$/, replacement: here('./src/index.ts') },
      { find: /^memstrate\/testing$/, replacement: here('./src/testing/index.ts') },
      { find: /^memstrate\/langgraph$/, replacement: here('./src/langgraph/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // default: per-test output; the matrix: cell × suite counts and the engines each cell used.
    reporters: ['default', './test/harness/matrix-reporter.ts'],
  },
});
