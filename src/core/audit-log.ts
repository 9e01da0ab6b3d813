import type { AuditEntry, AuditInput, AuditLog, AuditTip, VerifyReport } from '../contracts/audit-log.js';
import type { AuditStorage } from '../contracts/main-backend.js';
import type { Clock, Logger } from '../contracts/types.js';
import { ChainIntegrityError } from '../errors.js';
import type { AuditAnchor } from './audit-anchor.js';
import { GENESIS_HASH, GENESIS_TIP, hashEntry, verifySegment } from './audit-chain.js';
import { LIMITS } from './limits.js';
import { Validator } from './validate.js';

/** Rows read per page while verifying. */
const PAGE = 10_000;
/** A new verified checkpoint is recorded once this many entries follow the last one. */
export const CHECKPOINT_EVERY = 16_384;
/** The anchor trails the log by at most this much (writes are coalesced). */
const ANCHOR_DELAY_MS = 100;

export interface ChainedAuditLogOptions {
  storage: AuditStorage;
  anchor: AuditAnchor;
  clock: Clock;
  logger: Logger;
  backend: string;
  key?: Buffer;
}

/**
 * The hash-chained audit log. Backends only store rows; hashing, verification, the anchor and
 * checkpoints live here, written once for every backend.
 */
export class ChainedAuditLog implements AuditLog {
  private readonly v: Validator;
  private pendingAnchor: AuditTip | undefined;
  private lastAnchored: AuditTip | undefined;
  private chainId = '';
  private anchorTimer: NodeJS.Timeout | undefined;
  private lastCheckpoint: AuditTip = GENESIS_TIP;
  private checkpointing: Promise<void> | undefined;
  private closed = false;

  private constructor(private readonly o: ChainedAuditLogOptions) {
    this.v = new Validator(o.backend);
  }

  /**
   * Verifies the chain (incrementally from the last verified checkpoint) against its anchor and
   * refuses to return on any break (fail closed).
   */
  static async open(options: ChainedAuditLogOptions): Promise<ChainedAuditLog> {
    const log = new ChainedAuditLog(options);
    await log.verifyOnOpen();
    return log;
  }

  private fail(seq: number, message: string): never {
    throw new ChainIntegrityError(seq, message, { backend: this.o.backend });
  }

  private async verifyOnOpen(): Promise<void> {
    const { storage, anchor } = this.o;
    this.chainId = await storage.chainId();
    const anchored = anchor.read();
    const tip = await storage.tip();
    if (anchored === undefined && tip.seq > 0) {
      this.fail(1, `the log has ${tip.seq} entries but the ${anchor.description} is missing`);
    }
    if (anchored && anchored.chainId !== this.chainId) {
      this.fail(1, `the ${anchor.description} belongs to another audit log (chain ${anchored.chainId}, this one is ${this.chainId}); set audit_anchor_path to this log's anchor`);
    }

    let start = GENESIS_TIP;
    const checkpoint = await storage.checkpoint();
    if (checkpoint) {
      const row = await storage.at(checkpoint.seq);
      if (!row) this.fail(Math.min(checkpoint.seq, tip.seq + 1), `entry ${checkpoint.seq} (a verified checkpoint) is missing`);
      const { hash, ...unhashed } = row;
      if (hash !== checkpoint.hash || hashEntry(unhashed, this.o.key) !== hash) {
        this.fail(checkpoint.seq, 'entry differs from its verified checkpoint');
      }
      start = checkpoint;
    }
    // Stop at the tip read above: other processes may append while this one verifies.
    const verified = await this.verifyFrom(start, tip.seq);
    if (verified.seq !== tip.seq) this.fail(verified.seq + 1, `entry ${verified.seq + 1} is missing`);

    if (anchored) {
      if (anchored.seq > tip.seq) {
        this.fail(tip.seq + 1, `the log ends at seq ${tip.seq} but the ${anchor.description} records seq ${anchored.seq} (truncated or rolled back)`);
      }
      if (anchored.seq > 0) {
        const row = await storage.at(anchored.seq);
        if (!row || row.hash !== anchored.hash) {
          this.fail(anchored.seq, `entry differs from the ${anchor.description} (rewritten or rolled back)`);
        }
      }
    }
    this.lastCheckpoint = start;
    if (verified.seq - start.seq >= CHECKPOINT_EVERY) {
      await storage.saveCheckpoint(verified);
      this.lastCheckpoint = verified;
    }
    anchor.write({ chainId: this.chainId, ...verified });
  }

