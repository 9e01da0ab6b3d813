import { resolveConfig } from '../config/load.js';
import type { MemoryConfig, MemoryConfigInput } from '../config/schema.js';
import type { BackendCatalog, BackendContext } from '../contracts/backend-plugin.js';
import type { SubstrateInfo } from '../contracts/substrate-info.js';
import type { AuditLog } from '../contracts/audit-log.js';
import type { CheckpointStore } from '../contracts/checkpoint-store.js';
import type { ConsolidationReport, ConsolidationStore } from '../contracts/consolidation-store.js';
import type { PairedDeviceStore } from '../contracts/device-store.js';
import type { Embedder } from '../contracts/embedder.js';
import type { HealthReport } from '../contracts/health.js';
import type { GraphMatch, GraphPattern, EntityInput, RelationInput } from '../contracts/knowledge-store.js';
import type { BackendKnowledgeStore, BackendSessionStore, BackendTaskQueue, MainBackend } from '../contracts/main-backend.js';
import type { BackendSemanticStore, ProviderArchive, SemanticProvider } from '../contracts/semantic-provider.js';
import type { RecallQuery, RecalledMemory, RememberInput } from '../contracts/semantic-store.js';
import type { StructuredStore } from '../contracts/structured-store.js';
import type { Clock, JsonValue, Logger } from '../contracts/types.js';
import type { UsageStore } from '../contracts/usage-store.js';
import { createEmbedder } from '../embedders/index.js';
import { ConfigError, NotSupportedError, ValidationError } from '../errors.js';
import { FileAnchor, MemoryAnchor, type AuditAnchor } from '../core/audit-anchor.js';
import { PostgresAnchor } from '../backends/postgres/postgres-anchor.js';
import { ChainedAuditLog } from '../core/audit-log.js';
import { systemClock } from '../core/clock.js';
import { runRetention, type RetentionReport } from '../core/retention.js';
import type { EraseRequest, ErasureReceipt } from '../core/erasure.js';
import { exportArchive, importArchive, type ArchiveDeps, type ArchiveSource, type ExportOptions, type ImportOptions, type ImportReport } from '../core/archive.js';
import type { AuditTarget } from '../core/audit-wrap.js';
import type { Readable } from 'node:stream';
import { mirroredSessions, SessionMirror } from '../core/session-mirror.js';
import { abortReembed, dropPrevious, reembed, required, vectorSpacesOf, type ReembedDeps, type ReembedOptions, type ReembedReport } from '../core/reembed.js';
import type { VectorIndexBuild, VectorIndexes, VectorIndexStatus, VectorSpaces } from '../contracts/semantic-backend.js';
import { defaultLogger } from '../core/logger.js';
import { Validator } from '../core/validate.js';
import { auditStores, type AuditedStores } from './audited-stores.js';
import { backendRegistry } from './backends.js';
import { openMainBackend, openSemanticProvider, type OpenedCapabilities } from './open-backends.js';

export interface OpenOptions {
  clock?: Clock;
  embedder?: Embedder;
  logger?: Logger;
  /** Environment for `MEMSTRATE_*` overrides and secret lookups; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** The backends `backend` / `semantic_backend` may name; default: every one registered with `registerBackend`. */
  backends?: BackendCatalog;
  /**
   * Recovery: re-verify the whole audit chain from genesis, ignoring the anchor, then replace the
   * anchor with the verified tip and append an `audit.anchor_adopt` entry (`memstrate audit anchor
   * --adopt`). For a moved store or a changed `audit_anchor_path`, or an anchor from an older
   * version. A broken chain still fails with CHAIN_INTEGRITY.
   */
  adoptAuditAnchor?: boolean;
  /**
   * Open an existing store only: when the main backend's store does not exist (no SQLite file, an
   * unmigrated PostgreSQL schema) open() fails with NOT_FOUND and creates nothing. The CLI's
   * read-only commands use it.
   */
  existingOnly?: boolean;
  /**
   * Forensic open of an existing store, read-only: nothing is written (SQLite opens the file
   * read-only, PostgreSQL sessions are read-only, no migration, no anchor, no access bumps), a broken
   * audit chain does not fail the open (`info.forensic` says where it broke), and every mutation fails
   * with VALIDATION before it runs. For inspecting a store that fails closed (`memstrate --forensic`).
   */
  forensic?: boolean;
  /**
   * Open without the configured embedder (`memstrate reembed`): the store's vector space is taken as
   * stored even when the configured embedder differs (which otherwise fails the open with
   * CONFIG_INVALID); nothing embeds on this open — recall is keyword-only — until `reembed()`
   * switches it to the configured embedder.
   */
  ignoreEmbedder?: boolean;
}

