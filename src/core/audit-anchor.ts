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
  read(): AnchorRecord | undefined;
  /** Replaces the stored record (atomically where the medium allows). */
  write(record: AnchorRecord): void;
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

  read(): AnchorRecord | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new ChainIntegrityError(0, `cannot read the ${this.description}: ${(error as Error).message}`, { backend: this.backend, cause: error });
    }
    try {
      const parsed = JSON.parse(text) as { version?: unknown; chain?: unknown; seq?: unknown; hash?: unknown; checkpoint?: unknown; mac?: unknown };
      const tip = tipOf(parsed);
      const checkpoint = parsed.checkpoint === undefined ? undefined : tipOf(parsed.checkpoint);
      const macOk = parsed.mac === undefined || (typeof parsed.mac === 'string' && HASH.test(parsed.mac));
      if (parsed.version === 1 && typeof parsed.chain === 'string' && tip && (parsed.checkpoint === undefined || checkpoint) && macOk) {
        return { chainId: parsed.chain, ...tip, ...(checkpoint ? { checkpoint } : {}), ...(typeof parsed.mac === 'string' ? { mac: parsed.mac } : {}) };
      }
    } catch {
      // fall through
    }
    throw new ChainIntegrityError(0, `the ${this.description} is malformed`, { backend: this.backend });
  }

  write(record: AnchorRecord): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      const { chainId, seq, hash, checkpoint, mac } = record;
      writeSync(fd, JSON.stringify({ version: 1, chain: chainId, seq, hash, ...(checkpoint ? { checkpoint } : {}), ...(mac ? { mac } : {}) }));
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
  read(): AnchorRecord | undefined {
    return this.record;
  }
  write(record: AnchorRecord): void {
    this.record = record;
  }
}