  /** Verifies every entry after `start` (up to seq `upTo`, if given); returns the last one's tip. */
  private async verifyFrom(start: AuditTip, upTo = Number.MAX_SAFE_INTEGER): Promise<AuditTip> {
    let tip = start;
    while (tip.seq < upTo) {
      const page = await this.o.storage.scan(tip.seq, Math.min(PAGE, upTo - tip.seq));
      if (page.length === 0) return tip;
      tip = verifySegment(tip, page, this.o.key, this.o.backend);
    }
    return tip;
  }

  async append(input: AuditInput): Promise<AuditEntry> {
    if (this.closed) this.v.fail('the audit log is closed');
    const agentId = this.v.text('agentId', input?.agentId, LIMITS.idLength, { allowEmpty: true });
    const action = this.v.text('action', input.action, LIMITS.idLength);
    const detail = this.v.text('detail', input.detail, LIMITS.textLength, { allowEmpty: true });
    const outcome = this.v.text('outcome', input.outcome, LIMITS.textLength, { allowEmpty: true });
    const timestamp = this.o.clock();
    const key = this.o.key;
    const entry = await this.o.storage.append((tip) => {
      const base = { seq: tip.seq + 1, timestamp, agentId, action, detail, outcome, prevHash: tip.hash };
      return { ...base, hash: hashEntry(base, key) };
    });
    this.noteTip({ seq: entry.seq, hash: entry.hash });
    return entry;
  }

  private noteTip(tip: AuditTip): void {
    if (!this.pendingAnchor || tip.seq > this.pendingAnchor.seq) this.pendingAnchor = tip;
    if (this.anchorTimer === undefined) {
      this.anchorTimer = setTimeout(() => {
        this.anchorTimer = undefined;
        this.flushAnchor();
        if ((this.lastAnchored?.seq ?? 0) - this.lastCheckpoint.seq >= CHECKPOINT_EVERY) void this.checkpoint();
      }, ANCHOR_DELAY_MS);
      this.anchorTimer.unref();
    }
  }

  private flushAnchor(): void {
    const tip = this.pendingAnchor;
    if (!tip) return;
    this.pendingAnchor = undefined;
    try {
      this.o.anchor.write({ chainId: this.chainId, ...tip });
      this.lastAnchored = tip;
    } catch (error) {
      this.o.logger.error({ err: error, anchor: this.o.anchor.description }, 'audit anchor write failed');
    }
  }

  /** Verifies the entries since the last checkpoint and records a new one. */
  private checkpoint(): Promise<void> {
    if (this.checkpointing) return this.checkpointing;
    this.checkpointing = (async () => {
      try {
        const tip = await this.verifyFrom(this.lastCheckpoint);
        if (tip.seq > this.lastCheckpoint.seq) {
          await this.o.storage.saveCheckpoint(tip);
          this.lastCheckpoint = tip;
        }
      } catch (error) {
        this.o.logger.error({ err: error }, 'audit checkpoint verification failed');
      } finally {
        this.checkpointing = undefined;
      }
    })();
    return this.checkpointing;
  }

  async verify(): Promise<VerifyReport> {
    const tip = await this.verifyFrom(GENESIS_TIP);
    const anchored = this.o.anchor.read();
    if (anchored && anchored.chainId !== this.chainId) this.fail(1, `the ${this.o.anchor.description} belongs to another audit log`);
    if (anchored && anchored.seq > tip.seq) {
      this.fail(tip.seq + 1, `the log ends at seq ${tip.seq} but the ${this.o.anchor.description} records seq ${anchored.seq}`);
    }
    if (anchored && anchored.seq > 0) {
      const row = await this.o.storage.at(anchored.seq);
      if (!row || row.hash !== anchored.hash) this.fail(anchored.seq, `entry differs from the ${this.o.anchor.description}`);
    }
    return { ok: true, entries: tip.seq, tipHash: tip.seq === 0 ? GENESIS_HASH : tip.hash };
  }

  async entries(options: { agentId?: string; limit?: number; after?: number } = {}): Promise<AuditEntry[]> {
    const limit = options.limit === undefined ? 100 : this.v.int('limit', options.limit, 1, LIMITS.maxListLimit);
    const after = options.after === undefined ? 0 : this.v.int('after', options.after, 0, Number.MAX_SAFE_INTEGER);
    const agentId = options.agentId === undefined ? undefined : this.v.id('agentId', options.agentId);
    return this.o.storage.scan(after, limit, agentId);
  }

  tip(): Promise<AuditTip> {
    return this.o.storage.tip();
  }

  /** Writes the anchor now and records a checkpoint if one is due. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.anchorTimer) clearTimeout(this.anchorTimer);
    this.anchorTimer = undefined;
    this.flushAnchor();
    if (this.checkpointing) await this.checkpointing;
    const tip = await this.o.storage.tip();
    if (tip.seq - this.lastCheckpoint.seq >= CHECKPOINT_EVERY) await this.checkpoint();
  }
}
