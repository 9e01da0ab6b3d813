import type { Embedder } from '../contracts/embedder.js';
import type { VectorSpace, VectorSpaces } from '../contracts/semantic-backend.js';
import type { ReembedSubject } from '../contracts/semantic-provider.js';
import { ConfigError, MemoryError, NotSupportedError, ValidationError } from '../errors.js';
import type { AuditTarget } from './audit-wrap.js';
import { LIMITS } from './limits.js';
import { Validator } from './validate.js';
import { toUnitVector } from './vector.js';
import { checkDimensions } from './vector-space.js';

export interface ReembedOptions {
  /** The embedder of the new vector space; default: the configured one. */
  embedder?: Embedder;
  /** Memories embedded per call to the embedder (and written per batch); default 64. */
  batchSize?: number;
  /** Called after each batch (and once at the start) with how far the run is; a returned promise is awaited. */
  onProgress?: (progress: ReembedProgress) => void | Promise<void>;
  /** Stops the run between batches (CONFLICT); what was embedded is kept, a re-run resumes. */
  signal?: AbortSignal;
  /** After the switch, drop the previous space's vectors (default: kept until `dropPreviousVectorSpace`). */
  dropPrevious?: boolean;
}

export interface ReembedProgress {
  /** Vectors written in the pending space by this run so far. */
  done: number;
  /** Memories that lacked a pending vector when the run (or its latest pass) started, plus `done` before it. */
  total: number;
}

/** What a re-embedding did. */
export interface ReembedReport {
  /** The space recall searched before (null: none was fixed). */
  from: VectorSpace | null;
  /** The space recall searches now (null: none, after a reset without an embedder). */
  to: VectorSpace | null;
  /** `switched`: re-embedded and switched; `reset`: the store held no memory, its space was replaced at once; `unchanged`: it already was in that space. */
  outcome: 'switched' | 'reset' | 'unchanged';
  /** Vectors computed and written by this run. */
  embedded: number;
  /** This run continued a pending space an earlier, interrupted run had begun. */
  resumed: boolean;
  /** The previous space's vectors were dropped. */
  droppedPrevious: boolean;
  /** The seq of the audit entry recording the switch or reset (0 when unchanged). */
  auditSeq: number;
}

const OPTION_KEYS = ['embedder', 'batchSize', 'onProgress', 'signal', 'dropPrevious'];
/** A switch that keeps finding memories written meanwhile without a pending vector gives up after this many catch-up passes. */
const MAX_PASSES = 8;

export interface ReembedDeps {
  subject: ReembedSubject;
  target: AuditTarget;
  backend: string;
  /** The configured embedder (the default target), also on an open that ignores it. */
  configured: Embedder | undefined;
}

/** The agent field of the store-wide entries re-embedding writes. */
const STORE_WIDE = '';

function sameSpace(a: VectorSpace | undefined, b: VectorSpace | undefined): boolean {
  return a !== undefined && b !== undefined && a.dimensions === b.dimensions && a.embedderId === b.embedderId;
}

/** `undefined` as null, for reports and entries. */
const orNull = (space: VectorSpace | undefined): VectorSpace | null => space ?? null;

/**
 * Online re-embedding: builds the embedder's vector space beside the current one (`spaces.begin`),
 * embeds every unmerged memory into it batch by batch while recall keeps searching the current space
 * (memories this process writes meanwhile get both vectors; those other processes write are found
 * by a catch-up pass), then switches atomically — the switch itself refuses while any memory lacks a
 * pending vector, and the run catches up and tries again. An interrupted run leaves the pending space
 * and its vectors: the next run with the same embedder resumes where it stopped. A store without
 * memories is reset at once (its space replaced, or forgotten when no embedder is given).
 *
 * Audit: `memory.reembed_begin` when a pending space is created, `memory.reembed` at the switch
 * (spaces and count), `memory.vector_space_reset` for a reset, `memory.vector_space_drop` for a drop.
 */
