import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { PassThrough, Readable, pipeline } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import type { ArchiveRow, ArchiveRowOutcome, MainArchive } from '../contracts/archive.js';
import type { AuditStorage } from '../contracts/main-backend.js';
import type { ProviderArchive } from '../contracts/semantic-provider.js';
import type { MemoryRecord } from '../contracts/semantic-store.js';
import type { Clock } from '../contracts/types.js';
import { MemoryError, NotSupportedError, ValidationError } from '../errors.js';
import {
  ARCHIVE_FORMAT,
  ARCHIVE_STORES,
  ARCHIVE_VERSION,
  ArchiveValidator,
  emptyCounts,
  line,
  parseHeader,
  parseTrailer,
  RECORD_TYPES,
  RECORD_TYPE_NAMES,
  recordId,
  type ArchiveHeader,
  type ArchiveRecord,
  type ArchiveStore,
  type RecordType,
} from './archive-format.js';
import type { AuditTarget } from './audit-wrap.js';
import { idList } from './audited-stores.js';
import { assertSameSpace } from './vector-space.js';
import { Validator } from './validate.js';

export interface ExportOptions {
  /** Only these agents' records (memories, KV and registry entry, entities, relations, sessions, usage, tasks they created, were assigned or claimed, audit entries); paired devices, which belong to no agent, are left out. Default: everything. */
  agents?: string[];
  /** Only these stores (default: all of ARCHIVE_STORES). */
  stores?: ArchiveStore[];
  /** gzip the archive (default false). */
  gzip?: boolean;
  /** Who exports (the `archive.export` audit entry's agentId); default ''. */
  actor?: string;
  /** Called after each page with the records written so far, and once at the end with the summary. */
  onProgress?: (progress: ExportProgress) => void;
  /** Records read per page from each store; 1..10000, default 500. */
  pageSize?: number;
}

export interface ExportProgress {
  records: number;
  /** How many records the export will hold, counted before it starts (when every store can count; the store may change meanwhile). */
  total?: number;
  /** Set on the last call: the trailer's counts and hash, and the `archive.export` entry's seq. */
  finished?: ExportSummary;
}

export type OnConflict = 'skip' | 'overwrite' | 'fail';

export interface ImportOptions {
  /** What to do with a record whose id (KV: agent + key) the target already holds. Default `skip` (which makes a re-run resume). */
  onConflict?: OnConflict;
  /** Validate the whole archive and report, writing nothing. */
  dryRun?: boolean;
  /** Records per batch (each batch is atomic); 1..10000, default 500. */
  batchSize?: number;
  /** Who imports (the `archive.import` audit entry's agentId); default ''. */
  actor?: string;
  /** Called after each batch (and once when validation is done) with the records done so far. */
  onProgress?: (progress: ImportProgress) => void;
}

export interface ImportProgress {
  phase: 'validate' | 'write';
  done: number;
  total: number;
}

export interface ImportFailure {
  id: string;
  reason: string;
}

/** What an import did with one record type (OpenFang's ImportReport, per store). */
export interface ImportStoreReport {
  /** Records of this type in the archive. */
  total: number;
  imported: number;
  /** Already present (onConflict `skip`), or audit entries (kept for verification, never re-imported). */
  skipped: number;
  failed: ImportFailure[];
}

export interface ImportReport {
  dryRun: boolean;
  onConflict: OnConflict;
  /** The archive's header: format version, source backends, embedder and vector space. */
  source: ArchiveHeader['source'];
  sha256: string;
  stores: Record<RecordType, ImportStoreReport>;
  /** The seq of the `archive.import` audit entry (absent on a dry run). */
  auditSeq?: number;
}

export interface ExportSummary {
  counts: Record<RecordType, number>;
  sha256: string;
  auditSeq: number;
}

export interface ArchiveDeps {
  backend: string;
  /** Whether the audit chain is keyed (an HMAC key): unkeyed entries are re-hashed on import. */
  auditKeyed: boolean;
  source: ArchiveHeader['source'];
  embedder: ArchiveHeader['embedder'];
  main: MainArchive | undefined;
  audit: AuditStorage;
  semantic: ProviderArchive | undefined;
  target: AuditTarget;
  clock: Clock;
  /** Called with the ids of the sessions an import batch wrote (created or replaced): e.g. to mirror them. */
  sessionsWritten?: (ids: string[]) => Promise<void>;
}

