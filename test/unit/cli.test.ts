import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MemorySubstrate } from '../../src/index.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI through tsx in a child process, with no MEMSTRATE_* variable but those given. */
function cli(args: string[], env: Record<string, string> = {}): Run {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MEMSTRATE_')));
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    env: { ...base, MEMSTRATE_LOG_LEVEL: 'silent', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs the CLI and kills it (SIGKILL) as soon as its stderr matches `when`; resolves with the signal it ended by. */
async function killedWhen(args: string[], when: RegExp, delayMs = 0): Promise<NodeJS.Signals | null> {
  const { spawn } = await import('node:child_process');
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MEMSTRATE_')));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    env: { ...base, MEMSTRATE_LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
    if (when.test(stderr)) setTimeout(() => child.kill('SIGKILL'), delayMs);
  });
  return exited;
}

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length > 0) rmSync(dirs.pop() as string, { recursive: true, force: true });
});

/** A temp dir with a config file pointing at a SQLite file inside it. */
function setup(): { dir: string; dbPath: string; configPath: string } {
  const dir = mkdtempSync(join(tmpdir(), 'memstrate-cli-'));
  dirs.push(dir);
  const dbPath = join(dir, 'memstrate.db');
  const configPath = join(dir, 'memory.config.toml');
  writeFileSync(configPath, `[memory]\nsqlite_path = ${JSON.stringify(dbPath)}\n`);
  return { dir, dbPath, configPath };
}