/**
 * The memory substrate: nine stores behind backend-agnostic contracts, and OpenFang's Memory-trait
 * facade over them. `open` is the only constructor.
 */
export class MemorySubstrate {
  // Every store is wrapped once at assembly: each of its mutations, by whatever path, appends exactly
  // one audit entry. The `…For` methods (forgetFor, deleteEntityFor, …) also report the owner.
  readonly structured: StructuredStore;
  readonly semantic: BackendSemanticStore;
  readonly knowledge: BackendKnowledgeStore;
  readonly sessions: BackendSessionStore;
  readonly usage: UsageStore;
  readonly devices: PairedDeviceStore;
  readonly tasks: BackendTaskQueue;
  readonly consolidation: ConsolidationStore;
  /**
   * Agent runtimes' thread snapshots (LangGraph checkpoints; `memstrate/langgraph`), on the main
   * backend; NOT_SUPPORTED on a main backend without a checkpoint store.
   */
  readonly checkpoints: CheckpointStore;
  readonly audit: AuditLog;
  private readonly embedder: Embedder | undefined;
  private readonly eraseAgent: (request: EraseRequest) => Promise<ErasureReceipt>;
  private readonly archiveTarget: AuditTarget;
  private readonly semanticTarget: AuditTarget;
  /**
   * Low-level export / import of memories as stored (pages with vectors; batches keeping ids,
   * timestamps and access counts), each written batch audited as `memory.import`. What the gateway's
   * `/v1/memories/export` and `/v1/memories/import` serve; undefined when the semantic backend has no
   * archive. Whole-store export / import is `export()` / `import()`.
   */
  readonly memoryArchive: ProviderArchive | undefined;
  readonly config: MemoryConfig;
  private closing: Promise<void> | undefined;
  /** A re-embedding in this process switched the store's embedder (info then names the store's current one). */
  private switched = false;

  private constructor(
    config: MemoryConfig,
    private readonly main: MainBackend,
    private readonly semanticProvider: SemanticProvider,
    private readonly auditLog: ChainedAuditLog,
    stores: AuditedStores,
    embedder: Embedder | undefined,
    private readonly capabilities: OpenedCapabilities,
    /** The substrate's clock (OpenOptions.clock). */
    private readonly clock: Clock,
    /** `sessions_mirror_dir`'s files, kept in step with the sessions store. */
    private readonly sessionMirror: SessionMirror | undefined,
    /** Opened read-only for forensics (OpenOptions.forensic). */
    private readonly forensic = false,
  ) {
    this.config = config;
    this.structured = stores.structured;
    this.semantic = stores.semantic;
    this.knowledge = stores.knowledge;
    this.sessions = stores.sessions;
    this.usage = stores.usage;
    this.devices = stores.devices;
    this.tasks = stores.tasks;
    this.consolidation = stores.consolidation;
    this.checkpoints = stores.checkpoints;
    this.eraseAgent = stores.erase;
    this.archiveTarget = stores.archiveTarget;
    this.semanticTarget = stores.semanticTarget;
    this.memoryArchive = stores.memoryArchive;
    this.audit = auditLog;
    this.embedder = embedder;
  }

