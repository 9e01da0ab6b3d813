import type { z } from 'zod';
import type { SemanticCapabilities } from '../../contracts/backend-plugin.js';
import type { ConsolidationReport } from '../../contracts/consolidation-store.js';
import type { Owner } from '../../contracts/main-backend.js';
import type { DeletedMemory, VectorSpace } from '../../contracts/semantic-backend.js';
import type { ArchiveRowOutcome } from '../../contracts/archive.js';
import type { AgentMemoryCount, MemoryRecord, RecalledMemory, RememberResult } from '../../contracts/semantic-store.js';
import { BackendUnavailableError, InternalError } from '../../errors.js';
import { IdResponse } from '../../wire/common.js';
import { safeParse } from '../../wire/fast-path.js';
import {
  AgentCounts,
  ConsolidationReport as ConsolidationReportSchema,
  CountResult,
  DeletedMemories,
  ForgetResponse,
  IdsResponse,
  MemoryList,
  MemoryOwner,
  MemoryPage,
  MemoryRecord as MemoryRecordSchema,
  MemoryExportPage,
  MemoryImportResult,
  RecallResponse,
} from '../../wire/memories.js';
import { HTTP_BACKEND } from './http-settings.js';

/** What GET /v1/info tells about the gateway's substrate. */
export interface GatewayInfo {
  backend: string;
  semanticBackend: string;
  schemaVersion: string;
  embedding: { provider: string; model: string | undefined; dimensions: number | undefined };
  /** The gateway's semantic capabilities, when it reports them (gateways since the backend registry do). */
  semanticCapabilities: SemanticCapabilities | undefined;
  /** Optional request encodings it accepts (`wireFeatures`; absent on older gateways = none). */
  wireFeatures: ReadonlySet<string>;
}

/** The fields the client takes from the gateway (re-embedding is the gateway's own: never taken over http). */
const CAPABILITY_FIELDS: Record<Exclude<keyof SemanticCapabilities, 'vectorSpaceMigration'>, (v: unknown) => boolean> = {
  vectorSearch: (v) => typeof v === 'string',
  keywordRanking: (v) => typeof v === 'string',
  hybridInEngine: (v) => typeof v === 'boolean',
  sharedTransactions: (v) => typeof v === 'boolean',
  multiProcess: (v) => typeof v === 'boolean',
  maxDimensions: (v) => Number.isInteger(v),
  maxBatch: (v) => Number.isInteger(v),
};

/** The semantic capabilities in an info body, if present and well-formed (unknown extra fields ignored). */
function semanticCapabilities(body: Partial<Record<string, unknown>>): SemanticCapabilities | undefined {
  const semantic = (body['capabilities'] as { semantic?: unknown } | null | undefined)?.semantic;
  if (typeof semantic !== 'object' || semantic === null) return undefined;
  const fields = semantic as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, ok] of Object.entries(CAPABILITY_FIELDS)) {
    if (!ok(fields[key])) return undefined;
    out[key] = fields[key];
  }
  return out as unknown as SemanticCapabilities;
}

/** The strings of a `wireFeatures` list (anything else in it, or a value that is not a list: none). */
function wireFeatures(value: unknown): ReadonlySet<string> {
  return new Set(Array.isArray(value) ? value.filter((f): f is string => typeof f === 'string') : []);
}

/**
 * Checks every gateway answer against the wire's response schemas (src/wire, the ones the gateway
 * documents its answers with) and the request it answers. Nothing is filled in or repaired: a body of the wrong shape is a
 * BackendUnavailableError (not a compatible memstrate gateway); an answer that contradicts the
 * request — another agent's memory for an agent-scoped recall, another id than asked, more results
 * than the limit — is an InternalError, and nothing of it is returned (fail closed).
 */
export class WireDecoder {
  constructor(private readonly where: string) {}

  /** `{ id }` of POST /v1/memories. */
  id(body: unknown, label: string): string {
    const { id } = this.shape(IdResponse, body, label);
    if (id.length === 0) this.incompatible(label, 'the id is empty');
    return id;
  }

  /**
   * `{ id, created, updated }` of POST /v1/memories (a gateway before keys answers `{ id }` only:
   * then a memory was created).
   */
  rememberResult(body: unknown, label: string): RememberResult {
    const id = this.id(body, label);
    const { created, updated } = body as { created?: unknown; updated?: unknown };
    if (created === undefined && updated === undefined) return { id, created: true, updated: false };
    if (typeof created !== 'boolean' || typeof updated !== 'boolean') return this.incompatible(label, 'created / updated are not booleans');
    if (created && updated) this.contradiction(label, 'created and updated at once');
    return { id, created, updated };
  }