describe('memstrate CLI', () => {
  it('migrate, stats and audit verify on a SQLite file; a tampered audit row exits 2', async () => {
    const { dbPath, configPath } = setup();

    const migrate = cli(['--config', configPath, 'migrate']);
    expect(migrate.status).toBe(0);
    expect(JSON.parse(migrate.stdout)).toMatchObject({ schemaVersion: expect.stringMatching(/^\d{4}_\w+$/), backend: 'sqlite' });
    expect(existsSync(dbPath)).toBe(true);

    // Write three audit entries through the library.
    const mem = await MemorySubstrate.open(configPath, { env: {} });
    let tipHash = '';
    for (let i = 1; i <= 3; i++) {
      tipHash = (await mem.audit.append({ agentId: 'agent-1', action: 'test.step', detail: `step ${i}`, outcome: 'ok' })).hash;
    }
    await mem.close();

    const stats = cli(['--config', configPath, 'stats']);
    expect(stats.status).toBe(0);
    const report = JSON.parse(stats.stdout) as Record<string, any>;
    expect(report['info']).toMatchObject({ backend: 'sqlite', semanticBackend: 'sqlite' });
    expect(report['health']).toMatchObject({ ok: true });
    expect(report['counts']).toMatchObject({ auditEntries: 3 });
    expect(Object.keys(report['counts']['tasks'] as object).sort()).toEqual(['completed', 'failed', 'in_progress', 'pending']);
    expect(report['audit']).toEqual({ tipSeq: 3, tipHash });

    const verify = cli(['--config', configPath, 'audit', 'verify']);
    expect(verify.status).toBe(0);
    expect(JSON.parse(verify.stdout)).toEqual({ ok: true, entries: 3, tipHash });

    const db = new Database(dbPath);
    try {
      expect(db.prepare("update audit_entries set detail = 'rewritten' where seq = 2").run().changes).toBe(1);
    } finally {
      db.close();
    }

    const broken = cli(['--config', configPath, 'audit', 'verify']);
    expect(broken.status).toBe(2);
    expect(broken.stdout).toBe('');
    expect(broken.stderr).toMatch(/^error CHAIN_INTEGRITY: /);
    expect(broken.stderr).not.toMatch(/\n\s+at /); // no stack trace

    // Every command refuses a broken chain (open fails closed) — but a forensic stats reads it.
    expect(cli(['--config', configPath, 'stats']).status).toBe(2);
    const forensic = cli(['--config', configPath, 'stats', '--forensic']);
    expect(forensic.status, forensic.stderr).toBe(0);
    expect(JSON.parse(forensic.stdout)).toMatchObject({ info: { forensic: { chain: 'broken', seq: 2 } }, counts: { auditEntries: 3 } });
    expect(cli(['--config', configPath, 'stats']).status).toBe(2);
  }, 120_000);

  it('memories list, count, show and agents read a store (with --forensic, one whose chain is broken); stats counts memories per agent', async () => {
    const { dbPath, configPath } = setup();
    let now = Date.now();
    const mem = await MemorySubstrate.open(configPath, { env: {}, clock: () => (now += 1000) }); // distinct createdAt: newest first is insertion order reversed
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await mem.semantic.remember({ agentId: 'ada', content: `note ${i}`, scope: i === 0 ? 'work' : 'home', metadata: { n: i } }));
    await mem.semantic.remember({ agentId: 'bob', content: 'unregistered, found from his data' });
    await mem.close();

    const json = (run: Run) => {
      expect(run.status, run.stderr).toBe(0);
      return JSON.parse(run.stdout) as Record<string, any>;
    };
    const first = json(cli(['--config', configPath, 'memories', 'list', '--agent', 'ada', '--limit', '2']));
    expect(first['items'].map((m: { id: string }) => m.id)).toEqual([ids[2], ids[1]]);
    const second = json(cli(['--config', configPath, 'memories', 'list', '--agent', 'ada', '--limit', '2', '--cursor', first['nextCursor']]));
    expect(second['items'].map((m: { id: string }) => m.id)).toEqual([ids[0]]);
    expect(json(cli(['--config', configPath, 'memories', 'count', '--agent', 'ada', '--filter', '{"where":{"metadata.n":{"$gte":1}}}']))).toEqual({ count: 2 });
    expect(json(cli(['--config', configPath, 'memories', 'count', '--all-agents']))).toEqual({ count: 4 });
    expect(json(cli(['--config', configPath, 'memories', 'show', ids[0] as string]))).toMatchObject({ id: ids[0], content: 'note 0', scope: 'work' });
    expect(json(cli(['--config', configPath, 'memories', 'agents']))).toEqual({ agents: [{ agentId: 'ada', count: 3 }, { agentId: 'bob', count: 1 }] });
    const stats = json(cli(['--config', configPath, 'stats']));
    expect(stats['counts']).toMatchObject({ memories: 4, agents: 0 });
    expect(stats['memoriesByAgent']).toEqual([{ agentId: 'ada', count: 3 }, { agentId: 'bob', count: 1 }]);

    // Bad input is a VALIDATION error naming what was wrong, exit 1.
    const both = cli(['--config', configPath, 'memories', 'count', '--agent', 'ada', '--all-agents']);
    expect([both.status, both.stderr]).toEqual([1, expect.stringMatching(/^error VALIDATION: .*--all-agents/)]);
    const badJson = cli(['--config', configPath, 'memories', 'list', '--agent', 'ada', '--filter', '{nope']);
    expect([badJson.status, badJson.stderr]).toEqual([1, expect.stringMatching(/^error VALIDATION: .*--filter is not JSON/)]);
    const badOp = cli(['--config', configPath, 'memories', 'list', '--agent', 'ada', '--filter', '{"where":{"metadata.n":{"$gtt":1}}}']);
    expect([badOp.status, badOp.stderr]).toEqual([1, expect.stringMatching(/^error VALIDATION: .*\$gtt/)]);
    const missing = cli(['--config', configPath, 'memories', 'show', 'no-such-id']);
    expect([missing.status, missing.stderr]).toEqual([1, expect.stringMatching(/^error NOT_FOUND: .*no memory no-such-id/)]);

    // A broken chain locks the store — except for forensic reads.
    const db = new Database(dbPath);
    try {
      expect(db.prepare("update audit_entries set detail = 'rewritten' where seq = 2").run().changes).toBe(1);
    } finally {
      db.close();
    }
    expect(cli(['--config', configPath, 'memories', 'count', '--all-agents']).status).toBe(2);
    expect(json(cli(['--config', configPath, 'memories', 'count', '--all-agents', '--forensic']))).toEqual({ count: 4 });
    expect(json(cli(['--config', configPath, 'memories', 'show', ids[1] as string, '--forensic']))).toMatchObject({ content: 'note 1' });
  }, 120_000);

  it('erase asks for --yes without a terminal, then erases and prints the receipt', async () => {
    const { configPath } = setup();
    const mem = await MemorySubstrate.open(configPath, { env: {} });
    await mem.semantic.remember({ agentId: 'ada', content: 'to be erased' });
    await mem.structured.set('ada', 'k', 1);
    await mem.close();
    const refused = cli(['--config', configPath, 'erase', '--agent', 'ada']);
    expect([refused.status, refused.stderr]).toEqual([1, expect.stringMatching(/^error VALIDATION: .*not confirmed: nothing was erased/)]);
    const erased = cli(['--config', configPath, 'erase', '--agent', 'ada', '--yes']);
    expect(erased.status, erased.stderr).toBe(0);
    expect(JSON.parse(erased.stdout)).toMatchObject({ agentId: 'ada', scope: 'agent', counts: { memories: 1, kvEntries: 1 }, auditSeq: expect.any(Number) });
    const count = cli(['--config', configPath, 'memories', 'count', '--agent', 'ada']);
    expect(JSON.parse(count.stdout)).toEqual({ count: 0 });
  }, 60_000);

  it('audit anchor --adopt recovers a store whose anchor moved: full verify, new anchor, an audit.anchor_adopt entry; a broken chain still exits 2', async () => {
    const { dir, dbPath, configPath } = setup();
    const mem = await MemorySubstrate.open(configPath, { env: {} });
    for (let i = 1; i <= 3; i++) await mem.audit.append({ agentId: 'agent-1', action: 'test.step', detail: `step ${i}`, outcome: 'ok' });
    await mem.close();
    // The anchor path changes (a moved data directory): every command fails closed.
    writeFileSync(configPath, `[memory]\nsqlite_path = ${JSON.stringify(dbPath)}\naudit_anchor_path = ${JSON.stringify(join(dir, 'moved', 'anchor'))}\n`);
    expect(cli(['--config', configPath, 'stats']).status).toBe(2);
    expect(cli(['--config', configPath, 'audit', 'anchor']).status).toBe(1); // --adopt must be said
    const adopted = cli(['--config', configPath, 'audit', 'anchor', '--adopt']);
    expect(adopted.status).toBe(0);
    expect(JSON.parse(adopted.stdout)).toMatchObject({ adopted: { seq: 4 } });
    expect(cli(['--config', configPath, 'stats']).status).toBe(0);
    const reopened = await MemorySubstrate.open(configPath, { env: {} });
    const last = (await reopened.audit.entries({ after: 3 }))[0];
    expect(last).toMatchObject({ seq: 4, action: 'audit.anchor_adopt' });
    expect(last?.detail).toContain('replaced none; verified 3 entries from genesis');
    await reopened.close();
    const db = new Database(dbPath);
    try {
      db.prepare("update audit_entries set detail = 'rewritten' where seq = 2").run();
    } finally {
      db.close();
    }
    expect(cli(['--config', configPath, 'audit', 'anchor', '--adopt']).status).toBe(2);
  }, 120_000);

  it('retention run purges expired KV entries and expired memories, and says how many of each', async () => {
    const { configPath } = setup();
    const mem = await MemorySubstrate.open(configPath, { env: {} });
    await mem.structured.set('agent-1', 'old', 1, { ttlMs: 1 });
    await mem.semantic.remember({ agentId: 'agent-1', content: 'brief', ttlMs: 1 });
    await mem.semantic.remember({ agentId: 'agent-1', content: 'lasting' });
    await mem.close();
    await new Promise((r) => setTimeout(r, 10));
    const run = cli(['--config', configPath, 'retention', 'run']);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({ kvExpired: 1, memoriesExpired: 1, memories: 0, sessions: 0, usageEvents: 0, taskResults: 0 });
    const again = cli(['--config', configPath, 'retention', 'run']);
    expect(JSON.parse(again.stdout)).toEqual({ kvExpired: 0, memoriesExpired: 0, memories: 0, sessions: 0, usageEvents: 0, taskResults: 0 });
  });

  it('read-only commands never create a store: stats, audit verify and audit anchor on a missing file exit 1 with NOT_FOUND', () => {
    const { dir, dbPath, configPath } = setup();
    for (const args of [['stats'], ['audit', 'verify'], ['audit', 'anchor', '--adopt']]) {
      const run = cli(['--config', configPath, ...args]);
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/^error NOT_FOUND: .*no store at/);
    }
    expect(existsSync(dbPath)).toBe(false);
    expect(readdirSync(dir)).toEqual(['memory.config.toml']);
    expect(cli(['--config', configPath, 'migrate']).status).toBe(0);
    expect(cli(['--config', configPath, 'stats']).status).toBe(0);
  }, 60_000);

  it('without --config it uses MEMSTRATE_* variables', () => {
    const { dbPath } = setup();
    const run = cli(['migrate'], { MEMSTRATE_SQLITE_PATH: dbPath });
    expect(run.status).toBe(0);
    expect(existsSync(dbPath)).toBe(true);
    const verify = cli(['audit', 'verify'], { MEMSTRATE_SQLITE_PATH: dbPath });
    expect(verify.status).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, entries: 0 });
  }, 60_000);

  it('a configuration error prints `error CONFIG_INVALID: …` and exits 1, a stack only with MEMSTRATE_DEBUG=1', () => {
    const { dir } = setup();
    const missing = join(dir, 'missing.toml');
    const run = cli(['--config', missing, 'stats']);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^error CONFIG_INVALID: /);
    expect(run.stderr).not.toMatch(/\n\s+at /);

    const debug = cli(['--config', missing, 'stats'], { MEMSTRATE_DEBUG: '1' });
    expect(debug.status).toBe(1);
    expect(debug.stderr).toMatch(/^error CONFIG_INVALID: /);
    expect(debug.stderr).toMatch(/\n\s+at /);

    const badEnv = cli(['migrate'], { MEMSTRATE_SQLITE_PATH: join(dir, 'x.db'), MEMSTRATE_DECAY_RATE: 'fast' });
    expect(badEnv.status).toBe(1);
    expect(badEnv.stderr).toMatch(/^error CONFIG_INVALID: /);
    expect(existsSync(join(dir, 'x.db'))).toBe(false);
  }, 60_000);

  it('an unknown command exits non-zero with usage on stderr', () => {
    const run = cli(['frobnicate']);
    expect(run.status).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('frobnicate');
  }, 60_000);

  it('backends lists the registered backends; --plugin registers a plugin module first and stats shows its capabilities', () => {
    const builtIn = cli(['backends']);
    expect(builtIn.status).toBe(0);
    const names = (JSON.parse(builtIn.stdout) as { name: string }[]).map((b) => b.name);
    expect(names).toEqual(['sqlite', 'postgres', 'http', 'qdrant']);

    // A plugin module: a main backend that is the built-in sqlite one under another name.
    const { dir, dbPath } = setup();
    const plugin = join(dir, 'plugin.mjs');
    writeFileSync(
      plugin,
      `import { registeredBackends } from ${JSON.stringify(join(ROOT, 'src', 'index.ts'))};\n` +
        `const sqlite = registeredBackends().find((d) => d.name === 'sqlite');\n` +
        `export default { ...sqlite, name: 'lite', description: 'sqlite again', flatKeys: undefined };\n`,
    );
    const listed = cli(['--plugin', plugin, 'backends']);
    expect(listed.status).toBe(0);
    expect((JSON.parse(listed.stdout) as { name: string }[]).map((b) => b.name)).toEqual([...names, 'lite']);
    const config = join(dir, 'lite.toml');
    writeFileSync(config, `[memory]\nbackend = "lite"\n\n[memory.lite]\npath = ${JSON.stringify(dbPath)}\n`);
    expect(cli(['--config', config, 'migrate'], { MEMSTRATE_PLUGINS: plugin }).status).toBe(0);
    const stats = cli(['--config', config, 'stats'], { MEMSTRATE_PLUGINS: plugin });
    expect(stats.status, stats.stderr).toBe(0);
    const info = (JSON.parse(stats.stdout) as { info: { backend: string; capabilities: { main: object; semantic: object } } }).info;
    expect(info.backend).toBe('lite');
    expect(info.capabilities.main).toEqual({ multiProcess: true, transactions: true, skipLockedClaims: false });
    expect(info.capabilities.semantic).toMatchObject({ vectorSearch: 'exact', keywordRanking: 'bm25' });

    const missing = cli(['--plugin', join(dir, 'absent.mjs'), 'backends']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^error CONFIG_INVALID: .*plugin .*absent\.mjs: cannot be imported/s);
  }, 120_000);
});