  /**
   * Validates the whole config, connects and probes every backend, migrates, verifies the audit
   * chain (fail closed) and only then resolves. Nothing falls back to another backend.
   */
  static async open(config?: MemoryConfigInput | MemoryConfig | string, options: OpenOptions = {}): Promise<MemorySubstrate> {
    const env = options.env ?? process.env;
    const catalog = options.backends ?? backendRegistry;
    // A config loadConfig() resolved is validated again (env overrides included), like any other.
    const input = isResolved(config) ? toInput(config) : (config as MemoryConfigInput | string | undefined);
    const resolved = resolveConfig(input, { env, backends: catalog });
    const clock = options.clock ?? systemClock;
    const logger = options.logger ?? defaultLogger();
    const configured = options.embedder ?? createEmbedder(resolved, env);
    const embedder = options.ignoreEmbedder === true ? undefined : configured;
    const key = auditKey(resolved, env);
    const ctx: BackendContext = {
      clock,
      logger,
      env,
      embedder,
      settings: { embeddingDimensions: options.ignoreEmbedder === true ? undefined : resolved.embeddingDimensions, decayRate: resolved.decayRate, existingOnly: options.existingOnly === true || options.forensic === true, durability: resolved.durability, readOnly: options.forensic === true },
    };

    const cleanups: (() => Promise<void>)[] = [];
    try {
      const { main, capabilities: mainCapabilities } = await openMainBackend(resolved, catalog, ctx);
      // A failed open removes what the main backend created (a new file or schema), where it can.
      cleanups.push(() => (main.discard ? main.discard() : main.close()));
      const { provider: semantic, capabilities: semanticCapabilities } = await openSemanticProvider(resolved, catalog, ctx, main);
      cleanups.push(() => semantic.close());
      const anchor: AuditAnchor =
        resolved.auditAnchorUrl !== undefined
          ? await PostgresAnchor.open(resolved.auditAnchorUrl, resolved.auditAnchorName ?? 'memstrate')
          : resolved.auditAnchorPath === undefined
            ? new MemoryAnchor()
            : new FileAnchor(resolved.auditAnchorPath, main.name, { syncFolder: resolved.durability === 'full' });
      cleanups.push(async () => anchor.close?.());
      const auditLog = await ChainedAuditLog.open({ storage: main.auditStorage, anchor, clock, logger, backend: main.name, key, adoptAnchor: options.adoptAuditAnchor === true, readOnly: options.forensic === true });
      const stores = auditStores(main, semantic, auditLog, semanticCapabilities.sharedTransactions, clock, options.forensic === true);
      const mirror = resolved.sessionsMirrorDir === undefined || options.forensic === true ? undefined : new SessionMirror(resolved.sessionsMirrorDir, clock, logger);
      if (mirror) stores.sessions = mirroredSessions(stores.sessions, mirror);
      return new MemorySubstrate(resolved, main, semantic, auditLog, stores, configured, { main: mainCapabilities, semantic: semanticCapabilities }, clock, mirror, options.forensic === true);
    } catch (error) {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
      throw error;
    }
  }

  /** What the substrate runs on; `embedding.dimensions` appears once the vector space is fixed. */
  get info(): SubstrateInfo {
    const { config, embedder } = this;
    return {
      backend: config.backend,
      semanticBackend: config.semanticBackend,
      schemaVersion: this.main.schemaVersion,
      embedding: this.switched
        ? switchedEmbedding(this.semanticProvider.reembedding?.embedder, embedder, config, this.semanticProvider.dimensions)
        : {
            provider: embedder ? config.embeddingProvider : 'none',
            model: config.embeddingModel ?? embedder?.id,
            dimensions: this.semanticProvider.dimensions ?? embedder?.dimensions,
          },
      capabilities: { main: { ...this.capabilities.main }, semantic: { ...this.capabilities.semantic } },
      ...(this.forensic ? { forensic: this.auditLog.integrity } : {}),
    };
  }