  /**
   * `{ ids, results }` of POST /v1/memories/batch: one non-empty id per input, in order (an id may
   * repeat: a dedupe input answered by another). Without `results` (a gateway before keys), each was created.
   */
  rememberResults(body: unknown, expected: number, label: string): RememberResult[] {
    const { ids } = this.shape(IdsResponse, body, label);
    if (ids.length !== expected) this.contradiction(label, `${ids.length} ids for ${expected} memories`);
    if (ids.some((id) => id.length === 0)) this.incompatible(label, 'an id is empty');
    const results = (body as { results?: unknown }).results;
    if (results === undefined) return ids.map((id) => ({ id, created: true, updated: false }));
    if (!Array.isArray(results) || results.length !== ids.length) return this.contradiction(label, 'results do not match ids');
    return results.map((r, i) => {
      const one = this.rememberResult(r, label);
      if (one.id !== ids[i]) this.contradiction(label, `results[${i}].id is not ids[${i}]`);
      return one;
    });
  }

  /** `{ purged }` of POST /v1/memories/purge-expired. */
  purged(body: unknown, label: string): number {
    const { purged } = body as { purged?: unknown };
    if (typeof purged !== 'number' || !Number.isInteger(purged) || purged < 0) return this.incompatible(label, 'purged is not a count');
    return purged;
  }

  /** `{ results }` of POST /v1/memories/recall, checked against the query's agent and limit. */
  recall(body: unknown, agentId: string | undefined, limit: number, label: string): RecalledMemory[] {
    const { results } = this.shape(RecallResponse, body, label);
    if (results.length > limit) this.contradiction(label, `${results.length} results for limit ${limit}`);
    if (agentId !== undefined) {
      for (const r of results) {
        if (r.memory.agentId !== agentId) this.contradiction(label, `a memory of another agent than "${agentId}" was returned`);
      }
    }
    return results;
  }

  /** `{ memories }` of POST /v1/memories/get-many: only ids asked for, each once, in the order asked. */
  records(body: unknown, ids: readonly string[], label: string): MemoryRecord[] {
    const { memories } = this.shape(MemoryList, body, label);
    const asked = new Map(ids.map((id, i) => [id, i]));
    let last = -1;
    for (const m of memories) {
      const at = asked.get(m.id);
      if (at === undefined) this.contradiction(label, 'a memory that was not asked for was returned');
      if (at <= last) this.contradiction(label, 'memories out of the order asked, or twice');
      last = at;
    }
    return memories;
  }

  /** `{ rows, cursor?, vectorSpace }` of POST /v1/memories/export: at most `limit` rows, only of the agents asked for, each once. */
  exportPage(
    body: unknown,
    agentIds: readonly string[] | undefined,
    limit: number,
    label: string,
  ): { rows: MemoryRecord[]; cursor: string | undefined; vectorSpace: VectorSpace | undefined; total: number | undefined } {
    const page = this.shape(MemoryExportPage, body, label);
    if (page.rows.length > limit) this.contradiction(label, `${page.rows.length} memories for limit ${limit}`);
    if (agentIds !== undefined) {
      const wanted = new Set(agentIds);
      if (page.rows.some((r) => !wanted.has(r.agentId))) this.contradiction(label, 'a memory of an agent that was not asked for was returned');
    }
    if (new Set(page.rows.map((r) => r.id)).size !== page.rows.length) this.contradiction(label, 'a memory was returned twice');
    return { rows: page.rows, cursor: page.cursor, vectorSpace: page.vectorSpace ?? undefined, total: page.total };
  }

  /** `{ outcomes }` of POST /v1/memories/import: one per row sent. */
  importOutcomes(body: unknown, expected: number, label: string): ArchiveRowOutcome[] {
    const { outcomes } = this.shape(MemoryImportResult, body, label);
    if (outcomes.length !== expected) this.contradiction(label, `${outcomes.length} outcomes for ${expected} memories`);
    return outcomes;
  }

  /** `{ count }` of POST /v1/memories/count. */
  count(body: unknown, label: string): number {
    return this.shape(CountResult, body, label).count;
  }

  /** `{ deleted, memories }` of POST /v1/memories/delete-where: each memory once, all of the agent asked for. */
  deleted(body: unknown, agentId: string | undefined, label: string): DeletedMemory[] {
    const { deleted, memories } = this.shape(DeletedMemories, body, label);
    if (deleted !== memories.length) this.contradiction(label, `deleted ${deleted} but listed ${memories.length}`);
    if (new Set(memories.map((m) => m.id)).size !== memories.length) this.contradiction(label, 'a memory was listed twice');
    if (agentId !== undefined && memories.some((m) => m.agentId !== agentId)) this.contradiction(label, `a memory of another agent than "${agentId}" was removed`);
    return memories;
  }