describe('memstrate export / import', () => {
  it('exports a store (gzip, by agent) and imports it elsewhere with progress lines, a dry run and a resumable re-run; a tampered archive exits 1', async () => {
    const source = setup();
    const mem = await MemorySubstrate.open(source.configPath, { env: {} });
    await mem.semantic.rememberMany([
      { agentId: 'ada', content: 'ada likes tea', embedding: [1, 0, 0] },
      { agentId: 'bob', content: 'bob likes coffee', embedding: [0, 1, 0] },
    ]);
    await mem.set('ada', 'k', { v: 1 });
    await mem.close();

    const out = join(source.dir, 'all.ndjson');
    const exported = cli(['--config', source.configPath, 'export', '--out', out]);
    expect(exported.status, exported.stderr).toBe(0);
    const summary = JSON.parse(exported.stdout) as { out: string; counts: Record<string, number>; sha256: string; auditSeq: number };
    expect(summary).toMatchObject({ out, counts: { memory: 2, kv: 1 }, sha256: expect.stringMatching(/^[0-9a-f]{64}$/), auditSeq: expect.any(Number) });
    expect(exported.stderr).toMatch(/^export: (\d+) \/ \1 records \(100%\), [\d,]+\/s\n$/m);
    expect(readdirSync(source.dir).filter((f) => f.includes('.partial-'))).toEqual([]);

    const adaOnly = join(source.dir, 'ada.ndjson.gz');
    const gz = cli(['--config', source.configPath, 'export', '--out', adaOnly, '--agent', 'ada', '--gzip', '--json']);
    expect(gz.status, gz.stderr).toBe(0);
    expect(JSON.parse(gz.stdout)).toMatchObject({ counts: { memory: 1, kv: 1 } });
    expect(JSON.parse(gz.stderr.trim().split('\n').at(-1) as string)).toMatchObject({ progress: 'export', done: expect.any(Number) });

    const target = setup();
    const dry = cli(['--config', target.configPath, 'import', out, '--dry-run']);
    expect(dry.status, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, stores: { memory: { total: 2, imported: 0 } } });
    expect(dry.stderr).toMatch(/^validated: \d+ \/ \d+ records/m);

    const imported = cli(['--config', target.configPath, 'import', out, '--json']);
    expect(imported.status, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ dryRun: false, stores: { memory: { total: 2, imported: 2, failed: [] }, kv: { imported: 1 } } });
    const lastProgress = JSON.parse(imported.stderr.trim().split('\n').at(-1) as string) as { progress: string; done: number; total: number };
    expect(lastProgress).toMatchObject({ progress: 'import' });
    expect(lastProgress.done).toBe(lastProgress.total);

    const again = cli(['--config', target.configPath, 'import', out]);
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ stores: { memory: { imported: 0, skipped: 2 } } });

    const failing = cli(['--config', target.configPath, 'import', out, '--on-conflict', 'fail']);
    expect(failing.status).toBe(1);
    expect(failing.stderr).toMatch(/error IMPORT_FAILED: \d+ record\(s\) were not imported/);
    expect(JSON.parse(failing.stdout).stores.memory.failed).toHaveLength(2);

    const check = await MemorySubstrate.open(target.configPath, { env: {} });
    try {
      expect(await check.semantic.count({ allAgents: true })).toBe(2);
      expect(await check.get('ada', 'k')).toEqual({ v: 1 });
    } finally {
      await check.close();
    }

    const { readFileSync } = await import('node:fs');
    const bytes = readFileSync(out);
    bytes[bytes.indexOf('coffee')] = 'C'.charCodeAt(0);
    const tampered = join(source.dir, 'tampered.ndjson');
    writeFileSync(tampered, bytes);
    const refused = cli(['--config', setup().configPath, 'import', tampered]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/^error VALIDATION: .*hash mismatch/m);

    const missing = cli(['--config', source.configPath, 'export']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/--out/);
  }, 120_000);
});

