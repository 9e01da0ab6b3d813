/** The audit log under `/v1/audit…`: read and verify only (entries are appended by the substrate). */
import type { MemorySubstrate } from '../../assembly/substrate.js';
import type { RouteTable } from '../route.js';
import { AuditEntries, AuditQuery, AuditTip, VerifyReport } from '../../wire/audit.js';

const AUDIT = 'audit';

export function auditRoutes(table: RouteTable, mem: MemorySubstrate): void {
  table.add({
    method: 'GET',
    url: '/v1/audit/entries',
    access: { scope: 'admin' },
    operationId: 'auditEntries',
    tag: AUDIT,
    summary: 'Audit entries in seq order (after is exclusive).',
    query: AuditQuery,
    status: 200,
    response: AuditEntries,
    async handler({ query }) {
      return {
        entries: await mem.audit.entries({
          ...(query.agentId !== undefined ? { agentId: query.agentId } : {}),
          ...(query.limit !== undefined ? { limit: query.limit } : {}),
          ...(query.after !== undefined ? { after: query.after } : {}),
        }),
      };
    },
  });

  table.add({
    method: 'GET',
    url: '/v1/audit/tip',
    access: { scope: 'admin' },
    operationId: 'auditTip',
    tag: AUDIT,
    summary: 'The last seq and hash (seq 0 and the genesis hash for an empty log).',
    status: 200,
    response: AuditTip,
    async handler() {
      return mem.audit.tip();
    },
  });

  table.add({
    method: 'GET',
    url: '/v1/audit/verify',
    access: { scope: 'admin' },
    operationId: 'auditVerify',
    tag: AUDIT,
    summary: 'Re-hash the whole chain from genesis (422 CHAIN_INTEGRITY naming the first bad seq).',
    status: 200,
    response: VerifyReport,
    errors: [422],
    async handler() {
      return mem.audit.verify();
    },
  });
}
