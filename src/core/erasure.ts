import type { Clock, EpochMs } from '../contracts/types.js';
import type { MainBackend, MainErasureCounts } from '../contracts/main-backend.js';
import type { BackendSemanticStore } from '../contracts/semantic-provider.js';
import type { MemoryFilter } from '../contracts/semantic-store.js';
import type { AuditTarget } from './audit-wrap.js';
import { idList } from './audited-stores.js';
import { Validator } from './validate.js';

export interface EraseRequest {
  agentId: string;
  /** Only the agent's memories matching this filter (the other stores are left alone). */
  filter?: MemoryFilter;
  /** Keep the agent's usage events (cost records); default false: they are erased too. */
  keepUsage?: boolean;
}

/** What an erasure removed, when, and which audit entry records it. */
export interface ErasureReceipt {
  agentId: string;
  /** `agent`: every store; `memories`: only the memories matching the request's filter. */
  scope: 'agent' | 'memories';
  at: EpochMs;
  counts: { memories: number } & Partial<MainErasureCounts>;
  /** The seq of the `agent.erase` audit entry (it names ids and counts, never erased content). */
  auditSeq: number;
}

const KEYS = ['agentId', 'filter', 'keepUsage'];

/**
 * Erasure: removes an agent's data — every memory (expired ones and merged twins too, with vectors
 * and keyword entries; overwritten where the engine can) and, without a filter, every row of the
 * main stores — and records it in ONE audit entry, `agent.erase`, whose seq the receipt carries.
 * The main-store rows and the entry are one transaction (`target.scope`); the memories, on their
 * own engine, are removed first (mutation, then entry, as every cross-engine mutation).
 */
export function eraser(deps: { main: MainBackend; semantic: BackendSemanticStore; target: AuditTarget; clock: Clock }): (request: EraseRequest) => Promise<ErasureReceipt> {
  const v = new Validator(deps.main.name);
  return async (request) => {
    if (typeof request !== 'object' || request === null || Array.isArray(request)) v.fail('erase takes { agentId, filter?, keepUsage? }');
    v.knownKeys('', request, KEYS);
    const agentId = v.id('agentId', request.agentId);
    if (request.keepUsage !== undefined && typeof request.keepUsage !== 'boolean') v.fail('keepUsage must be true or false');
    const whole = request.filter === undefined;
    if (!whole && request.keepUsage !== undefined) v.fail('keepUsage applies to a whole-agent erasure (without a filter)');
    const run = async (): Promise<ErasureReceipt> => {
      let staged: { entry: { seq: number }; anchor(): void } | undefined;
      const receipt = await deps.target.scope(async () => {
        const memories = await deps.semantic.eraseWhere({ agentId, ...(whole ? {} : { filter: request.filter }) });
        const main = whole ? await deps.main.eraseAgent(agentId, { usage: request.keepUsage !== true }) : undefined;
        const counts = { memories: memories.length, ...main };
        const scope: ErasureReceipt['scope'] = whole ? 'agent' : 'memories';
        staged = await deps.target.stage({
          agentId,
          action: 'agent.erase',
          detail: JSON.stringify({ scope, counts, memoryIds: idList(memories.map((m) => m.id)) }),
          outcome: 'ok',
        });
        return { agentId, scope, at: deps.clock(), counts, auditSeq: staged.entry.seq };
      });
      staged?.anchor();
      return receipt;
    };
    return deps.main.securely ? deps.main.securely(run) : run();
  };
}