describe('memstrate import after a crash', () => {
  it('an import killed (SIGKILL) mid-way resumes on a re-run: everything arrives once, nothing twice', async () => {
    const { createWriteStream } = await import('node:fs');
    const { pipeline } = await import('node:stream/promises');
    const source = setup();
    const mem = await MemorySubstrate.open(source.configPath, { env: {} });
    const TOTAL = 3000;
    for (let start = 0; start < TOTAL; start += 500) {
      await mem.semantic.rememberMany(Array.from({ length: 500 }, (_, i) => ({ agentId: `agent-${(start + i) % 7}`, content: `memory ${start + i}`, embedding: [1, (start + i) / TOTAL, 0] })));
    }
    const archive = join(source.dir, 'big.ndjson');
    await pipeline(mem.export({ stores: ['semantic'] }), createWriteStream(archive));
    await mem.close();

    const target = setup();
    // Every batch (of one record) fsynced: the import takes long enough to be killed in the middle.
    writeFileSync(target.configPath, `[memory]\nsqlite_path = ${JSON.stringify(target.dbPath)}\ndurability = "full"\n`);
    expect(await killedWhen(['--config', target.configPath, 'import', archive, '--batch-size', '1', '--json'], /"progress":"import"/)).toBe('SIGKILL');

    const check = await MemorySubstrate.open(target.configPath, { env: {} });
    const partial = await check.semantic.count({ allAgents: true });
    await check.close();
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(TOTAL);

    const resumed = cli(['--config', target.configPath, 'import', archive]);
    expect(resumed.status, resumed.stderr).toBe(0);
    const report = JSON.parse(resumed.stdout) as { stores: { memory: { total: number; imported: number; skipped: number; failed: unknown[] } } };
    expect(report.stores.memory).toEqual({ total: TOTAL, imported: TOTAL - partial, skipped: partial, failed: [] });
    const after = await MemorySubstrate.open(target.configPath, { env: {} });
    try {
      expect(await after.semantic.count({ allAgents: true })).toBe(TOTAL);
      expect((await after.audit.verify()).ok).toBe(true);
    } finally {
      await after.close();
    }
  }, 120_000);
});

