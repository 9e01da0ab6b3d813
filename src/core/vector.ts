import { ValidationError } from '../errors.js';
import type { VectorInput } from '../contracts/semantic-store.js';

/**
 * Validates a vector (finite numbers, expected length) and returns it scaled to unit length, so
 * cosine similarity equals the dot product and every backend ranks identically (OpenFang's G-16).
 */
export function toUnitVector(input: unknown, dimensions: number | undefined, backend: string, field = 'embedding'): Float32Array {
  if (!(input instanceof Float32Array) && !Array.isArray(input)) {
    throw new ValidationError(`${field} must be an array of numbers or a Float32Array`, { backend });
  }
  const values = input as VectorInput;
  if (values.length === 0) throw new ValidationError(`${field} must not be empty`, { backend });
  if (dimensions !== undefined && values.length !== dimensions) {
    throw new ValidationError(`${field} has ${values.length} dimensions; this store holds ${dimensions}-dimensional vectors`, { backend });
  }
  const out = new Float32Array(values.length);
  let norm = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw new ValidationError(`${field}[${i}] is not a finite number`, { backend });
    }
    out[i] = x;
    norm += x * x;
  }
  if (!(norm > 0) || !Number.isFinite(norm)) throw new ValidationError(`${field} has zero length`, { backend });
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) * scale;
  return out;
}

export function vectorToBuffer(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/** A float32 blob as a Float32Array: a view when it is 4-byte aligned, else a copy. */
export function bufferToFloat32(b: Uint8Array): Float32Array {
  if (b.byteOffset % 4 === 0) return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  return new Float32Array(new Uint8Array(b).buffer);
}

export function bufferToVector(b: Uint8Array): number[] {
  const copy = new Float32Array(b.byteLength / 4);
  new Uint8Array(copy.buffer).set(b);
  return Array.from(copy);
}
