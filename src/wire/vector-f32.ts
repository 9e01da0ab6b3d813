/**
 * The `embeddingF32` wire encoding of a vector: standard base64 (RFC 4648, padded) of its IEEE-754
 * float32 values, little-endian — 4 bytes a dimension instead of ~19 characters of JSON number.
 *
 * Why: a 384-dimension Float32Array sent as JSON numbers is ~7.5 KB that the client formats
 * (JSON.stringify ≈ 80 µs) and the gateway parses and checks element by element (≈ 70 µs + zod),
 * for a recall whose answer is ~4.5 KB. As base64 it is 2 KB, encoded and decoded in a few µs.
 *
 * Exact by construction: the client uses it only for values that ARE float32 (a Float32Array, or
 * numbers each equal to Math.fround of itself), so the gateway decodes the very numbers the caller
 * gave and every store ranks exactly as it would have with the JSON array.
 */
import { LIMITS } from '../core/limits.js';

/** Whether this platform stores typed arrays little-endian (the wire's order). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Longest `embeddingF32` text: LIMITS.maxDimensions float32 values in base64. */
export const F32_MAX_CHARS = 4 * Math.ceil((LIMITS.maxDimensions * 4) / 3);

/**
 * Whether `values` can travel as float32 without changing any number: a Float32Array, or an array
 * of numbers each exactly a float32 value (so NaN, ±Infinity, non-numbers and doubles that are not
 * float32 values answer false: they go as JSON, where they are checked or kept exact).
 */
export function isF32Exact(values: unknown): values is Float32Array | readonly number[] {
  if (values instanceof Float32Array) return true;
  if (!Array.isArray(values) || values.length === 0) return false;
  for (let i = 0; i < values.length; i++) {
    const x: unknown = values[i];
    if (typeof x !== 'number' || Math.fround(x) !== x) return false;
  }
  return true;
}

/** The base64 of `values` as little-endian float32 (they must be float32 values: see isF32Exact). */
export function encodeF32(values: Float32Array | readonly number[]): string {
  const f32 = values instanceof Float32Array ? values : Float32Array.from(values);
  const bytes = Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength);
  return (LITTLE_ENDIAN ? bytes : Buffer.from(bytes).swap32()).toString('base64');
}

/**
 * Decodes `text` (canonical padded base64 of 1..LIMITS.maxDimensions little-endian float32 values,
 * each finite). Returns the vector, or the problem (a sentence) when the text is not one.
 */
export function decodeF32(text: string): Float32Array | string {
  const bytes = Buffer.from(text, 'base64');
  // Node's decoder skips characters outside the alphabet; re-encoding must give the text back.
  if (bytes.length === 0 || bytes.toString('base64') !== text) return 'must be non-empty standard base64 (RFC 4648, padded)';
  if (bytes.length % 4 !== 0) return `holds ${bytes.length} bytes, not a whole number of float32 values (4 bytes each)`;
  const dims = bytes.length / 4;
  if (dims > LIMITS.maxDimensions) return `holds ${dims} values; at most ${LIMITS.maxDimensions}`;
  const out = new Float32Array(dims);
  const view = new Uint8Array(out.buffer);
  view.set(bytes);
  if (!LITTLE_ENDIAN) Buffer.from(out.buffer).swap32();
  for (let i = 0; i < dims; i++) if (!Number.isFinite(out[i])) return `value ${i} is not a finite number`;
  return out;
}
