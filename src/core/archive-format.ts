import { ARCHIVE_TABLES, type ArchiveRow, type ArchiveTable } from '../contracts/archive.js';
import type { AuditEntry } from '../contracts/audit-log.js';
import type { VectorSpace } from '../contracts/semantic-backend.js';
import { MEMORY_SOURCES, type MemoryRecord } from '../contracts/semantic-store.js';
import type { JsonObject } from '../contracts/types.js';
import { ValidationError } from '../errors.js';
import { hashEntry } from './audit-chain.js';

/**
 * The portable archive (`mem.export` / `mem.import`): NDJSON, one JSON object per line, gzip
 * optional. A `header` line first, then one line per record `{ "type": <record type>, ...record }`,
 * then a `trailer` line with the count of each record type and the SHA-256 (hex) of every byte
 * before the trailer line. An archive whose hash or counts do not match is refused.
 */
export const ARCHIVE_FORMAT = 'memstrate-archive';
export const ARCHIVE_VERSION = 1;

/** The stores an export can be limited to (the substrate's store names). */
export const ARCHIVE_STORES = ['structured', 'semantic', 'knowledge', 'sessions', 'usage', 'devices', 'tasks', 'audit'] as const;
export type ArchiveStore = (typeof ARCHIVE_STORES)[number];

/** Record types, in archive order, with the store each belongs to and the main table it is (if any). */
export const RECORD_TYPES = [
  { type: 'agent', store: 'structured', table: 'agents' },
  { type: 'kv', store: 'structured', table: 'kv' },
  { type: 'entity', store: 'knowledge', table: 'entities' },
  { type: 'relation', store: 'knowledge', table: 'relations' },
  { type: 'session', store: 'sessions', table: 'sessions' },
  { type: 'canonical_session', store: 'sessions', table: 'canonical_sessions' },
  { type: 'usage_event', store: 'usage', table: 'usage_events' },
  { type: 'device', store: 'devices', table: 'paired_devices' },
  { type: 'task', store: 'tasks', table: 'tasks' },
  { type: 'memory', store: 'semantic', table: undefined },
  { type: 'audit_entry', store: 'audit', table: undefined },
] as const satisfies readonly { type: string; store: ArchiveStore; table: ArchiveTable | undefined }[];
export type RecordType = (typeof RECORD_TYPES)[number]['type'];
export const RECORD_TYPE_NAMES: readonly RecordType[] = RECORD_TYPES.map((r) => r.type);

export interface ArchiveHeader {
  type: 'header';
  format: typeof ARCHIVE_FORMAT;
  version: number;
  createdAt: number;
  source: { backend: string; semanticBackend: string; schemaVersion: string };
  embedder: { provider: string; model: string | null };
  /** The source's fixed vector space (every memory vector has its dimension), or null. */
  vectorSpace: VectorSpace | null;
  filter: { agents: string[] | null; stores: ArchiveStore[] };
  /** Whether the source's audit chain is keyed (HMAC, `audit_key_env`): an unkeyed chain's exported entries are re-hashed on import. */
  audit: { keyed: boolean };
}

export interface ArchiveTrailer {
  type: 'trailer';
  counts: Record<RecordType, number>;
  /** SHA-256 (hex) of every byte of the archive before the trailer line. */
  sha256: string;
}

/** One record line, validated: its type and what it carries. */
export type ArchiveRecord =
  | { type: 'memory'; record: MemoryRecord }
  | { type: 'audit_entry'; record: AuditEntry }
  | { type: Exclude<RecordType, 'memory' | 'audit_entry'>; table: ArchiveTable; record: ArchiveRow };

export function emptyCounts(): Record<RecordType, number> {
  return Object.fromEntries(RECORD_TYPE_NAMES.map((t) => [t, 0])) as Record<RecordType, number>;
}

/** The record's id as a report names it (KV: `agent/key`; canonical sessions: the agent). */
export function recordId(r: ArchiveRecord): string {
  if (r.type === 'memory') return r.record.id;
  if (r.type === 'audit_entry') return String(r.record.seq);
  return ARCHIVE_TABLES[r.table].key.map((k) => String(r.record[k])).join('/');
}

/** A line of the archive (with its newline). */
export function line(value: object): string {
  return `${JSON.stringify(value)}\n`;
}

/** Checks an archive line strictly; `where` names it (line number) in errors. */
export class ArchiveValidator {
  constructor(
    private readonly backend: string,
    private readonly header: ArchiveHeader,
  ) {}