const PAGE = 500;
const EXPORT_KEYS = ['agents', 'stores', 'gzip', 'actor', 'onProgress', 'pageSize'];
const IMPORT_KEYS = ['onConflict', 'dryRun', 'batchSize', 'actor', 'onProgress'];

/** Validates export options (unknown keys, agent ids, store names). */
function exportPlan(
  backend: string,
  options: ExportOptions,
): { agents: string[] | undefined; stores: ArchiveStore[]; gzip: boolean; actor: string; onProgress: ExportOptions['onProgress']; pageSize: number } {
  const v = new Validator(backend);
  if (typeof options !== 'object' || options === null || Array.isArray(options)) v.fail('export takes { agents?, stores?, gzip?, actor? }');
  v.knownKeys('', options, EXPORT_KEYS);
  let agents: string[] | undefined;
  if (options.agents !== undefined) {
    if (!Array.isArray(options.agents) || options.agents.length === 0) v.fail('agents must be a non-empty list of agent ids');
    agents = [...new Set(options.agents.map((a, i) => v.id(`agents[${i}]`, a)))];
  }
  let stores: ArchiveStore[] = [...ARCHIVE_STORES];
  if (options.stores !== undefined) {
    if (!Array.isArray(options.stores) || options.stores.length === 0) v.fail('stores must be a non-empty list');
    for (const s of options.stores) if (!(ARCHIVE_STORES as readonly unknown[]).includes(s)) v.fail(`unknown store ${JSON.stringify(s)}; one of ${ARCHIVE_STORES.join(', ')}`);
    stores = ARCHIVE_STORES.filter((s) => options.stores?.includes(s));
  }
  if (options.gzip !== undefined && typeof options.gzip !== 'boolean') v.fail('gzip must be true or false');
  const actor = options.actor === undefined ? '' : v.id('actor', options.actor);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') v.fail('onProgress must be a function');
  const pageSize = options.pageSize ?? PAGE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 10_000) v.fail('pageSize must be an integer in 1..10000');
  return { agents, stores, gzip: options.gzip === true, actor, onProgress: options.onProgress, pageSize };
}

/**
 * The archive as a byte stream (gzip when asked). Records are read page by page (keyset paging), so
 * memory use does not grow with the store. When the last record is out, one `archive.export` audit
 * entry (counts, filter, hash — never contents) is written, then the trailer; a failure errors the stream.
 */
export function exportArchive(deps: ArchiveDeps, options: ExportOptions = {}): Readable {
  const plan = exportPlan(deps.backend, options);
  const needsMain = plan.stores.some((s) => s !== 'semantic' && s !== 'audit');
  if (needsMain && !deps.main) throw new NotSupportedError(`the ${deps.source.backend} main backend does not support export`, { backend: deps.backend });
  if (plan.stores.includes('semantic') && !deps.semantic) throw new NotSupportedError(`the ${deps.source.semanticBackend} semantic backend does not support export`, { backend: deps.backend });
  const source = Readable.from(exportLines(deps, plan), { objectMode: false });
  if (!plan.gzip) return source;
  const out = new PassThrough();
  pipeline(source, createGzip(), out, (error) => {
    if (error) out.destroy(error);
  });
  return out;
}

