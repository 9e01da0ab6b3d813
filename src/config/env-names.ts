import type { BackendCatalog } from '../contracts/backend-plugin.js';
import { CONFIG_KEYS, toSnake } from './schema.js';

/**
 * `MEMSTRATE_*` variables memstrate reads besides configuration keys: the CLI's and logger's, the
 * gateway's default token variable, and the test suite's namespace (`MEMSTRATE_TEST_*`).
 */
const TOOL_VARIABLES = ['MEMSTRATE_DEBUG', 'MEMSTRATE_LOG_LEVEL', 'MEMSTRATE_LOG_FORMAT', 'MEMSTRATE_PLUGINS', 'MEMSTRATE_TOKEN'];
const TEST_PREFIX = 'MEMSTRATE_TEST_';

/** Every configuration variable: `MEMSTRATE_<KEY>`, the flat aliases, and `MEMSTRATE_<BACKEND>_<OPTION>` of each registered backend. */
export function configVariables(catalog: BackendCatalog, flatKeys: Iterable<string>): Set<string> {
  const names = new Set<string>();
  for (const [, snake] of CONFIG_KEYS) names.add(`MEMSTRATE_${snake.toUpperCase()}`);
  for (const key of flatKeys) names.add(`MEMSTRATE_${toSnake(key).toUpperCase()}`);
  for (const d of catalog.all()) {
    const prefix = `MEMSTRATE_${d.name.replace(/-/g, '_').toUpperCase()}_`;
    for (const option of Object.keys(d.options.shape)) names.add(`${prefix}${toSnake(option).toUpperCase()}`);
  }
  return names;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] as number;
      row[j] = Math.min(above + 1, (row[j - 1] as number) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length] as number;
}

/**
 * Problems for `MEMSTRATE_*` variables in `env` that memstrate does not know — a typo such as
 * MEMSTRATE_SQLITE_PTH would otherwise be silently ignored — each naming the closest known name.
 * Known: the configuration variables, the tool variables, `MEMSTRATE_TEST_*`, and any variable the
 * configuration names as a secret's (`secretVariables`, the values of `*_env` keys).
 */
export function unknownVariables(env: NodeJS.ProcessEnv, known: Set<string>, secretVariables: Iterable<string>): string[] {
  const allowed = new Set([...known, ...TOOL_VARIABLES, ...secretVariables]);
  const problems: string[] = [];
  for (const variable of Object.keys(env).sort()) {
    if (!variable.startsWith('MEMSTRATE_') || variable.startsWith(TEST_PREFIX) || allowed.has(variable)) continue;
    let best = '';
    let bestDistance = Number.POSITIVE_INFINITY;
    for (const name of allowed) {
      if (!name.startsWith('MEMSTRATE_')) continue;
      const d = distance(variable, name);
      if (d < bestDistance || (d === bestDistance && name < best)) [best, bestDistance] = [name, d];
    }
    problems.push(`${variable}: not a memstrate variable${best ? `; did you mean ${best}?` : ''}`);
  }
  return problems;
}
