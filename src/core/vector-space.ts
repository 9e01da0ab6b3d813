import type { VectorSpace } from '../contracts/semantic-backend.js';
import { ValidationError } from '../errors.js';
import { LIMITS } from './limits.js';

/** Caller-supplied vectors (no embedder) are recorded under this space id. */
export const CALLER_VECTOR_SPACE = 'caller';

/** Keys of the vector-space record in each semantic backend's `semantic_meta` table. */
export const META_DIMENSIONS = 'vector_dimensions';
export const META_EMBEDDER = 'vector_embedder';

/** The recorded space from `semantic_meta` rows, or undefined when none was fixed yet. */
export function spaceFromMeta(rows: readonly { key: string; value: string }[]): VectorSpace | undefined {
  const dims = rows.find((r) => r.key === META_DIMENSIONS)?.value;
  const embedder = rows.find((r) => r.key === META_EMBEDDER)?.value;
  if (dims === undefined || embedder === undefined) return undefined;
  return { dimensions: Number(dims), embedderId: embedder };
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
