import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AuditTip } from '../contracts/audit-log.js';
import { ChainIntegrityError } from '../errors.js';

/**
 * Where the chain tip is kept outside the audited tables, so that a log shorter than the anchor
 * (tail truncation) or one whose entry at the anchored seq differs (rollback, rewrite) is detected.
 */
/** An anchored tip, bound to the identity of the log it belongs to. */
export interface AnchorRecord extends AuditTip {
  chainId: string;
}

export interface AuditAnchor {
  read(): AnchorRecord | undefined;
  /** Replaces the anchor if `record` is ahead of it for the same log (never moves it backwards). */
  write(record: AnchorRecord): void;
  readonly description: string;
}

/** A small JSON file replaced atomically (write a temp file, fsync, rename). */
export class FileAnchor implements AuditAnchor {
  constructor(readonly path: string, private readonly backend: string) {}

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
      const parsed = JSON.parse(text) as { version?: unknown; chain?: unknown; seq?: unknown; hash?: unknown };
      if (
        parsed.version === 1 &&
        typeof parsed.chain === 'string' &&
        Number.isInteger(parsed.seq) &&
        typeof parsed.hash === 'string' &&
        /^[0-9a-f]{64}$/.test(parsed.hash)
      ) {
        return { chainId: parsed.chain, seq: parsed.seq as number, hash: parsed.hash };
      }
    } catch {
      // fall through
    }
    throw new ChainIntegrityError(0, `the ${this.description} is malformed`, { backend: this.backend });
  }

  write(record: AnchorRecord): void {
    const current = safeRead(this);
    if (current && current.chainId === record.chainId && current.seq >= record.seq) return;
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify({ version: 1, chain: record.chainId, seq: record.seq, hash: record.hash }));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
  }
}

function safeRead(anchor: AuditAnchor): AnchorRecord | undefined {
  try {
    return anchor.read();
  } catch {
    return undefined;
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
    if (!this.record || record.chainId !== this.record.chainId || record.seq > this.record.seq) this.record = record;
  }
}
