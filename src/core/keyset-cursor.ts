import type { Validator } from './validate.js';
import { LIMITS } from './limits.js';

/** Where a keyset page ends: the (createdAt, id) of its last row. */
export interface KeysetPosition {
  createdAt: number;
  id: string;
}

/**
 * The opaque cursor of a keyset-paged list: base64url of [which listing it continues, createdAt,
 * id]. `listing` names the list and, where it matters, the query (agent, filter, order), so a
 * cursor only continues the listing that handed it out.
 */
export function encodeCursor(listing: string, at: KeysetPosition): string {
  return Buffer.from(JSON.stringify([listing, at.createdAt, at.id]), 'utf8').toString('base64url');
}

/** The position a cursor of `listing` continues after; VALIDATION (through `v`) for anything else. */
export function decodeCursor(v: Validator, cursor: unknown, listing: string, what: string): KeysetPosition {
  const bad = (why: string): never => v.fail(`cursor is not a cursor of ${what} (${why}; pass nextCursor back unchanged)`);
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > 4096 || !/^[A-Za-z0-9_-]+$/.test(cursor)) bad('not base64url text');
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor as string, 'base64url').toString('utf8'));
  } catch {
    bad('undecodable');
  }
  if (!Array.isArray(value) || value.length !== 3) return bad('malformed');
  const [of, createdAt, id] = value as unknown[];
  if (of !== listing) bad('it continues another listing');
  if (typeof createdAt !== 'number' || !Number.isSafeInteger(createdAt) || createdAt < 0) bad('bad createdAt');
  if (typeof id !== 'string' || id.length === 0 || id.length > LIMITS.idLength) bad('bad id');
  return { createdAt: createdAt as number, id: id as string };
}