describe('memstrate index', () => {
  it('builds an agent index with progress, lists and drops it; a re-embedding switch drops the indexes built on the old vectors', async () => {
    const { dbPath, configPath } = setup();
    const configFor = (dims: number) => `[memory]\nsqlite_path = ${JSON.stringify(dbPath)}\nembedding_provider = "hash"\nembedding_dimensions = ${dims}\n`;
    writeFileSync(configPath, configFor(16));
    const mem = await MemorySubstrate.open(configPath, { env: {} });
    await mem.semantic.rememberMany(Array.from({ length: 4500 }, (_, i) => ({ agentId: 'big', content: `memory number ${i}` })));
    await mem.close();

    const built = cli(['--config', configPath, 'index', '--build', 'big']);
    expect(built.status, built.stderr).toBe(0);
    expect(JSON.parse(built.stdout)).toMatchObject({ built: { agentId: 'big', rows: 4500, cells: 2, codeBits: 1024 }, indexes: [{ agentId: 'big', state: 'ready', rowsAtBuild: 4500, cells: 2 }] });
    expect(built.stderr).toMatch(/index: [\d,]+ \/ 4,500 memories/);
    expect(JSON.parse(cli(['--config', configPath, 'index']).stdout)).toMatchObject({ indexes: [{ agentId: 'big', state: 'ready' }] });
    const refused = cli(['--config', configPath, 'index', '--build', 'nobody']);
    expect([refused.status, refused.stderr]).toEqual([1, expect.stringMatching(/^error NOT_FOUND: .*nobody/)]);

    writeFileSync(configPath, configFor(8));
    expect(cli(['--config', configPath, 'reembed']).status).toBe(0);
    expect(JSON.parse(cli(['--config', configPath, 'index']).stdout)).toEqual({ indexes: [] });
    expect(JSON.parse(cli(['--config', configPath, 'index', '--build', 'big']).stdout)).toMatchObject({ built: { rows: 4500 } });
    expect(JSON.parse(cli(['--config', configPath, 'index', '--drop', 'big']).stdout)).toEqual({ dropped: true, indexes: [] });
  }, 120_000);
});

