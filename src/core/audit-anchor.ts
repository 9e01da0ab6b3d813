import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AuditTip } from '../contracts/audit-log.js';
import { ChainIntegrityError } from '../errors.js';

/**
 * Where the chain tip is kept outside the audited tables, so that a log shorter than the anchor
 * (tail truncation) or one whose entry at the anchored seq differs (rollback, rewrite) is detected.
 */
export interface AuditAnchor {
  read(): AuditTip | undefined;
  /** Replaces the anchor if `tip` is ahead of it (never moves it backwards). */
  write(tip: AuditTip): void;
  readonly description: string;
}

/** A small JSON file replaced atomically (write a temp file, fsync, rename). */
export class FileAnchor implements AuditAnchor {
  constructor(readonly path: string, private readonly backend: string) {}

  get description(): string {
    return `anchor file ${this.path}`;
  }

  read(): AuditTip | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new ChainIntegrityError(0, `cannot read the ${this.description}: ${(error as Error).message}`, { backend: this.backend, cause: error });
    }
    try {
      const parsed = JSON.parse(text) as { version?: unknown; seq?: unknown; hash?: unknown };
      if (parsed.version === 1 && Number.isInteger(parsed.seq) && typeof parsed.hash === 'string' && /^[0-9a-f]{64}$/.test(parsed.hash)) {
        return { seq: parsed.seq as number, hash: parsed.hash };
      }
    } catch {
      // fall through
    }
    throw new ChainIntegrityError(0, `the ${this.description} is malformed`, { backend: this.backend });
  }

  write(tip: AuditTip): void {
    const current = safeRead(this);
    if (current && current.seq >= tip.seq) return;
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify({ version: 1, seq: tip.seq, hash: tip.hash }));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
  }
}

function safeRead(anchor: AuditAnchor): AuditTip | undefined {
  try {
    return anchor.read();
  } catch {
    return undefined;
  }
}

/** For `:memory:` databases, whose log cannot outlive the process either. */
export class MemoryAnchor implements AuditAnchor {
  private tip: AuditTip | undefined;
  readonly description = 'in-memory anchor';
  read(): AuditTip | undefined {
    return this.tip;
  }
  write(tip: AuditTip): void {
    if (!this.tip || tip.seq > this.tip.seq) this.tip = tip;
  }
}
