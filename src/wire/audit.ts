/** Schemas of the audit log (read-only over the wire). */
import { z } from 'zod';
import type * as C from '../contracts/audit-log.js';
import { LIMITS } from '../core/limits.js';
import { EpochMs, Id, intQuery, named } from './common.js';

export const AuditEntry = named(
  'AuditEntry',
  z.object({
    seq: z.int(),
    timestamp: EpochMs,
    agentId: z.string(),
    action: z.string(),
    detail: z.string(),
    outcome: z.string(),
    prevHash: z.string(),
    hash: z.string(),
  }) satisfies z.ZodType<C.AuditEntry>,
);
export const AuditQuery = z.strictObject({
  agentId: Id.optional(),
  limit: intQuery(1, LIMITS.maxListLimit, 'Default 100.').optional(),
  after: intQuery(0, Number.MAX_SAFE_INTEGER, 'Exclusive seq.').optional(),
});
export const AuditEntries = named('AuditEntries', z.object({ entries: z.array(AuditEntry) }));
export const AuditTip = named('AuditTip', z.object({ seq: z.int(), hash: z.string() }) satisfies z.ZodType<C.AuditTip>);
export const VerifyReport = named('VerifyReport', z.object({ ok: z.literal(true), entries: z.int(), tipHash: z.string() }) satisfies z.ZodType<C.VerifyReport>);
