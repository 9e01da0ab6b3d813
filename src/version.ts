import { createRequire } from 'node:module';

/** memstrate's version, from its package.json (the same file from the sources and from dist/). */
export const MEMSTRATE_VERSION: string = (() => {
  const require = createRequire(import.meta.url);
  for (const path of ['../package.json', '../../package.json']) {
    try {
      const pkg = require(path) as { name?: string; version?: string };
      if (pkg.name === 'memstrate' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not at this depth: src/ is one level below package.json, dist/src/ two
    }
  }
  return '0.0.0';
})();