async function* exportLines(deps: ArchiveDeps, plan: ReturnType<typeof exportPlan>): AsyncGenerator<Buffer> {
  const hash = createHash('sha256');
  const counts = emptyCounts();
  let written = 0;
  const emit = (value: object): Buffer => {
    const bytes = Buffer.from(line(value), 'utf8');
    hash.update(bytes);
    return bytes;
  };
  const vectorSpace = plan.stores.includes('semantic') ? ((await deps.semantic?.vectorSpace()) ?? null) : null;
  const total = plan.onProgress ? await exportTotal(deps, plan) : undefined;
  const progress = (records: number): void => plan.onProgress?.(total === undefined ? { records } : { records, total });
  const header: ArchiveHeader = {
    type: 'header',
    format: ARCHIVE_FORMAT,
    version: ARCHIVE_VERSION,
    createdAt: deps.clock(),
    source: deps.source,
    embedder: deps.embedder,
    vectorSpace,
    filter: { agents: plan.agents ?? null, stores: plan.stores },
    audit: { keyed: deps.auditKeyed },
  };
  yield emit(header);
  for (const spec of RECORD_TYPES) {
    if (!plan.stores.includes(spec.store)) continue;
    if (spec.type === 'audit_entry') {
      const wanted = plan.agents === undefined ? undefined : new Set(plan.agents);
      let after = 0;
      for (;;) {
        const entries = await deps.audit.scan(after, plan.pageSize);
        for (const entry of entries) {
          if (wanted && !wanted.has(entry.agentId)) continue;
          counts.audit_entry++;
          written++;
          yield emit({ type: 'audit_entry', ...entry });
        }
        progress(written);
        if (entries.length < plan.pageSize) break;
        after = (entries.at(-1) as { seq: number }).seq;
      }
      continue;
    }
    let cursor: string | undefined;
    do {
      const page =
        spec.table === undefined
          ? await (deps.semantic as ProviderArchive).exportRows({ cursor, limit: plan.pageSize, agentIds: plan.agents })
          : await (deps.main as MainArchive).exportRows(spec.table, { cursor, limit: plan.pageSize, agentIds: plan.agents });
      for (const row of page.rows) {
        counts[spec.type]++;
        written++;
        yield emit({ type: spec.type, ...row });
      }
      progress(written);
      cursor = page.cursor;
    } while (cursor !== undefined);
  }
  const sha256 = hash.digest('hex');
  let staged: { entry: { seq: number }; anchor(): void } | undefined;
  await deps.target.scope(async () => {
    staged = await deps.target.stage({
      agentId: plan.actor,
      action: 'archive.export',
      detail: JSON.stringify({ format: ARCHIVE_FORMAT, version: ARCHIVE_VERSION, agents: plan.agents ?? null, stores: plan.stores, counts, sha256 }),
      outcome: 'ok',
    });
  });
  staged?.anchor();
  yield Buffer.from(line({ type: 'trailer', counts, sha256 }), 'utf8');
  if (staged) plan.onProgress?.({ records: written, ...(total === undefined ? {} : { total }), finished: { counts, sha256, auditSeq: staged.entry.seq } });
}

/** How many records the export will hold, or undefined when the semantic side cannot count. */
async function exportTotal(deps: ArchiveDeps, plan: ReturnType<typeof exportPlan>): Promise<number | undefined> {
  let total = 0;
  for (const spec of RECORD_TYPES) {
    if (!plan.stores.includes(spec.store)) continue;
    if (spec.type === 'audit_entry') {
      if (plan.agents === undefined) {
        total += await deps.audit.count();
        continue;
      }
      for (const agentId of plan.agents) {
        let after = 0;
        for (;;) {
          const entries = await deps.audit.scan(after, 10_000, agentId);
          total += entries.length;
          if (entries.length < 10_000) break;
          after = (entries.at(-1) as { seq: number }).seq;
        }
      }
    } else if (spec.table !== undefined) {
      total += await (deps.main as MainArchive).countRows(spec.table, plan.agents);
    } else {
      const count = deps.semantic?.countRows;
      if (!count) return undefined;
      try {
        total += await count.call(deps.semantic, plan.agents);
      } catch (error) {
        if (MemoryError.is(error) && error.code === 'NOT_SUPPORTED') return undefined;
        throw error;
      }
    }
  }
  return total;
}

/** Where an archive comes from: a file path, or its bytes. gzip is recognised by its magic bytes. */
export type ArchiveSource = string | Uint8Array;

