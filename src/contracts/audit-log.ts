import type { EpochMs } from './types.js';

export interface AuditInput {
  agentId: string;
  action: string;
  detail: string;
  /** e.g. `ok`, `denied`, or an error text. */
  outcome: string;
}

export interface AuditEntry extends AuditInput {
  /** 1-based, contiguous. */
  seq: number;
  timestamp: EpochMs;
  /** 64 hex chars; 64 zeros for the first entry. */
  prevHash: string;
  hash: string;
}

export interface VerifyReport {
  ok: true;
  entries: number;
  tipHash: string;
}

export interface AuditTip {
  seq: number;
  hash: string;
}

/** A hash-chained, append-only log that fails closed. */
export interface AuditLog {
  /** Computes the hash and persists exactly the returned entry, in one transaction. */
  append(entry: AuditInput): Promise<AuditEntry>;
  /** Re-hashes the whole chain from genesis; throws ChainIntegrityError naming the first bad seq. */
  verify(): Promise<VerifyReport>;
  /** Ascending seq order. `after` is exclusive; limit 1..10000, default 100. */
  entries(options?: { agentId?: string; limit?: number; after?: number }): Promise<AuditEntry[]>;
  /** seq 0 and the genesis hash for an empty log. */
  tip(): Promise<AuditTip>;
}
