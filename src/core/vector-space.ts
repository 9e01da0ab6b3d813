import type { VectorSpace, VectorSpaces } from '../contracts/semantic-backend.js';
import { ValidationError } from '../errors.js';
import { LIMITS } from './limits.js';

/** Caller-supplied vectors (no embedder) are recorded under this space id. */
export const CALLER_VECTOR_SPACE = 'caller';

/** Keys of the vector-space record in each semantic backend's `semantic_meta` table. */
export const META_DIMENSIONS = 'vector_dimensions';
export const META_EMBEDDER = 'vector_embedder';

/**
 * Key prefixes of the three spaces a re-embedding knows (core/reembed.ts): the current one has the
 * plain keys above, the pending and previous ones these prefixes before them.
 */
export const PENDING_PREFIX = 'pending_';
export const PREVIOUS_PREFIX = 'previous_';
/** Every `semantic_meta` key of the three spaces. */
export const SPACE_META_KEYS = ['', PENDING_PREFIX, PREVIOUS_PREFIX].flatMap((p) => [p + META_DIMENSIONS, p + META_EMBEDDER]);

/** The recorded space (the current one, or the one under `prefix`) from `semantic_meta` rows, or undefined when none. */
export function spaceFromMeta(rows: readonly { key: string; value: string }[], prefix = ''): VectorSpace | undefined {
  const dims = rows.find((r) => r.key === prefix + META_DIMENSIONS)?.value;
  const embedder = rows.find((r) => r.key === prefix + META_EMBEDDER)?.value;
  if (dims === undefined || embedder === undefined) return undefined;
  return { dimensions: Number(dims), embedderId: embedder };
}

/** The current, pending and previous spaces from `semantic_meta` rows. */
export function spacesFromMeta(rows: readonly { key: string; value: string }[]): VectorSpaces {
  return { current: spaceFromMeta(rows), pending: spaceFromMeta(rows, PENDING_PREFIX), previous: spaceFromMeta(rows, PREVIOUS_PREFIX) };
}

/** The `semantic_meta` rows recording `space` under `prefix`. */
export function metaRows(space: VectorSpace, prefix = ''): { key: string; value: string }[] {
  return [
    { key: prefix + META_DIMENSIONS, value: String(space.dimensions) },
    { key: prefix + META_EMBEDDER, value: space.embedderId },
  ];
}

/** ValidationError unless a re-embedding is under way (`pending`). */
export function requirePending(pending: VectorSpace | undefined, backend: string): VectorSpace {
  if (!pending) throw new ValidationError('no re-embedding is under way (no pending vector space)', { backend });
  return pending;
}

/** begin() on a store whose pending space is `pending`: true when it is `space` already; ValidationError for another one. */
export function pendingIsSame(pending: VectorSpace | undefined, space: VectorSpace, backend: string): boolean {
  if (!pending) return false;
  if (pending.dimensions === space.dimensions && pending.embedderId === space.embedderId) return true;
  throw new ValidationError(
    `a re-embedding into ${pending.dimensions}-dimensional vectors from "${pending.embedderId}" is under way: finish or abort it first`,
    { backend },
  );
}

/** ValidationError unless `dimensions` is an integer in 1..max (default: the substrate-wide limit). */
export function checkDimensions(dimensions: number, backend: string, max: number = LIMITS.maxDimensions): void {
  if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > max) {
    throw new ValidationError(`vector dimensions must be an integer in 1..${max} on this backend`, { backend });
  }
}

/**
 * Whether a store that holds `stored` can take vectors of `wanted`: same dimension, and the same
 * embedder — a `caller` space (vectors passed in by callers) is compatible with any embedder of the
 * same dimension. Throws ValidationError otherwise.
 */
export function assertSameSpace(stored: VectorSpace, wanted: VectorSpace, backend: string): void {
  const sameEmbedder =
    stored.embedderId === wanted.embedderId || stored.embedderId === CALLER_VECTOR_SPACE || wanted.embedderId === CALLER_VECTOR_SPACE;
  if (stored.dimensions !== wanted.dimensions || !sameEmbedder) {
    throw new ValidationError(
      `this store holds ${stored.dimensions}-dimensional vectors from "${stored.embedderId}"; ` +
        `cannot switch to ${wanted.dimensions} dimensions from "${wanted.embedderId}"`,
      { backend },
    );
  }
}