async function isGzip(source: ArchiveSource): Promise<boolean> {
  if (typeof source !== 'string') return source[0] === 0x1f && source[1] === 0x8b;
  const handle = await open(source, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/** The archive's lines (without their newline), read as a stream. */
async function* readLines(source: ArchiveSource, backend: string): AsyncGenerator<string> {
  let gzip: boolean;
  try {
    gzip = await isGzip(source);
  } catch (error) {
    throw new ValidationError(`cannot read the archive ${String(source)}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, { backend, cause: error });
  }
  const raw = typeof source === 'string' ? createReadStream(source) : Readable.from([Buffer.from(source)]);
  const input = gzip ? raw.pipe(createGunzip()) : raw;
  raw.on('error', (error: Error) => input.destroy(error));
  try {
    for await (const text of createInterface({ input, crlfDelay: Infinity })) yield text;
  } catch (error) {
    if (MemoryError.is(error)) throw error;
    throw new ValidationError(`cannot read the archive: ${(error as Error).message}`, { backend, cause: error });
  }
}

function parseJson(text: string, where: string, backend: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ValidationError(`archive ${where}: not valid JSON`, { backend });
  }
}

function importPlan(backend: string, options: ImportOptions): { onConflict: OnConflict; dryRun: boolean; batchSize: number; actor: string } {
  const v = new Validator(backend);
  if (typeof options !== 'object' || options === null || Array.isArray(options)) v.fail('import takes { onConflict?, dryRun?, batchSize?, actor?, onProgress? }');
  v.knownKeys('', options, IMPORT_KEYS);
  const onConflict = options.onConflict ?? 'skip';
  if (!['skip', 'overwrite', 'fail'].includes(onConflict)) v.fail('onConflict must be skip, overwrite or fail');
  if (options.dryRun !== undefined && typeof options.dryRun !== 'boolean') v.fail('dryRun must be true or false');
  const batchSize = options.batchSize ?? 500;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) v.fail('batchSize must be an integer in 1..10000');
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') v.fail('onProgress must be a function');
  const actor = options.actor === undefined ? '' : v.id('actor', options.actor);
  return { onConflict, dryRun: options.dryRun === true, batchSize, actor };
}

/** Pass 1: every line checked strictly, the trailer's counts and hash compared; an altered archive is refused. */
async function validateArchive(deps: ArchiveDeps, source: ArchiveSource, onProgress: ImportOptions['onProgress']): Promise<{ header: ArchiveHeader; counts: Record<RecordType, number>; sha256: string }> {
  const backend = deps.backend;
  const hash = createHash('sha256');
  let header: ArchiveHeader | undefined;
  let validator: ArchiveValidator | undefined;
  let pending: string | undefined;
  let n = 0;
  const counts = emptyCounts();
  let lastAudit: { seq: number; hash: string } | undefined;
  const take = (text: string, where: string): void => {
    const record = (validator as ArchiveValidator).record(parseJson(text, where, backend), where);
    counts[record.type]++;
    if (record.type === 'audit_entry') {
      const entry = record.record;
      if (lastAudit && entry.seq <= lastAudit.seq) throw new ValidationError(`archive ${where}: audit entries are not in ascending seq order`, { backend });
      if (lastAudit && entry.seq === lastAudit.seq + 1 && entry.prevHash !== lastAudit.hash) {
        throw new ValidationError(`archive ${where}: the exported audit chain is broken at seq ${entry.seq}`, { backend });
      }
      lastAudit = { seq: entry.seq, hash: entry.hash };
    }
  };
  for await (const text of readLines(source, backend)) {
    n++;
    if (n === 1) {
      header = parseHeader(parseJson(text, 'line 1', backend), backend);
      validator = new ArchiveValidator(backend, header);
      hash.update(`${text}\n`);
      continue;
    }
    if (pending !== undefined) {
      take(pending, `line ${n - 1}`);
      hash.update(`${pending}\n`);
    }
    pending = text;
  }
  if (!header || pending === undefined) throw new ValidationError('archive: empty or truncated (no header or no trailer)', { backend });
  const trailer = parseTrailer(parseJson(pending, `line ${n} (trailer)`, backend), backend);
  const sha256 = hash.digest('hex');
  if (trailer.sha256 !== sha256) throw new ValidationError('archive: content hash mismatch — the archive was altered or truncated; refused', { backend });
  for (const type of RECORD_TYPE_NAMES) {
    if (trailer.counts[type] !== counts[type]) throw new ValidationError(`archive: the trailer counts ${trailer.counts[type]} ${type} records, the archive holds ${counts[type]}; refused`, { backend });
  }
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  onProgress?.({ phase: 'validate', done: total, total });
  return { header, counts, sha256 };
}

/**
 * Import: pass 1 validates the whole archive (nothing is written if any line is wrong or the hash
 * does not match); pass 2 writes the records in batches, each batch atomic, keeping ids, versions,
 * timestamps and access counts. A record already present is skipped / overwritten / failed as
 * `onConflict` says — so re-running an interrupted import with `skip` resumes it without
 * duplicates. Audit entries in the archive are verified, never imported. One `archive.import`
 * audit entry (counts, source, hash) records it.
 */
export async function importArchive(deps: ArchiveDeps, source: ArchiveSource, options: ImportOptions = {}): Promise<ImportReport> {
  const backend = deps.backend;
  const plan = importPlan(backend, options);
  if (!(typeof source === 'string' || source instanceof Uint8Array)) throw new ValidationError('import takes a file path or the archive bytes', { backend });
  const { header, counts, sha256 } = await validateArchive(deps, source, options.onProgress);
  const mainTotal = RECORD_TYPES.filter((r) => r.table !== undefined).reduce((a, r) => a + counts[r.type], 0);
  if (mainTotal > 0 && !deps.main) throw new NotSupportedError(`the ${deps.source.backend} main backend does not support import`, { backend });
  if (counts.memory > 0) {
    if (!deps.semantic) throw new NotSupportedError(`the ${deps.source.semanticBackend} semantic backend does not support import`, { backend });
    const stored = await deps.semantic.vectorSpace();
    if (stored && header.vectorSpace) assertSameSpace(stored, header.vectorSpace, backend);
  }
  const stores = Object.fromEntries(RECORD_TYPE_NAMES.map((t) => [t, { total: counts[t], imported: 0, skipped: 0, failed: [] as ImportFailure[] }])) as Record<RecordType, ImportStoreReport>;
  const report: ImportReport = { dryRun: plan.dryRun, onConflict: plan.onConflict, source: header.source, sha256, stores };
  if (plan.dryRun) return report;
  if (counts.memory > 0 && header.vectorSpace) await (deps.semantic as ProviderArchive).adoptVectorSpace(header.vectorSpace);

  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  let done = 0;
  const validator = new ArchiveValidator(backend, header);
  let batch: ArchiveRecord[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const records = batch;
    batch = [];
    await writeBatch(deps, records, plan.onConflict, stores[records[0]?.type as RecordType]);
    done += records.length;
    options.onProgress?.({ phase: 'write', done, total });
  };
  let n = 0;
  const rehash = createHash('sha256');
  for await (const text of readLines(source, backend)) {
    n++;
    if (n === 1) {
      rehash.update(`${text}\n`);
      continue;
    }
    const value = parseJson(text, `line ${n}`, backend) as { type?: unknown };
    if (value.type === 'trailer') break;
    rehash.update(`${text}\n`);
    const record = validator.record(value, `line ${n}`);
    if (record.type === 'audit_entry') {
      stores.audit_entry.skipped++;
      done++;
      continue;
    }
    if (batch.length > 0 && (batch[0]?.type !== record.type || batch.length >= plan.batchSize)) await flush();
    batch.push(record);
  }
  await flush();
  if (rehash.digest('hex') !== sha256) {
    throw new ValidationError('archive: the file changed while it was being imported (its hash no longer matches what was validated); re-run the import on an unchanging file', { backend });
  }

  const summary = Object.fromEntries(
    RECORD_TYPE_NAMES.filter((t) => counts[t] > 0).map((t) => [t, { imported: stores[t].imported, skipped: stores[t].skipped, failed: stores[t].failed.length }]),
  );
  let staged: { entry: { seq: number }; anchor(): void } | undefined;
  await deps.target.scope(async () => {
    staged = await deps.target.stage({
      agentId: plan.actor,
      action: 'archive.import',
      detail: JSON.stringify({ sha256, source: header.source, exportedAt: header.createdAt, onConflict: plan.onConflict, counts: summary }),
      outcome: 'ok',
    });
  });
  staged?.anchor();
  if (staged) report.auditSeq = staged.entry.seq;
  return report;
}

/** Writes one batch of one record type atomically; a batch that fails is retried record by record to name the failing ones. */
async function writeBatch(deps: ArchiveDeps, records: ArchiveRecord[], onConflict: OnConflict, into: ImportStoreReport): Promise<void> {
  const write = (rs: ArchiveRecord[]): Promise<ArchiveRowOutcome[]> => {
    const first = rs[0] as ArchiveRecord;
    const options = { overwrite: onConflict === 'overwrite' };
    if (first.type === 'memory') return (deps.semantic as ProviderArchive).importRows(rs.map((r) => r.record as MemoryRecord), options);
    if (first.type === 'audit_entry') return Promise.resolve(rs.map(() => 'existing' as const));
    return (deps.main as MainArchive).importRows(first.table, rs.map((r) => r.record as ArchiveRow), options);
  };
  const tally = async (rs: ArchiveRecord[], outcomes: ArchiveRowOutcome[]): Promise<void> => {
    if (rs[0]?.type === 'session' && deps.sessionsWritten) {
      const ids = rs.filter((_, i) => outcomes[i] !== 'existing').map((r) => String((r.record as ArchiveRow).id));
      if (ids.length > 0) await deps.sessionsWritten(ids);
    }
    rs.forEach((r, i) => {
      if (outcomes[i] !== 'existing') into.imported++;
      else if (onConflict === 'fail') into.failed.push({ id: recordId(r), reason: 'already present in the target (onConflict: fail)' });
      else into.skipped++;
    });
  };
  try {
    await tally(records, await write(records));
  } catch (error) {
    if (!isRecordError(error)) throw error;
    if (records.length === 1) {
      into.failed.push({ id: recordId(records[0] as ArchiveRecord), reason: (error as Error).message });
      return;
    }
    for (const r of records) {
      try {
        await tally([r], await write([r]));
      } catch (single) {
        if (!isRecordError(single)) throw single;
        into.failed.push({ id: recordId(r), reason: (single as Error).message });
      }
    }
  }
}

/** Errors a record can cause (the rest — an unreachable backend, a broken chain — abort the import). */
function isRecordError(error: unknown): boolean {
  return MemoryError.is(error) && (error.code === 'VALIDATION' || error.code === 'CONFLICT');
}

/**
 * The semantic archive as the substrate offers it to others (the gateway's `/v1/memories/export` and
 * `/v1/memories/import`, which the `http` backend's archive calls): reads pass through; each
 * `importRows` that wrote something appends one `memory.import` audit entry (ids and counts, never
 * contents), after the write (the semantic engine's own unit).
 */
export function auditedMemoryArchive(inner: ProviderArchive, target: AuditTarget): ProviderArchive {
  return {
    exportRows: (page) => inner.exportRows(page),
    ...(inner.countRows ? { countRows: (agentIds: readonly string[] | undefined) => (inner.countRows as NonNullable<typeof inner.countRows>)(agentIds) } : {}),
    vectorSpace: () => inner.vectorSpace(),
    adoptVectorSpace: (space) => inner.adoptVectorSpace(space),
    async importRows(rows, options) {
      let staged: { entry: { seq: number }; anchor(): void } | undefined;
      const outcomes = await target.scope(async () => {
        const outcomes = await inner.importRows(rows, options);
        const written = rows.filter((_, i) => outcomes[i] !== 'existing').map((r) => r.id);
        if (written.length > 0) {
          const agents = [...new Set(rows.map((r) => r.agentId))];
          staged = await target.stage({
            agentId: agents.length === 1 ? (agents[0] as string) : '',
            action: 'memory.import',
            detail: JSON.stringify({
              ids: idList(written),
              created: outcomes.filter((o) => o === 'created').length,
              replaced: outcomes.filter((o) => o === 'replaced').length,
              existing: outcomes.filter((o) => o === 'existing').length,
              ...(agents.length > 1 ? { agents: idList(agents) } : {}),
            }),
            outcome: 'ok',
          });
        }
        return outcomes;
      });
      staged?.anchor();
      return outcomes;
    },
  };
}
