import { createHash, createHmac } from 'node:crypto';
import type { AuditEntry, AuditTip } from '../contracts/audit-log.js';
import { ChainIntegrityError } from '../errors.js';

export const GENESIS_HASH = '0'.repeat(64);
export const GENESIS_TIP: AuditTip = { seq: 0, hash: GENESIS_HASH };
const DOMAIN = Buffer.from('memstrate.audit.v1\n', 'utf8');

/**
 * SHA-256 (or HMAC-SHA-256 with a key) over an unambiguous encoding of an entry: a domain/version
 * prefix, then every field as a 4-byte big-endian length followed by its UTF-8 bytes, in the order
 * seq, timestamp, agentId, action, detail, outcome, prevHash. Field boundaries cannot shift
 * (OpenFang's G-33: plain concatenation made "a"+"bX" hash like "ab"+"X").
 */
export function hashEntry(entry: Omit<AuditEntry, 'hash'>, key?: Buffer): string {
  const fields = [
    String(entry.seq),
    String(entry.timestamp),
    entry.agentId,
    entry.action,
    entry.detail,
    entry.outcome,
    entry.prevHash,
  ];
  let size = DOMAIN.length;
  const lengths = fields.map((f) => {
    const n = Buffer.byteLength(f, 'utf8');
    size += 4 + n;
    return n;
  });
  const buf = Buffer.allocUnsafe(size);
  let offset = DOMAIN.copy(buf, 0);
  for (let i = 0; i < fields.length; i++) {
    const n = lengths[i] as number;
    buf.writeUInt32BE(n, offset);
    offset += 4;
    offset += buf.write(fields[i] as string, offset, n, 'utf8');
  }
  const h = key ? createHmac('sha256', key) : createHash('sha256');
  return h.update(buf).digest('hex');
}

/**
 * Checks a run of entries that must directly follow `previous`; returns the new tip.
 * Throws ChainIntegrityError naming the first seq that does not hold.
 */
export function verifySegment(previous: AuditTip, entries: readonly AuditEntry[], key: Buffer | undefined, backend: string): AuditTip {
  let tip = previous;
  for (const entry of entries) {
    const expected = tip.seq + 1;
    if (entry.seq !== expected) {
      throw new ChainIntegrityError(expected, entry.seq > expected ? `entry ${expected} is missing (next is ${entry.seq})` : `entry ${entry.seq} is out of order`, { backend });
    }
    if (entry.prevHash !== tip.hash) {
      throw new ChainIntegrityError(entry.seq, 'prev_hash does not match the previous entry', { backend });
    }
    if (hashEntry(entry, key) !== entry.hash) {
      throw new ChainIntegrityError(entry.seq, 'hash does not match the entry (edited, or the wrong audit key)', { backend });
    }
    tip = { seq: entry.seq, hash: entry.hash };
  }
  return tip;
}