  /** `{ agents }` of GET /v1/memories/agents: at most `limit`, each agent once, most memories first. */
  agentCounts(body: unknown, limit: number, label: string): AgentMemoryCount[] {
    const { agents } = this.shape(AgentCounts, body, label);
    if (agents.length > limit) this.contradiction(label, `${agents.length} agents for limit ${limit}`);
    if (new Set(agents.map((a) => a.agentId)).size !== agents.length) this.contradiction(label, 'an agent was listed twice');
    if (agents.some((a, i) => i > 0 && a.count > (agents[i - 1] as AgentMemoryCount).count)) this.contradiction(label, 'agents out of order');
    return agents;
  }

  /** `{ items, nextCursor? }` of POST /v1/memories/list: at most `limit` items, all of the agent asked for. */
  page(body: unknown, agentId: string | undefined, limit: number, label: string): { items: MemoryRecord[]; nextCursor?: string } {
    const page = this.shape(MemoryPage, body, label);
    if (page.items.length > limit) this.contradiction(label, `${page.items.length} memories for limit ${limit}`);
    if (agentId !== undefined && page.items.some((m) => m.agentId !== agentId)) this.contradiction(label, `a memory of another agent than "${agentId}" was returned`);
    return page.nextCursor === undefined ? { items: page.items } : { items: page.items, nextCursor: page.nextCursor };
  }

  /** A MemoryRecord of GET /v1/memories/:id; its id must be the one asked for. */
  record(body: unknown, id: string, label: string): MemoryRecord {
    const record = this.shape(MemoryRecordSchema, body, label);
    if (record.id !== id) this.contradiction(label, 'the memory returned has another id than asked');
    return record;
  }

  /**
   * `{ deleted, agentId? }` of DELETE /v1/memories/:id: the owner of the removed memory, or
   * undefined when nothing was removed. A gateway that removed something without naming its owner
   * is not compatible (this side's audit entry must name the agent).
   */
  forgotten(body: unknown, label: string): Owner | undefined {
    const { deleted, agentId } = this.shape(ForgetResponse, body, label);
    if (!deleted) return undefined;
    if (agentId === undefined) this.incompatible(label, 'a removed memory without its agentId');
    return { agentId };
  }

  /** `{ agentId }` of PUT /v1/memories/:id/embedding. */
  owner(body: unknown, label: string): Owner {
    return this.shape(MemoryOwner, body, label);
  }

  /** The ConsolidationReport of POST /v1/consolidation; `dryRun` must echo the request. */
  report(body: unknown, dryRun: boolean, label: string): ConsolidationReport {
    const report = this.shape(ConsolidationReportSchema, body, label);
    if (report.dryRun !== dryRun) this.contradiction(label, `dryRun ${report.dryRun} for a ${dryRun ? 'dry' : 'real'} run`);
    if (report.decayed < 0 || report.merged < 0) this.incompatible(label, 'negative counts');
    return report;
  }

  /** The substrate info of GET /v1/info. */
  info(body: unknown, label: string): GatewayInfo {
    const b = body as Partial<Record<string, unknown>> | null | undefined;
    const e = (typeof b === 'object' && b !== null ? b['embedding'] : undefined) as Partial<Record<string, unknown>> | null | undefined;
    const str = (v: unknown): v is string => typeof v === 'string';
    const dims = e?.['dimensions'];
    const model = e?.['model'];
    if (
      typeof b !== 'object' ||
      b === null ||
      !str(b['backend']) ||
      !str(b['semanticBackend']) ||
      !str(b['schemaVersion']) ||
      typeof e !== 'object' ||
      e === null ||
      !str(e['provider']) ||
      !(model === undefined || model === null || str(model)) ||
      !(dims === undefined || dims === null || (Number.isInteger(dims) && (dims as number) > 0))
    ) {
      this.incompatible(label, 'not a substrate info object ({ backend, semanticBackend, schemaVersion, embedding })');
    }
    return {
      backend: b['backend'],
      semanticBackend: b['semanticBackend'],
      schemaVersion: b['schemaVersion'],
      embedding: { provider: e['provider'], model: str(model) ? model : undefined, dimensions: typeof dims === 'number' ? dims : undefined },
      semanticCapabilities: semanticCapabilities(b),
      wireFeatures: wireFeatures(b['wireFeatures']),
    };
  }

  private shape<S extends z.ZodType>(schema: S, body: unknown, label: string): z.output<S> {
    const parsed = safeParse(schema, body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const at = issue ? `${issue.path.join('.') || '(body)'}: ${issue.message}` : 'unexpected shape';
      this.incompatible(label, at);
    }
    return parsed.data;
  }

  private incompatible(label: string, why: string): never {
    throw new BackendUnavailableError(`the gateway at ${this.where} sent an answer to ${label} this client does not understand (${why}); is it a compatible memstrate gateway?`, {
      backend: HTTP_BACKEND,
    });
  }

  private contradiction(label: string, why: string): never {
    throw new InternalError(`the gateway at ${this.where} answered ${label} with data that contradicts the request (${why}); nothing of it is returned`, {
      backend: HTTP_BACKEND,
    });
  }
}