  // ── OpenFang Memory-trait facade: plain delegations (the stores audit their own mutations) ──

  get(agentId: string, key: string): Promise<JsonValue | undefined> {
    return this.structured.get(agentId, key);
  }

  async set(agentId: string, key: string, value: JsonValue): Promise<void> {
    await this.structured.set(agentId, key, value);
  }

  delete(agentId: string, key: string): Promise<boolean> {
    return this.structured.delete(agentId, key);
  }

  remember(input: RememberInput): Promise<string> {
    return this.semantic.remember(input);
  }

  recall(query: RecallQuery): Promise<RecalledMemory[]> {
    return this.semantic.recall(query);
  }

  forget(id: string): Promise<boolean> {
    return this.semantic.forget(id);
  }

  addEntity(entity: EntityInput): Promise<string> {
    return this.knowledge.addEntity(entity);
  }

  addRelation(relation: RelationInput): Promise<string> {
    return this.knowledge.addRelation(relation);
  }

  queryGraph(pattern: GraphPattern): Promise<GraphMatch[]> {
    return this.knowledge.queryGraph(pattern);
  }

  consolidate(options?: { dryRun?: boolean }): Promise<ConsolidationReport> {
    return this.consolidation.consolidate(options);
  }

  /**
   * Erasure: removes the agent's data from every store — memories (expired ones and merged twins
   * too, with vectors and keyword entries), KV and its registry entry, entities and relations,
   * sessions and the canonical session, its tasks, its usage events unless `keepUsage` — or, with a
   * `filter`, only the memories matching it. Deleted content is overwritten where the engine can
   * (SQLite: secure_delete — keyword terms included —, a truncating WAL checkpoint). Returns a receipt
   * whose `auditSeq` is the one `agent.erase` entry recording it (ids and counts, never content).
   */
  async erase(request: EraseRequest): Promise<ErasureReceipt> {
    const receipt = await this.eraseAgent(request);
    // The agent's sessions are gone: so are their mirror files.
    if (receipt.scope === 'agent') await this.sessionMirror?.sweep(async (id) => (await this.sessions.get(id)) !== undefined);
    return receipt;
  }

  /**
   * Removes what has expired (KV entries with a ttl) and what the retention settings
   * (`retention_*_days`) no longer keep; each store that removed something leaves one audit entry.
   * The audit log itself is never pruned.
   */
  runRetention(): Promise<RetentionReport> {
    const c = this.config;
    return runRetention(
      this,
      { memoriesDays: c.retentionMemoriesDays, sessionsDays: c.retentionSessionsDays, usageDays: c.retentionUsageDays, taskResultsDays: c.retentionTaskResultsDays },
      this.clock(),
    );
  }

  /**
   * Export: a portable archive (NDJSON, gzip with `gzip: true`) of every store — memories with their
   * vectors and vector space, KV with versions, agents, entities and relations, sessions and canonical
   * sessions, devices, tasks, usage events, and the audit chain (for verification) — or of the given
   * `agents` and `stores`. A header carries the format version, source backends, embedder and vector
   * space; a trailer the counts and a SHA-256 over the content. Streams page by page; when the last
   * record is out, one `archive.export` audit entry (counts, never contents) is written. NOT_SUPPORTED
   * when a backend offers no archive reads (the `http` semantic backend).
   */
  export(options: ExportOptions = {}): Readable {
    // A forensic (read-only) open exports what it can read — a store whose chain is broken is
    // exactly what one wants out for inspection — and records nothing (it can write nothing; the
    // finished summary's auditSeq is then 0). The archive carries the chain as stored.
    const deps = this.archiveDeps();
    return exportArchive(this.forensic ? { ...deps, target: UNRECORDED } : deps, options);
  }