describe('memstrate reembed', () => {
  it('re-embeds a store whose configured embedder changed (other commands refuse it, naming reembed); killed mid-way, a re-run resumes; --status and --drop-previous', async () => {
    const { dbPath, configPath } = setup();
    const configFor = (dims: number) => `[memory]\nsqlite_path = ${JSON.stringify(dbPath)}\nembedding_provider = "hash"\nembedding_dimensions = ${dims}\ndurability = "full"\n`;
    writeFileSync(configPath, configFor(8));
    const mem = await MemorySubstrate.open(configPath, { env: {} });
    const TOTAL = 6000;
    for (let start = 0; start < TOTAL; start += 500) {
      await mem.semantic.rememberMany(Array.from({ length: 500 }, (_, i) => ({ agentId: `agent-${(start + i) % 3}`, content: `memory number ${start + i}` })));
    }
    await mem.close();

    // The configuration now asks for another embedder: the store refuses to open, naming the command.
    writeFileSync(configPath, configFor(16));
    const refused = cli(['--config', configPath, 'stats']);
    expect([refused.status, refused.stderr]).toEqual([1, expect.stringMatching(/^error CONFIG_INVALID: [\s\S]*memstrate reembed/)]);

    // A re-embedding killed mid-way (batches of one, each fsynced): 200 ms after its first progress
    // line (done 0; the next comes a second later, when a fast machine may have finished)…
    expect(await killedWhen(['--config', configPath, 'reembed', '--batch-size', '1', '--json'], /"progress":"reembed"/, 200)).toBe('SIGKILL');
    const status = cli(['--config', configPath, 'reembed', '--status']);
    expect(status.status, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toEqual({ current: { dimensions: 8, embedderId: 'hash:v1:8' }, pending: { dimensions: 16, embedderId: 'hash:v1:16' } });

    // …resumes on a re-run, embedding only what is left, and switches.
    const resumed = cli(['--config', configPath, 'reembed']);
    expect(resumed.status, resumed.stderr).toBe(0);
    const report = JSON.parse(resumed.stdout) as { outcome: string; resumed: boolean; embedded: number; to: { dimensions: number } };
    expect(report).toMatchObject({ outcome: 'switched', resumed: true, to: { dimensions: 16 } });
    expect(report.embedded).toBeGreaterThan(0);
    expect(report.embedded).toBeLessThan(TOTAL);
    expect(resumed.stderr).toMatch(/reembed: [\d,]+ \/ [\d,]+ memories/);

    const stats = cli(['--config', configPath, 'stats']);
    expect(stats.status, stats.stderr).toBe(0);
    const dropped = cli(['--config', configPath, 'reembed', '--drop-previous']);
    expect(JSON.parse(dropped.stdout)).toMatchObject({ outcome: 'unchanged', droppedPrevious: true });
    const after = await MemorySubstrate.open(configPath, { env: {} });
    try {
      expect(await after.vectorSpaces()).toEqual({ current: { dimensions: 16, embedderId: 'hash:v1:16' }, pending: undefined, previous: undefined });
      const hit = await after.semantic.recall({ agentId: 'agent-1', text: 'memory number 2998', mode: 'vector', limit: 1 });
      expect(hit[0]?.memory.content).toBe('memory number 2998');
      expect((await after.audit.verify()).ok).toBe(true);
    } finally {
      await after.close();
    }
  }, 180_000);
});
