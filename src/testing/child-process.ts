import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { MemoryConfigInput } from '../index.js';

/** Running from the TypeScript sources (this repository, through tsx or vitest) or from the build. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const CLAIM_WORKER = fileURLToPath(new URL(FROM_SOURCE ? './claim-worker.ts' : './claim-worker.js', import.meta.url));
/** Where `--import tsx` resolves from: this package when running from source, else the caller's directory. */
const CHILD_CWD = FROM_SOURCE ? fileURLToPath(new URL('../..', import.meta.url)) : process.cwd();

export interface ClaimWorker {
  /** Resolves once the worker has opened the store (or exited). */
  ready: Promise<void>;
  /** Lets the worker start claiming. */
  go(): void;
  /** The task ids it claimed, once it exits 0. */
  done: Promise<string[]>;
}

/**
 * Starts a claim worker (claim-worker.ts) in a separate OS process on the store `config` opens.
 * `modules` (file URLs) are imported by the child first; TypeScript ones (or the worker itself,
 * from source) run through `--import tsx`.
 */
export function startClaimWorker(config: MemoryConfigInput, name: string, env: NodeJS.ProcessEnv = {}, modules: readonly string[] = []): ClaimWorker {
  const needsTsx = FROM_SOURCE || modules.some((m) => /\.[cm]?tsx?$/.test(m));
  const child = spawn(process.execPath, [...(needsTsx ? ['--import', 'tsx'] : []), CLAIM_WORKER, JSON.stringify(config), name, JSON.stringify(env), JSON.stringify(modules)], {
    cwd: CHILD_CWD,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const ids: string[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line === 'ready') markReady();
    else if (line.length > 0) ids.push(line);
  });
  const done = new Promise<string[]>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      markReady();
      if (code === 0) resolve(ids);
      else reject(new Error(`worker ${name} exited with ${code}: ${stderr}`));
    });
  });
  return { ready, go: () => child.stdin.end('go\n'), done };
}