  /**
   * Import of an archive (`source`: a file path, or its bytes; gzip recognised): validates the whole
   * archive first (an altered one is refused), then writes in batches, each atomic, keeping ids,
   * versions, timestamps and access counts. `onConflict` (default `skip`, which makes a re-run resume
   * without duplicates), `dryRun` (validate and report only). Returns per record type: imported,
   * skipped, failed with reasons; one `archive.import` audit entry records it.
   */
  async import(source: ArchiveSource, options: ImportOptions = {}): Promise<ImportReport> {
    if (this.forensic) throw new ValidationError('this is a read-only (forensic) open: nothing can be imported', { backend: this.info.backend });
    return importArchive(this.archiveDeps(), source, options);
  }

  /**
   * Re-embeds every memory with `options.embedder` (default: the configured one) into a new vector
   * space built beside the current one, which recall keeps searching until the atomic switch;
   * resumable (a re-run continues an interrupted one), with progress (`onProgress`). A store without
   * memories is reset at once. The previous space is kept until `dropPreviousVectorSpace()` (or
   * `dropPrevious: true`). NOT_SUPPORTED where the semantic backend cannot (the `http` backend: run
   * it on the gateway). See src/core/reembed.ts.
   */
  async reembed(options: ReembedOptions = {}): Promise<ReembedReport> {
    const subject = this.semanticProvider.reembedding;
    const before = subject?.embedder;
    try {
      return await reembed(this.reembedDeps(), options);
    } finally {
      // info.embedding follows a switch (or reset) to another embedder: the one recall uses from then on.
      if (subject !== undefined && subject.embedder !== before) this.switched = true;
    }
  }

  /** The current, pending (a re-embedding under way) and previous (kept after a switch) vector spaces. */
  async vectorSpaces(): Promise<VectorSpaces> {
    return vectorSpacesOf(this.semanticProvider.reembedding, this.semanticProvider.name);
  }

  /** Drops the previous vector space's vectors (after a re-embedding); false when there was none. */
  async dropPreviousVectorSpace(): Promise<boolean> {
    return (await dropPrevious(this.reembedDeps())) !== undefined;
  }

  /** Abandons an unfinished re-embedding (its pending space and vectors); false when there was none. */
  async abortReembed(): Promise<boolean> {
    return (await abortReembed(this.reembedDeps())) !== undefined;
  }

