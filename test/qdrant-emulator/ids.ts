import type { Schemas } from '@qdrant/js-client-rest';
import { formatError } from './errors.js';

/** A point id as stored: an unsigned integer or a lowercase hyphenated UUID. */
export type PointId = Schemas['ExtendedPointId'];

const HEX32 = /^[0-9a-f]{32}$/;

/** The UUID spellings the Rust `uuid` crate parses: simple, hyphenated, braced, urn; any case. */
function normaliseUuid(text: string): string | undefined {
  let s = text.toLowerCase();
  if (s.startsWith('urn:uuid:')) s = s.slice('urn:uuid:'.length);
  else if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1);
  let hex: string;
  if (s.length === 36) {
    if (s[8] !== '-' || s[13] !== '-' || s[18] !== '-' || s[23] !== '-') return undefined;
    hex = s.replaceAll('-', '');
  } else if (s.length === 32) {
    hex = s;
  } else {
    return undefined;
  }
  if (!HEX32.test(hex)) return undefined;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Parses a point id the way Qdrant's ExtendedPointId deserializer does
 * (lib/segment/src/types.rs): an unsigned integer, else a UUID string, else an error.
 * A numeric string such as "5" is not an integer id.
 */
export function parsePointId(value: unknown): PointId {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'string') {
    const uuid = normaliseUuid(value);
    if (uuid !== undefined) return uuid;
  }
  const shown = typeof value === 'string' ? value : JSON.stringify(value);
  throw formatError(`value ${shown} is not a valid point ID, valid values are either an unsigned integer or a UUID`);
}

export function parsePointIds(value: unknown, field: string): PointId[] {
  if (!Array.isArray(value)) throw formatError(`invalid type: expected a sequence of point ids for \`${field}\``);
  return value.map(parsePointId);
}

/**
 * Id order of ExtendedPointId's derived Ord (lib/segment/src/types.rs): every integer id
 * comes before every UUID; UUIDs compare by their bytes, which is the order of their
 * lowercase hex form.
 */
export function compareIds(a: PointId, b: PointId): number {
  if (typeof a === 'number') return typeof b === 'number' ? a - b : -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