export async function reembed(deps: ReembedDeps, options: ReembedOptions = {}): Promise<ReembedReport> {
  const v = new Validator(deps.backend);
  if (typeof options !== 'object' || options === null || Array.isArray(options)) v.fail('reembed takes an options object');
  v.knownKeys('', options, OPTION_KEYS);
  const batchSize = options.batchSize === undefined ? 64 : v.int('batchSize', options.batchSize, 1, LIMITS.maxBatch);
  if (options.dropPrevious !== undefined && typeof options.dropPrevious !== 'boolean') v.fail('dropPrevious must be true or false');
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') v.fail('onProgress must be a function');
  const { subject } = deps;
  const embedder = options.embedder ?? deps.configured;
  await subject.flush();
  const before = await subject.slots.spaces();
  const unchanged = (): ReembedReport => ({ from: orNull(before.current), to: orNull(before.current), outcome: 'unchanged', embedded: 0, resumed: false, droppedPrevious: false, auditSeq: 0 });

  if (!embedder) {
    // Without an embedder only a reset is possible: an empty store forgets its space.
    if (!before.current && !before.pending && !before.previous) return unchanged();
    const seq = await audited(deps, 'memory.vector_space_reset', { from: orNull(before.current), to: null }, () => subject.slots.reset());
    if (seq === undefined) {
      throw new ValidationError(
        'no embedder to re-embed with: configure embedding_provider (or pass --provider/--model); only a store without memories can be reset to no vector space',
        { backend: deps.backend },
      );
    }
    subject.switched(undefined, undefined);
    return { from: orNull(before.current), to: null, outcome: 'reset', embedded: 0, resumed: false, droppedPrevious: false, auditSeq: seq };
  }

  const to: VectorSpace = { dimensions: embedder.dimensions, embedderId: embedder.id };
  checkDimensions(to.dimensions, deps.backend, subject.maxDimensions);
  if (sameSpace(before.current, to) && !before.pending) return unchanged();
  if (before.pending && !sameSpace(before.pending, to)) {
    throw new ValidationError(
      `a re-embedding into ${describe(before.pending)} is under way: finish it with that embedder, or abort it first (memstrate reembed --abort)`,
      { backend: deps.backend },
    );
  }

  // A store without memories is reset at once: its mistaken space is replaced, nothing to embed.
  const resetSeq = await audited(deps, 'memory.vector_space_reset', { from: orNull(before.current), to }, async () => {
    if (!(await subject.slots.reset())) return false;
    await subject.fixVectorSpace(to);
    return true;
  });
  if (resetSeq !== undefined) {
    subject.switched(embedder, to);
    return { from: orNull(before.current), to, outcome: 'reset', embedded: 0, resumed: false, droppedPrevious: false, auditSeq: resetSeq };
  }

  const resumed = before.pending !== undefined;
  if (!resumed) await audited(deps, 'memory.reembed_begin', { from: orNull(before.current), to }, async () => (await subject.slots.begin(to), true));
  subject.setPendingEmbedder(embedder);
  try {
    let embedded = 0;
    let switchSeq: number | undefined;
    for (let pass = 0; switchSeq === undefined; pass++) {
      if (pass === MAX_PASSES) {
        throw new MemoryError('CONFLICT', `memories kept arriving without a vector in the new space over ${MAX_PASSES} passes; run reembed again to resume`, { backend: deps.backend });
      }
      embedded += await embedMissing(deps, embedder, batchSize, embedded, options);
      let lacking = 0;
      switchSeq = await audited(deps, 'memory.reembed', { from: orNull(before.current), to, embedded }, async () => {
        lacking = await subject.slots.switch();
        return lacking === 0;
      });
    }
    subject.switched(embedder, to);
    let droppedPrevious = false;
    if (options.dropPrevious === true) droppedPrevious = (await dropPrevious(deps)) !== undefined;
    return { from: orNull(before.current), to, outcome: 'switched', embedded, resumed, droppedPrevious, auditSeq: switchSeq };
  } finally {
    subject.setPendingEmbedder(undefined);
  }
}