  /**
   * Builds (or rebuilds) the agent's approximate vector index (SQLite: k-means cells over sign codes,
   * with an exact rerank; see src/backends/sqlite/sqlite-ann-index.ts), with progress. Recall uses it
   * under `vector_search = "approximate"`, or `"auto"` from the agent's size on, which also builds it
   * by itself. NOT_SUPPORTED where the semantic backend has no such index (its own is always in use).
   */
  async buildVectorIndex(agentId: string, options: { onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {}): Promise<VectorIndexBuild> {
    if (this.forensic) throw new ValidationError('this is a read-only (forensic) open: no index can be built', { backend: this.info.semanticBackend });
    return this.indexes().build(validAgentId(agentId, this.info.semanticBackend), options);
  }

  /** Every agent's approximate vector index. */
  async vectorIndexes(): Promise<VectorIndexStatus[]> {
    return this.indexes().status();
  }

  /** Drops the agent's approximate vector index (its recall scans exactly again); false when it had none. */
  async dropVectorIndex(agentId: string): Promise<boolean> {
    if (this.forensic) throw new ValidationError('this is a read-only (forensic) open: no index can be dropped', { backend: this.info.semanticBackend });
    return this.indexes().drop(validAgentId(agentId, this.info.semanticBackend));
  }

  private indexes(): VectorIndexes {
    const indexes = this.semanticProvider.vectorIndexes;
    if (!indexes) {
      throw new NotSupportedError(
        `the ${this.semanticProvider.name} semantic backend has no approximate vector indexes to manage here (its vector search: ${this.info.capabilities.semantic.vectorSearch}; behind the http backend, manage them on the gateway's store)`,
        { backend: this.semanticProvider.name },
      );
    }
    return indexes;
  }

  private reembedDeps(): ReembedDeps {
    const backend = this.semanticProvider.name;
    return { subject: required(this.semanticProvider.reembedding, backend), target: this.semanticTarget, backend, configured: this.embedder };
  }

  private archiveDeps(): ArchiveDeps {
    const info = this.info;
    return {
      backend: info.backend,
      auditKeyed: this.config.auditKeyEnv !== undefined,
      source: { backend: info.backend, semanticBackend: info.semanticBackend, schemaVersion: info.schemaVersion },
      embedder: { provider: info.embedding.provider, model: info.embedding.model ?? null },
      main: this.main.archive,
      audit: this.main.auditStorage,
      semantic: this.semanticProvider.archive,
      target: this.archiveTarget,
      clock: this.clock,
      ...(this.sessionMirror
        ? {
            // Imported sessions get their mirror files, as saved ones do.
            sessionsWritten: async (ids: string[]) => {
              for (const id of ids) {
                const session = await this.sessions.get(id);
                if (session) this.sessionMirror?.write(session);
              }
            },
          }
        : {}),
    };
  }

  async health(): Promise<HealthReport> {
    const backends = [await this.main.health(), await this.semanticProvider.health()];
    return { ok: backends.every((b) => b.ok), backends };
  }

  /** Flushes pending work (access bumps, the audit anchor) and closes every backend. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.auditLog.close();
      await this.semanticProvider.close();
      await this.main.close();
    })();
    return this.closing;
  }
}

/** The audit target of a forensic export: nothing is written to a read-only store. */
const UNRECORDED: AuditTarget = { scope: (fn) => fn(), stage: async () => ({ entry: { seq: 0 }, anchor() {} }) };

/** A config `loadConfig` already resolved (it carries the validated backend tables). */
function isResolved(config: unknown): config is MemoryConfig {
  return typeof config === 'object' && config !== null && 'backendOptions' in config;
}

/** A resolved config back in input form: the substrate-wide keys and one table per backend. */
function toInput(config: MemoryConfig): MemoryConfigInput {
  const { backendOptions, ...rest } = config;
  const input: MemoryConfigInput = {};
  for (const [key, value] of Object.entries(rest)) if (value !== undefined) input[key] = value;
  for (const [name, options] of Object.entries(backendOptions ?? {})) input[name] = options;
  return input;
}

function auditKey(config: MemoryConfig, env: NodeJS.ProcessEnv): Buffer | undefined {
  if (!config.auditKeyEnv) return undefined;
  const value = env[config.auditKeyEnv];
  if (!value) throw new ConfigError([`audit_key_env: environment variable ${config.auditKeyEnv} is not set or empty`]);
  return Buffer.from(value, 'utf8');
}

/** An agent id as every store takes it (core/validate.ts). */
function validAgentId(agentId: unknown, backend: string): string {
  return new Validator(backend).id('agentId', agentId);
}

/**
 * `info.embedding` after a re-embedding switched this substrate's store to `active`: the configured
 * provider and model when it is the configured embedder, else the provider named by the id's
 * prefix (`hash:v1:16` → `hash`) and the id as the model; `none` after a reset to no space.
 */
function switchedEmbedding(active: Embedder | undefined, configured: Embedder | undefined, config: MemoryConfig, dimensions: number | undefined): SubstrateInfo['embedding'] {
  if (!active) return { provider: 'none', model: undefined, dimensions };
  if (active === configured) return { provider: config.embeddingProvider, model: config.embeddingModel ?? active.id, dimensions: dimensions ?? active.dimensions };
  const colon = active.id.indexOf(':');
  return { provider: colon > 0 ? active.id.slice(0, colon) : active.id, model: active.id, dimensions: dimensions ?? active.dimensions };
}
