/** Deterministic test vectors for the semantic suites. */
import { mulberry32 } from '../core/random.js';

/** mulberry32: a seeded random number generator in [0, 1). */
export const rng = mulberry32;

export function unit(v: readonly number[]): number[] {
  const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return v.map((x) => x / n);
}

export function cosine(a: readonly number[], b: readonly number[]): number {
  const ua = unit(a);
  const ub = unit(b);
  return ua.reduce((s, x, i) => s + x * (ub[i] as number), 0);
}
