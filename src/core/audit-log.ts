import type { AuditEntry, AuditInput, AuditLog, AuditTip, VerifyReport } from '../contracts/audit-log.js';
import type { AuditStorage } from '../contracts/main-backend.js';
import type { Clock, Logger } from '../contracts/types.js';
import { ChainIntegrityError } from '../errors.js';
import { anchorAuthentic, anchorMac, type AnchorRecord, type AuditAnchor } from './audit-anchor.js';
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
  /**
   * Re-verify the whole chain from genesis, ignoring the anchor and any checkpoint, then replace the
   * anchor with the verified tip and append an `audit.anchor_adopt` entry naming what it replaced.
   * A broken chain still fails.
   */
  adoptAnchor?: boolean;
  /**
   * A forensic (read-only) open: a broken chain does not fail the open (`integrity` says where it
   * broke), and nothing is written — no anchor, no checkpoint, no entry.
   */
  readOnly?: boolean;
}

/** The action of the entry an anchor adoption appends. */
export const ANCHOR_ADOPT_ACTION = 'audit.anchor_adopt';

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
  /** Where the chain broke, on a read-only open that went on despite it. */
  private broken: ChainIntegrityError | undefined;
  /** The anchor write in flight (writes are serialised). */
  private flushing: Promise<void> = Promise.resolve();

  private constructor(private readonly o: ChainedAuditLogOptions) {
    this.v = new Validator(o.backend);
  }

  /**
   * Verifies the chain (incrementally from the last verified checkpoint) against its anchor and
   * refuses to return on any break (fail closed).
   */
  static async open(options: ChainedAuditLogOptions): Promise<ChainedAuditLog> {
    const log = new ChainedAuditLog(options);
    if (options.adoptAnchor) await log.adopt();
    else if (options.readOnly) {
      try {
        await log.verifyOnOpen();
      } catch (error) {
        if (!(error instanceof ChainIntegrityError)) throw error;
        log.broken = error;
      }
    } else await log.verifyOnOpen();
    return log;
  }

  private fail(seq: number, message: string): never {
    throw new ChainIntegrityError(seq, message, { backend: this.o.backend });
  }

  /** How the chain verified on open (read-only opens go on despite a break). */
  get integrity(): { chain: 'intact' } | { chain: 'broken'; seq: number; message: string } {
    return this.broken ? { chain: 'broken', seq: this.broken.seq, message: this.broken.message } : { chain: 'intact' };
  }

  /** The anchor's record; with an audit key it must carry a valid MAC (fail closed otherwise). */
  private async readAnchor(): Promise<AnchorRecord | undefined> {
    const record = await this.o.anchor.read();
    if (record && this.o.key && !anchorAuthentic(record, this.o.key)) {
      this.fail(Math.max(1, record.seq), `the ${this.o.anchor.description} is not authenticated by the audit key (rewritten, or written without the key)`);
    }
    return record;
  }

  /**
   * Records `tip` and `checkpoint` in the anchor, never moving either backwards: the stored record
   * (when it is this chain's and, with a key, authentic) wins where it is further. With a key the
   * record is MAC'd.
   */
  private async writeAnchor(tip: AuditTip, checkpoint: AuditTip): Promise<void> {
    if (this.o.readOnly) return;
    let current: AnchorRecord | undefined;
    try {
      current = await this.o.anchor.read();
    } catch {
      current = undefined;
    }
    if (current && (current.chainId !== this.chainId || (this.o.key && !anchorAuthentic(current, this.o.key)))) current = undefined;
    let head = tip;
    let cp = checkpoint;
    if (current) {
      if (current.seq > head.seq) head = { seq: current.seq, hash: current.hash };
      if (current.checkpoint && current.checkpoint.seq > cp.seq) cp = current.checkpoint;
      if (current.seq === head.seq && (current.checkpoint?.seq ?? 0) === cp.seq) return;
    }
    const record: AnchorRecord = { chainId: this.chainId, seq: head.seq, hash: head.hash, ...(cp.seq > 0 ? { checkpoint: cp } : {}) };
    await this.o.anchor.write(this.o.key ? { ...record, mac: anchorMac(record, this.o.key) } : record);
  }

  /** See ChainedAuditLogOptions.adoptAnchor. */
  private async adopt(): Promise<void> {
    const { storage, anchor } = this.o;
    this.chainId = await storage.chainId();
    let previous: string;
    try {
      const record = await anchor.read();
      previous = record ? `seq ${record.seq} of chain ${record.chainId}${this.o.key && !anchorAuthentic(record, this.o.key) ? ' (not authenticated by the key)' : ''}` : 'none';
    } catch (error) {
      previous = `unreadable (${(error as Error).message})`;
    }
    const tip = await storage.tip();
    const verified = await this.verifyFrom(GENESIS_TIP, tip.seq);
    if (verified.seq !== tip.seq) this.fail(verified.seq + 1, `entry ${verified.seq + 1} is missing`);
    if (verified.seq >= CHECKPOINT_EVERY) {
      await storage.saveCheckpoint(verified);
      this.lastCheckpoint = verified;
    }
    const record: AnchorRecord = { chainId: this.chainId, ...verified, ...(this.lastCheckpoint.seq > 0 ? { checkpoint: this.lastCheckpoint } : {}) };
    await anchor.write(this.o.key ? { ...record, mac: anchorMac(record, this.o.key) } : record);
    this.o.logger.warn({ backend: this.o.backend, anchor: anchor.description, previous, seq: verified.seq }, 'audit anchor adopted after a full verify');
    await this.append({ agentId: '', action: ANCHOR_ADOPT_ACTION, detail: `${anchor.description}: replaced ${previous}; verified ${verified.seq} entries from genesis`, outcome: 'ok' });
    await this.flushAnchor();
  }

  private async verifyOnOpen(): Promise<void> {
    const { storage, anchor } = this.o;
    this.chainId = await storage.chainId();
    const anchored = await this.readAnchor();
    const tip = await storage.tip();
    if (anchored === undefined && tip.seq > 0) {
      this.fail(1, `the log has ${tip.seq} entries but the ${anchor.description} is missing`);
    }
    if (anchored && anchored.chainId !== this.chainId) {
      this.fail(1, `the ${anchor.description} belongs to another audit log (chain ${anchored.chainId}, this one is ${this.chainId}); set audit_anchor_path to this log's anchor`);
    }

    // Incremental verification starts only from a checkpoint the anchor vouches for: one inserted
    // into the database (by whoever can write it) is not trusted.
    let start = GENESIS_TIP;
    const checkpoint = anchored?.checkpoint;
    if (checkpoint && checkpoint.seq <= tip.seq) {
      const row = await storage.at(checkpoint.seq);
      if (!row) this.fail(checkpoint.seq, `entry ${checkpoint.seq} (a verified checkpoint) is missing`);
      const { hash, ...unhashed } = row;
      if (hash !== checkpoint.hash || hashEntry(unhashed, this.o.key) !== hash) {
        this.fail(checkpoint.seq, 'entry differs from its verified checkpoint');
      }
      start = checkpoint;
    }
    const stored = await storage.checkpoint();
    if (stored && stored.seq > start.seq) {
      this.o.logger.warn(
        { backend: this.o.backend, seq: stored.seq, anchor: anchor.description },
        'a checkpoint in the database is not vouched for by the anchor (inserted, or recorded just before a stop): verifying from the anchored one',
      );
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
    if (verified.seq - start.seq >= CHECKPOINT_EVERY && !this.o.readOnly) {
      await storage.saveCheckpoint(verified);
      this.lastCheckpoint = verified;
    }
    await this.writeAnchor(verified, this.lastCheckpoint);
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
    const { entry, anchor } = await this.stage(input);
    anchor();
    return entry;
  }

  /**
   * Appends an entry without anchoring it yet: for an append inside a caller's transaction scope,
   * which calls `anchor()` once the scope committed (an anchor never names an entry that a rollback
   * could still take back).
   */
  async stage(input: AuditInput): Promise<{ entry: AuditEntry; anchor(): void }> {
    if (this.closed) this.v.fail('the audit log is closed');
    if (this.o.readOnly) this.v.fail('this is a read-only (forensic) open: nothing can be written');
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
    return { entry, anchor: () => this.noteTip({ seq: entry.seq, hash: entry.hash }) };
  }

  private noteTip(tip: AuditTip): void {
    if (!this.pendingAnchor || tip.seq > this.pendingAnchor.seq) this.pendingAnchor = tip;
    if (this.anchorTimer === undefined) {
      this.anchorTimer = setTimeout(() => {
        this.anchorTimer = undefined;
        void this.flushAnchor().then(() => {
          if ((this.lastAnchored?.seq ?? 0) - this.lastCheckpoint.seq >= CHECKPOINT_EVERY) void this.checkpoint();
        });
      }, ANCHOR_DELAY_MS);
      this.anchorTimer.unref();
    }
  }

  /** Writes the pending tip (one write at a time: a later flush waits for the one in flight). */
  private flushAnchor(): Promise<void> {
    this.flushing = this.flushing.then(() => this.flushPending());
    return this.flushing;
  }

  private async flushPending(): Promise<void> {
    const tip = this.pendingAnchor;
    if (!tip) return;
    this.pendingAnchor = undefined;
    try {
      await this.writeAnchor(tip, this.lastCheckpoint);
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
          await this.writeAnchor(tip, tip);
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
    const anchored = await this.readAnchor();
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
    await this.flushAnchor();
    if (this.checkpointing) await this.checkpointing;
    if (!this.o.readOnly) {
      const tip = await this.o.storage.tip();
      if (tip.seq - this.lastCheckpoint.seq >= CHECKPOINT_EVERY) await this.checkpoint();
    }
    await this.o.anchor.close?.();
  }
}