  private fail(where: string, message: string): never {
    throw new ValidationError(`archive ${where}: ${message}`, { backend: this.backend });
  }

  record(value: unknown, where: string): ArchiveRecord {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(where, 'not a JSON object');
    const { type, ...rest } = value as Record<string, unknown>;
    if (typeof type !== 'string') this.fail(where, 'has no "type"');
    const spec = RECORD_TYPES.find((r) => r.type === type);
    if (!spec) this.fail(where, `unknown record type ${JSON.stringify(type)}`);
    if (!this.header.filter.stores.includes(spec.store)) this.fail(where, `a ${type} record, but the header's stores do not include ${spec.store}`);
    if (spec.type === 'memory') return { type: 'memory', record: this.memory(rest, where) };
    if (spec.type === 'audit_entry') return { type: 'audit_entry', record: this.auditEntry(rest, where) };
    return { type: spec.type, table: spec.table, record: this.row(spec.table, rest, where) };
  }

  private row(table: ArchiveTable, value: Record<string, unknown>, where: string): ArchiveRow {
    const columns = ARCHIVE_TABLES[table].columns as Record<string, string>;
    for (const key of Object.keys(value)) if (!(key in columns)) this.fail(where, `unknown key ${JSON.stringify(key)} in a ${table} row`);
    const row: ArchiveRow = {};
    for (const [column, type] of Object.entries(columns)) {
      const v = value[column];
      if (v === undefined) this.fail(where, `missing ${column}`);
      if (v === null) {
        if (!type.endsWith('?')) this.fail(where, `${column} must not be null`);
      } else if (type.startsWith('n') ? typeof v !== 'number' || !Number.isFinite(v) : typeof v !== 'string') {
        this.fail(where, `${column} must be a ${type.startsWith('n') ? 'number' : 'string'}`);
      }
      row[column] = v as string | number | null;
    }
    return row;
  }

  private memory(value: Record<string, unknown>, where: string): MemoryRecord {
    const required = { id: 's', agentId: 's', content: 's', source: 's', scope: 's', metadata: 'o', confidence: 'n', createdAt: 'n', accessedAt: 'n', accessCount: 'n' };
    const optional = { supersededBy: 's', embedding: 'v', key: 's', expiresAt: 'n' };
    for (const key of Object.keys(value)) if (!(key in required) && !(key in optional)) this.fail(where, `unknown key ${JSON.stringify(key)} in a memory`);
    for (const [key, kind] of Object.entries({ ...required, ...optional })) {
      const v = value[key];
      if (v === undefined) {
        if (key in required) this.fail(where, `memory is missing ${key}`);
        continue;
      }
      const ok =
        kind === 's'
          ? typeof v === 'string'
          : kind === 'n'
            ? typeof v === 'number' && Number.isFinite(v)
            : kind === 'o'
              ? typeof v === 'object' && v !== null && !Array.isArray(v)
              : Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));
      if (!ok) this.fail(where, `memory ${key} has the wrong type`);
    }
    if (!(MEMORY_SOURCES as readonly string[]).includes(value.source as string)) this.fail(where, `memory source ${JSON.stringify(value.source)} is not one of ${MEMORY_SOURCES.join(', ')}`);
    const embedding = value.embedding as number[] | undefined;
    if (embedding !== undefined) {
      const dims = this.header.vectorSpace?.dimensions;
      if (dims === undefined) this.fail(where, 'a memory has a vector but the header has no vector space');
      if (embedding.length !== dims) this.fail(where, `memory vector has ${embedding.length} dimensions, the header's vector space ${dims}`);
    }
    const record: MemoryRecord = {
      id: value.id as string,
      agentId: value.agentId as string,
      content: value.content as string,
      source: value.source as MemoryRecord['source'],
      scope: value.scope as string,
      metadata: value.metadata as JsonObject,
      confidence: value.confidence as number,
      createdAt: value.createdAt as number,
      accessedAt: value.accessedAt as number,
      accessCount: value.accessCount as number,
    };
    if (value.supersededBy !== undefined) record.supersededBy = value.supersededBy as string;
    if (embedding !== undefined) record.embedding = embedding;
    if (value.key !== undefined) record.key = value.key as string;
    if (value.expiresAt !== undefined) record.expiresAt = value.expiresAt as number;
    return record;
  }

  private auditEntry(value: Record<string, unknown>, where: string): AuditEntry {
    const fields = { seq: 'n', timestamp: 'n', agentId: 's', action: 's', detail: 's', outcome: 's', prevHash: 's', hash: 's' };
    for (const key of Object.keys(value)) if (!(key in fields)) this.fail(where, `unknown key ${JSON.stringify(key)} in an audit entry`);
    for (const [key, kind] of Object.entries(fields)) {
      const v = value[key];
      if (kind === 'n' ? typeof v !== 'number' || !Number.isInteger(v) : typeof v !== 'string') this.fail(where, `audit entry ${key} is missing or has the wrong type`);
    }
    const entry = value as unknown as AuditEntry;
    if (!this.header.audit.keyed) {
      const { hash, ...rest } = entry;
      if (hashEntry(rest) !== hash) this.fail(where, `audit entry ${entry.seq}: its hash does not match its content (edited)`);
    }
    return entry;
  }
}