/** One pass over the memories lacking a pending vector, in id order; returns how many it embedded. */
async function embedMissing(deps: ReembedDeps, embedder: Embedder, batchSize: number, doneBefore: number, options: ReembedOptions): Promise<number> {
  const { slots } = deps.subject;
  const total = doneBefore + (await slots.countMissing());
  let done = 0;
  await options.onProgress?.({ done: doneBefore, total });
  let after: string | undefined;
  for (;;) {
    if (options.signal?.aborted) throw abortError(deps.backend);
    const batch = await slots.missing(after, batchSize);
    if (batch.length === 0) return done;
    const vectors = await embedder.embed(batch.map((m) => m.content), options.signal ? { signal: options.signal } : undefined);
    if (vectors.length !== batch.length) {
      throw new ConfigError([`embedder ${embedder.id} returned ${vectors.length} vectors for ${batch.length} texts`], { backend: deps.backend });
    }
    await slots.write(batch.map((m, i) => ({ id: m.id, content: m.content, vector: toUnitVector(vectors[i], embedder.dimensions, deps.backend, 'embedder output') })));
    done += batch.length;
    after = (batch[batch.length - 1] as { id: string }).id;
    await options.onProgress?.({ done: doneBefore + done, total: Math.max(total, doneBefore + done) });
  }
}

/** Drops the previous space's vectors, with its audit entry; undefined when there was none. */
export async function dropPrevious(deps: Pick<ReembedDeps, 'subject' | 'target' | 'backend'>): Promise<number | undefined> {
  const { previous } = await deps.subject.slots.spaces();
  return audited(deps, 'memory.vector_space_drop', { space: orNull(previous), of: 'previous' }, () => deps.subject.slots.dropPrevious());
}

/** Abandons a pending space (an unfinished re-embedding), with its audit entry; undefined when there was none. */
export async function abortReembed(deps: Pick<ReembedDeps, 'subject' | 'target' | 'backend'>): Promise<number | undefined> {
  const { pending } = await deps.subject.slots.spaces();
  return audited(deps, 'memory.vector_space_drop', { space: orNull(pending), of: 'pending' }, () => deps.subject.slots.abort());
}

/** The store's vector spaces; NOT_SUPPORTED without re-embedding. */
export function vectorSpacesOf(subject: ReembedSubject | undefined, backend: string): Promise<VectorSpaces> {
  return required(subject, backend).slots.spaces();
}

/** The subject, or NOT_SUPPORTED naming the backend. */
export function required(subject: ReembedSubject | undefined, backend: string): ReembedSubject {
  if (!subject) {
    throw new NotSupportedError(
      `the ${backend} semantic backend cannot re-embed here${backend === 'http' ? ': the embedder is the gateway\'s — run memstrate reembed on the gateway\'s store' : ''}`,
      { backend },
    );
  }
  return subject;
}

/**
 * Runs `change` (true when it changed something) and its audit entry in the target's scope; returns
 * the entry's seq, or undefined when nothing changed (no entry).
 */
async function audited(deps: Pick<ReembedDeps, 'target' | 'backend'>, action: string, detail: object, change: () => Promise<boolean>): Promise<number | undefined> {
  let staged: { entry: { seq: number }; anchor(): void } | undefined;
  await deps.target.scope(async () => {
    if (!(await change())) return;
    staged = await deps.target.stage({ agentId: STORE_WIDE, action, detail: JSON.stringify(detail), outcome: 'ok' });
  });
  staged?.anchor();
  return staged?.entry.seq;
}

function describe(space: VectorSpace): string {
  return `${space.dimensions}-dimensional vectors from "${space.embedderId}"`;
}

function abortError(backend: string): MemoryError {
  return new MemoryError('CONFLICT', 'the re-embedding was stopped before its switch; run it again to resume', { backend });
}
