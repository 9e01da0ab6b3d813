import type { TaskStatus } from '../contracts/task-queue.js';
import { TASK_STATUSES } from '../contracts/task-queue.js';
import type { VerifyReport } from '../contracts/audit-log.js';
import { MemorySubstrate } from '../assembly/substrate.js';
import { ConfigError, MemoryError } from '../errors.js';
import type { RunningGateway } from '../server/serve.js';
import type { RetentionReport } from '../core/retention.js';

/** Largest page the list methods accept; a count that reaches it is reported as ">=N". */
const LIST_CAP = 10_000;

/** Agents listed by `memstrate stats` under memoriesByAgent (`memstrate memories agents` lists more). */
const STATS_AGENTS = 100;

/** A count: exact, ">=N" when it reached the list cap, or null when the store does not support it yet. */
export type Count = number | string | null;

/**
 * Opens the substrate named by `config` (a TOML path; undefined = defaults + MEMSTRATE_* env), runs
 * `fn`, closes it. Read-only commands pass `existingOnly`: they never create a store.
 */
export async function withSubstrate<T>(
  config: string | undefined,
  fn: (mem: MemorySubstrate) => Promise<T>,
  options: { existingOnly?: boolean; forensic?: boolean; ignoreEmbedder?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<T> {
  const mem = await MemorySubstrate.open(config, options);
  try {
    return await fn(mem);
  } finally {
    await mem.close();
  }
}

/** `memstrate migrate`: opening migrates; reports the schema version reached. */
export async function migrateCommand(config: string | undefined): Promise<{ schemaVersion: string; backend: string; semanticBackend: string }> {
  return withSubstrate(config, async (mem) => ({
    schemaVersion: mem.info.schemaVersion,
    backend: mem.info.backend,
    semanticBackend: mem.info.semanticBackend,
  }));
}

/** `memstrate audit verify`: re-hashes the whole chain from genesis (throws ChainIntegrityError on a break). */
export async function auditVerifyCommand(config: string | undefined): Promise<VerifyReport> {
  return withSubstrate(config, (mem) => mem.audit.verify(), { existingOnly: true });
}

/**
 * `memstrate audit anchor --adopt`: re-verifies the whole chain from genesis ignoring the anchor,
 * then replaces the anchor with the verified tip and records `audit.anchor_adopt` in the log.
 */
export async function auditAdoptAnchorCommand(config: string | undefined): Promise<{ adopted: { seq: number; hash: string } }> {
  const mem = await MemorySubstrate.open(config, { adoptAuditAnchor: true, existingOnly: true });
  try {
    const tip = await mem.audit.tip();
    return { adopted: { seq: tip.seq, hash: tip.hash } };
  } finally {
    await mem.close();
  }
}

/**
 * `memstrate retention run`: removes what has expired (KV entries with a ttl) and what the
 * `retention_*_days` settings no longer keep; each store that removed something leaves one audit entry.
 */
export async function retentionRunCommand(config: string | undefined): Promise<RetentionReport> {
  return withSubstrate(config, (mem) => mem.runRetention(), { existingOnly: true });
}

/** `memstrate stats`: what the substrate is, whether it is healthy, and how much it holds. */
export async function statsCommand(config: string | undefined, options: { forensic?: boolean } = {}): Promise<Record<string, unknown>> {
  return withSubstrate(config, async (mem) => {
    const tip = await mem.audit.tip();
    const tasks = {} as Record<TaskStatus, Count>;
    for (const status of TASK_STATUSES) {
      tasks[status] = await count(() => mem.tasks.list({ status, limit: LIST_CAP }), LIST_CAP);
    }
    return {
      info: mem.info,
      health: await mem.health(),
      counts: {
        auditEntries: tip.seq,
        agents: await count(() => mem.structured.listAgents()),
        sessions: await count(() => mem.sessions.list()),
        tasks,
        memories: await optional(() => mem.semantic.count({ allAgents: true })),
      },
      // Found from the data, registered or not: the agents with the most memories first.
      memoriesByAgent: await optional(() => mem.semantic.countByAgent({ limit: STATS_AGENTS })),
      audit: { tipSeq: tip.seq, tipHash: tip.hash },
      usage: await optional(() => mem.usage.summary()),
    };
  }, { existingOnly: true, forensic: options.forensic === true });
}

async function count(list: () => Promise<readonly unknown[]>, cap?: number): Promise<Count> {
  const items = await optional(list);
  if (items === null) return null;
  return cap !== undefined && items.length >= cap ? `>=${cap}` : items.length;
}

/** The value, or null when the store throws NOT_SUPPORTED (not implemented on this backend yet). */
async function optional<T>(fn: () => Promise<T>): Promise<T | null> {
  try {
    return await fn();
  } catch (error) {
    if (MemoryError.is(error) && error.code === 'NOT_SUPPORTED') return null;
    throw error;
  }
}

/**
 * `memstrate serve`: serves the substrate over HTTP until SIGINT/SIGTERM, then shuts down gracefully.
 * Logs are JSON lines (pino) on stdout. Resolves once the gateway has stopped.
 */
export async function serveCommand(
  config: string | undefined,
  options: { port?: string; host?: string },
): Promise<RunningGateway> {
  // Loaded on demand, so the other commands do not pay for the HTTP stack.
  const { DEFAULT_HOST, DEFAULT_PORT, serve } = await import('../server/serve.js');
  const port = options.port === undefined ? DEFAULT_PORT : parsePort(options.port);
  return serve({ ...(config !== undefined ? { configPath: config } : {}), port, host: options.host ?? DEFAULT_HOST });
}

function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text.trim())) throw new ConfigError([`--port: expected an integer in 0..65535, got ${JSON.stringify(text)}`]);
  return Number(text.trim());
}
