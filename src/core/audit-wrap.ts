import type { AuditInput } from '../contracts/audit-log.js';
import type { MethodKinds, MutationKeys } from '../contracts/store-methods.js';

/** What one audited mutation records: who, what, and the ids (never contents or secrets). */
export interface AuditRecord {
  agentId: string | undefined;
  action: string;
  detail: object;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFn = (...args: any[]) => Promise<any>;
type Args<F> = F extends (...args: infer A) => unknown ? A : never;
type Result<F> = F extends (...args: never[]) => Promise<infer R> ? R : never;

/**
 * How one mutation runs on the inner store and what it records: the result to hand back, and the
 * audit record — or undefined when nothing changed (a delete of something absent).
 */
export type Mutation<S, K extends keyof S> = (...args: Args<S[K]>) => Promise<{ result: Result<S[K]>; record: AuditRecord | undefined }>;

export type Mutations<S, T extends MethodKinds<S>> = { [K in MutationKeys<S, T>]: Mutation<S, K> };

/** Where audited mutations write their entries, and the transaction scope they run in. */
export interface AuditTarget {
  /** Appends an entry inside the current scope; `anchor()` once the scope committed. */
  stage(input: AuditInput): Promise<{ entry: { seq: number }; anchor(): void }>;
  /**
   * Runs a mutation and its entry as one transaction when the store and the audit log share an
   * engine (MainBackend.atomically); else runs it as is.
   */
  scope<R>(fn: () => Promise<R>): Promise<R>;
}

/**
 * Wraps `inner` so that every method classified as a mutation in `kinds` runs through its entry in
 * `mutations` and appends exactly one audit entry (when something changed) before it resolves;
 * reads are passed through. Both run in `target.scope`: where the store and the log share an engine
 * that is one transaction, so neither is ever durable without the other. Across engines the order
 * is: mutation, audit entry, acknowledgement — a caller never sees success for a mutation whose
 * entry is not in the log (a crash between the two leaves the mutation applied but unacknowledged
 * and unaudited; the audit append failing makes the call fail).
 */
export function audited<S extends object, T extends MethodKinds<S>>(inner: S, kinds: T, mutations: Mutations<S, T>, target: AuditTarget): S {
  const wrapped: Record<string, AnyFn> = {};
  for (const [name, kind] of Object.entries(kinds) as [string, string][]) {
    const method = (inner as Record<string, AnyFn>)[name];
    if (typeof method !== 'function') throw new TypeError(`store is missing method ${name}`);
    if (kind === 'read') {
      wrapped[name] = (...args) => method.apply(inner, args);
      continue;
    }
    const run = (mutations as Record<string, AnyFn>)[name] as AnyFn;
    wrapped[name] = async (...args) => {
      let staged: { entry: { seq: number }; anchor(): void } | undefined;
      const result = await target.scope(async () => {
        const { result, record } = (await run(...args)) as { result: unknown; record: AuditRecord | undefined };
        if (record) staged = await target.stage({ agentId: record.agentId ?? '', action: record.action, detail: JSON.stringify(record.detail), outcome: 'ok' });
        return result;
      });
      staged?.anchor();
      return result;
    };
  }
  return wrapped as S;
}
