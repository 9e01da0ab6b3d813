import { createHmac, timingSafeEqual } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AuditTip } from '../contracts/audit-log.js';
import { ChainIntegrityError } from '../errors.js';

/**
 * Where the chain tip is kept outside the audited tables, so that a log shorter than the anchor
 * (tail truncation) or one whose entry at the anchored seq differs (rollback, rewrite) is detected.
 * It also records the last verified checkpoint: open() verifies incrementally only from a
 * checkpoint the anchor vouches for, so a checkpoint inserted into the database is not trusted.
 * With an audit key the record carries an HMAC (`mac`) over all of it: rewriting the anchor then
 * needs the key too.
 */
export interface AnchorRecord extends AuditTip {
  /** The identity of the log it belongs to. */
  chainId: string;
  /** The last verified checkpoint (an entry's seq and hash), if one was recorded. */
  checkpoint?: AuditTip;
  /** HMAC-SHA-256 of the record under the audit key (anchorMac), when a key is configured. */
  mac?: string;
}

/** Stores one anchor record; the audit log decides what goes in it (core/audit-log.ts). */
export interface AuditAnchor {
  read(): Promise<AnchorRecord | undefined>;
  /**
   * Replaces the stored record (atomically where the medium allows). A shared anchor (several
   * hosts) may refuse to move backwards: the record it keeps is never behind one it was given.
   */
  write(record: AnchorRecord): Promise<void>;
  /** Releases what the anchor holds (a connection). */
  close?(): Promise<void>;
  readonly description: string;
}

const MAC_DOMAIN = 'memstrate.anchor.v1\n';

/** HMAC-SHA-256 (hex) of an anchor record's fields, unambiguously encoded, under `key`. */
export function anchorMac(record: Omit<AnchorRecord, 'mac'>, key: Buffer): string {
  const fields = [record.chainId, String(record.seq), record.hash, String(record.checkpoint?.seq ?? 0), record.checkpoint?.hash ?? ''];
  const h = createHmac('sha256', key).update(MAC_DOMAIN);
  for (const f of fields) {
    const bytes = Buffer.from(f, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    h.update(len).update(bytes);
  }
  return h.digest('hex');
}

/** Whether `record` carries a valid MAC under `key`. */
export function anchorAuthentic(record: AnchorRecord, key: Buffer): boolean {
  if (record.mac === undefined) return false;
  const expected = Buffer.from(anchorMac(record, key), 'hex');
  const given = Buffer.from(record.mac, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const HASH = /^[0-9a-f]{64}$/;

function tipOf(value: unknown): AuditTip | undefined {
  const v = value as { seq?: unknown; hash?: unknown } | null;
  return v && Number.isInteger(v.seq) && typeof v.hash === 'string' && HASH.test(v.hash) ? { seq: v.seq as number, hash: v.hash } : undefined;
}

/** An anchor record from its JSON form (`{version: 1, chain, seq, hash, checkpoint?, mac?}`), or undefined when malformed. */
export function parseAnchorRecord(value: unknown): AnchorRecord | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const parsed = value as { version?: unknown; chain?: unknown; seq?: unknown; hash?: unknown; checkpoint?: unknown; mac?: unknown };
  const tip = tipOf(parsed);
  const checkpoint = parsed.checkpoint === undefined ? undefined : tipOf(parsed.checkpoint);
  const macOk = parsed.mac === undefined || (typeof parsed.mac === 'string' && HASH.test(parsed.mac));
  if (parsed.version !== 1 || typeof parsed.chain !== 'string' || !tip || (parsed.checkpoint !== undefined && !checkpoint) || !macOk) return undefined;
  return { chainId: parsed.chain, ...tip, ...(checkpoint ? { checkpoint } : {}), ...(typeof parsed.mac === 'string' ? { mac: parsed.mac } : {}) };
}

/** The JSON form of an anchor record. */
export function anchorJson(record: AnchorRecord): Record<string, unknown> {
  const { chainId, seq, hash, checkpoint, mac } = record;
  return { version: 1, chain: chainId, seq, hash, ...(checkpoint ? { checkpoint } : {}), ...(mac ? { mac } : {}) };
}

/** A small JSON file replaced atomically (write a temp file, fsync, rename). */
export class FileAnchor implements AuditAnchor {
  constructor(
    readonly path: string,
    private readonly backend: string,
    /** `durability = "full"`: fsync the folder after the rename, so the new name survives a power loss. */
    private readonly options: { syncFolder?: boolean } = {},
  ) {}

  get description(): string {
    return `anchor file ${this.path}`;
  }

  async read(): Promise<AnchorRecord | undefined> {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new ChainIntegrityError(0, `cannot read the ${this.description}: ${(error as Error).message}`, { backend: this.backend, cause: error });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const record = parseAnchorRecord(parsed);
    if (record) return record;
    throw new ChainIntegrityError(0, `the ${this.description} is malformed`, { backend: this.backend });
  }

  async write(record: AnchorRecord): Promise<void> {
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(anchorJson(record)));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    if (this.options.syncFolder) {
      const dir = openSync(dirname(this.path), 'r');
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
    }
  }
}

/** For `:memory:` databases, whose log cannot outlive the process either. */
export class MemoryAnchor implements AuditAnchor {
  private record: AnchorRecord | undefined;
  readonly description = 'in-memory anchor';
  async read(): Promise<AnchorRecord | undefined> {
    return this.record;
  }
  async write(record: AnchorRecord): Promise<void> {
    this.record = record;
  }
}