/** Checks the header line strictly. */
export function parseHeader(value: unknown, backend: string): ArchiveHeader {
  const fail = (message: string): never => {
    throw new ValidationError(`archive header: ${message}`, { backend });
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('not a JSON object');
  const h = value as Record<string, unknown>;
  if (h.type !== 'header') fail('the first line is not a header');
  if (h.format !== ARCHIVE_FORMAT) fail(`format ${JSON.stringify(h.format)} is not ${ARCHIVE_FORMAT}`);
  if (h.version !== ARCHIVE_VERSION) fail(`version ${JSON.stringify(h.version)} is not supported (this build reads version ${ARCHIVE_VERSION})`);
  const keys = ['type', 'format', 'version', 'createdAt', 'source', 'embedder', 'vectorSpace', 'filter', 'audit'];
  for (const key of Object.keys(h)) if (!keys.includes(key)) fail(`unknown key ${JSON.stringify(key)}`);
  if (typeof h.createdAt !== 'number') fail('createdAt must be a number');
  const source = h.source as Record<string, unknown> | undefined;
  if (typeof source !== 'object' || source === null || typeof source.backend !== 'string' || typeof source.semanticBackend !== 'string' || typeof source.schemaVersion !== 'string') {
    fail('source must name backend, semanticBackend and schemaVersion');
  }
  const embedder = h.embedder as Record<string, unknown> | undefined;
  if (typeof embedder !== 'object' || embedder === null || typeof embedder.provider !== 'string' || !(typeof embedder.model === 'string' || embedder.model === null)) {
    fail('embedder must give provider and model');
  }
  const space = h.vectorSpace as Record<string, unknown> | null | undefined;
  if (space !== null && (typeof space !== 'object' || !Number.isInteger(space.dimensions) || (space.dimensions as number) < 1 || typeof space.embedderId !== 'string')) {
    fail('vectorSpace must be null or { dimensions, embedderId }');
  }
  const filter = h.filter as Record<string, unknown> | undefined;
  if (
    typeof filter !== 'object' ||
    filter === null ||
    !(filter.agents === null || (Array.isArray(filter.agents) && filter.agents.every((a) => typeof a === 'string'))) ||
    !Array.isArray(filter.stores) ||
    !filter.stores.every((s) => (ARCHIVE_STORES as readonly unknown[]).includes(s))
  ) {
    fail('filter must give agents (a list or null) and stores');
  }
  const audit = h.audit as Record<string, unknown> | undefined;
  if (typeof audit !== 'object' || audit === null || typeof audit.keyed !== 'boolean' || Object.keys(audit).length !== 1) fail('audit must be { keyed: true | false }');
  return value as ArchiveHeader;
}

/** Checks the trailer line strictly. */
export function parseTrailer(value: unknown, backend: string): ArchiveTrailer {
  const fail = (message: string): never => {
    throw new ValidationError(`archive trailer: ${message}`, { backend });
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('not a JSON object');
  const t = value as Record<string, unknown>;
  for (const key of Object.keys(t)) if (!['type', 'counts', 'sha256'].includes(key)) fail(`unknown key ${JSON.stringify(key)}`);
  if (typeof t.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(t.sha256)) fail('sha256 must be 64 hex characters');
  const counts = t.counts as Record<string, unknown> | undefined;
  if (typeof counts !== 'object' || counts === null) return fail('counts missing');
  for (const [key, n] of Object.entries(counts)) {
    if (!(RECORD_TYPE_NAMES as readonly string[]).includes(key)) fail(`unknown record type ${JSON.stringify(key)} in counts`);
    if (!Number.isInteger(n) || (n as number) < 0) fail(`count of ${key} must be a non-negative integer`);
  }
  return { type: 'trailer', counts: { ...emptyCounts(), ...(counts as Record<RecordType, number>) }, sha256: t.sha256 as string };
}
