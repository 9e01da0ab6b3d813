import { mulberry32 } from './random.js';

/**
 * An inverted-file (IVF) partition of unit vectors, for approximate search on engines that scan
 * (sqlite-vec): k-means cells in two levels (a few top centroids, each split into leaves in
 * proportion to its members), sign codes for the coarse scan inside the probed cells (SignCoder),
 * and the pure arithmetic around them. Written once; the backend stores the model and runs the scans.
 *
 * Two levels make assignment cheap: a vector is compared with √C top centroids and then with the
 * leaves of its nearest one (≈ 2√C dot products instead of C), which is what keeps writes and an
 * index build over a million vectors affordable. Queries compare with every leaf (C dot products).
 */

/** A trained partition: `cells` leaf centroids (unit length) and their top-level parents. */
export interface IvfModel {
  dimensions: number;
  /** Leaf centroids, row-major (cells × dimensions). */
  leaves: Float32Array;
  /** Top centroids, row-major (tops × dimensions). */
  tops: Float32Array;
  /** The leaf numbers under each top centroid. */
  children: number[][];
}

/** The model as stored: plain JSON-able numbers and base64 float32 blocks. */
export interface StoredIvfModel {
  dimensions: number;
  leaves: string;
  tops: string;
  children: number[][];
}

/** The dot product of `a` and row `row` of the row-major matrix `m` (four accumulators). */
export function dotRow(m: Float32Array, row: number, a: Float32Array): number {
  const d = a.length;
  const base = row * d;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < d; i += 4) {
    s0 += (m[base + i] as number) * (a[i] as number);
    s1 += (m[base + i + 1] as number) * (a[i + 1] as number);
    s2 += (m[base + i + 2] as number) * (a[i + 2] as number);
    s3 += (m[base + i + 3] as number) * (a[i + 3] as number);
  }
  for (; i < d; i++) s0 += (m[base + i] as number) * (a[i] as number);
  return s0 + s1 + s2 + s3;
}

/** The row of `m` (among `rows`, or all) with the largest dot product with `v`. */
function best(m: Float32Array, v: Float32Array, rows?: readonly number[]): number {
  let top = -1;
  let topScore = -Infinity;
  const count = rows ? rows.length : m.length / v.length;
  for (let j = 0; j < count; j++) {
    const r = rows ? (rows[j] as number) : j;
    const s = dotRow(m, r, v);
    if (s > topScore) {
      topScore = s;
      top = r;
    }
  }
  return top;
}

/** Called between slices of training work, e.g. to let an event loop turn (a server keeps answering). */
export type Pause = () => Promise<void>;

/** Rows assigned between two pauses (about 10 ms of work at 384 dimensions and 30 centroids). */
const PAUSE_EVERY = 1024;

/**
 * Spherical k-means (cosine) of the `rows` of `data` into `k` unit centroids, `iterations` rounds,
 * seeded from distinct rows; an emptied centroid keeps its previous position.
 */
async function kMeans(data: Float32Array, dim: number, rows: readonly number[], k: number, iterations: number, random: () => number, pause: Pause): Promise<Float32Array> {
  const centroids = new Float32Array(k * dim);
  const picked = new Set<number>();
  for (let c = 0; c < k; c++) {
    let r = rows[Math.floor(random() * rows.length)] as number;
    for (let tries = 0; picked.has(r) && tries < 8; tries++) r = rows[Math.floor(random() * rows.length)] as number;
    picked.add(r);
    centroids.set(data.subarray(r * dim, (r + 1) * dim), c * dim);
  }
  const sums = new Float64Array(k * dim);
  for (let it = 0; it < iterations; it++) {
    sums.fill(0);
    for (const [i, r] of rows.entries()) {
      if (i % PAUSE_EVERY === PAUSE_EVERY - 1) await pause();
      const v = data.subarray(r * dim, (r + 1) * dim);
      const c = best(centroids, v);
      const base = c * dim;
      for (let i = 0; i < dim; i++) sums[base + i] = (sums[base + i] as number) + (v[i] as number);
    }
    for (let c = 0; c < k; c++) {
      const base = c * dim;
      let norm = 0;
      for (let i = 0; i < dim; i++) norm += (sums[base + i] as number) ** 2;
      if (norm === 0) continue;
      const inv = 1 / Math.sqrt(norm);
      for (let i = 0; i < dim; i++) centroids[base + i] = (sums[base + i] as number) * inv;
    }
  }
  return centroids;
}

/** How many sample vectors training reads for `cells` cells: 40 per cell, as k-means needs. */
export function sampleSizeFor(cells: number): number {
  return cells * 40;
}

/**
 * Trains a two-level partition of `cells` leaves on `sample` (row-major unit vectors): √cells top
 * centroids, then each top cluster's members split into leaves in proportion to their number.
 */
export async function trainIvf(sample: Float32Array, dimensions: number, cells: number, options: { seed?: number; pause?: Pause } = {}): Promise<IvfModel> {
  const seed = options.seed ?? 0x1f5;
  const pause = options.pause ?? (() => Promise.resolve());
  const n = sample.length / dimensions;
  if (n === 0) throw new Error('IVF training needs at least one vector');
  const random = mulberry32(seed);
  const all = Array.from({ length: n }, (_, i) => i);
  const leavesWanted = Math.max(1, Math.min(cells, n));
  const topCount = Math.max(1, Math.min(Math.round(Math.sqrt(leavesWanted)), n));
  const tops = await kMeans(sample, dimensions, all, topCount, 8, random, pause);
  const members: number[][] = Array.from({ length: topCount }, () => []);
  for (let r = 0; r < n; r++) (members[best(tops, sample.subarray(r * dimensions, (r + 1) * dimensions))] as number[]).push(r);
  const leaves: Float32Array[] = [];
  const children: number[][] = [];
  for (let t = 0; t < topCount; t++) {
    const rows = members[t] as number[];
    const mine: number[] = [];
    if (rows.length > 0) {
      const k = Math.max(1, Math.min(rows.length, Math.round((leavesWanted * rows.length) / n)));
      const centroids = await kMeans(sample, dimensions, rows, k, 8, random, pause);
      for (let c = 0; c < k; c++) {
        mine.push(leaves.length);
        leaves.push(centroids.subarray(c * dimensions, (c + 1) * dimensions));
      }
    } else {
      // An empty top cluster keeps one leaf at its own centroid, so every top has a child.
      mine.push(leaves.length);
      leaves.push(tops.subarray(t * dimensions, (t + 1) * dimensions));
    }
    children.push(mine);
  }
  const flat = new Float32Array(leaves.length * dimensions);
  leaves.forEach((l, i) => flat.set(l, i * dimensions));
  return { dimensions, leaves: flat, tops, children };
}

/** The leaf cell of `v`: its nearest top centroid, then that top's nearest leaf. */
export function assignCell(model: IvfModel, v: Float32Array): number {
  const top = best(model.tops, v);
  return best(model.leaves, v, model.children[top]);
}

/** The `count` leaf cells nearest to `v` (largest dot product), nearest first. */
export function probeCells(model: IvfModel, v: Float32Array, count: number): number[] {
  const cells = model.leaves.length / model.dimensions;
  const scores = new Float64Array(cells);
  for (let c = 0; c < cells; c++) scores[c] = dotRow(model.leaves, c, v);
  const order = Array.from({ length: cells }, (_, i) => i);
  order.sort((a, b) => (scores[b] as number) - (scores[a] as number));
  return order.slice(0, Math.min(count, cells));
}

export function storeIvf(model: IvfModel): StoredIvfModel {
  const b64 = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
  return { dimensions: model.dimensions, leaves: b64(model.leaves), tops: b64(model.tops), children: model.children };
}

export function loadIvf(stored: StoredIvfModel): IvfModel {
  const f32 = (s: string) => {
    const bytes = Buffer.from(s, 'base64');
    const out = new Float32Array(bytes.byteLength / 4);
    new Uint8Array(out.buffer).set(bytes);
    return out;
  };
  return { dimensions: stored.dimensions, leaves: f32(stored.leaves), tops: f32(stored.tops), children: stored.children };
}

/** The smallest power of two ≥ n. */
function pow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * A sign-code expander: `rounds` random rotations (random signs, then a fast Walsh–Hadamard
 * transform of the vector zero-padded to a power of two) whose output signs are the bits — SimHash
 * with orthogonal hyperplanes, so the Hamming distance between two codes estimates their angle with
 * `rounds × 2^⌈log2 D⌉` bits, in O(rounds · D log D) per vector.
 */
export class SignCoder {
  readonly bits: number;
  private readonly width: number;
  private readonly signs: Float32Array;
  private readonly work: Float32Array;
  /** The coder whose codes have about `bits` bits: ⌊bits / padded width⌋ rounds, at least one. */
  static forBits(dimensions: number, bits: number): SignCoder {
    return new SignCoder(dimensions, Math.max(1, Math.floor(bits / pow2(dimensions))));
  }

  constructor(readonly dimensions: number, readonly rounds: number, seed = 0x5eed) {
    this.width = pow2(dimensions);
    this.bits = rounds * this.width;
    const random = mulberry32(seed);
    this.signs = new Float32Array(rounds * this.width);
    for (let i = 0; i < this.signs.length; i++) this.signs[i] = random() < 0.5 ? -1 : 1;
    this.work = new Float32Array(this.width);
  }

  /** The code of `v` as bytes (bit i of byte j is output bit 8j + i), `bits / 8` long. */
  encode(v: Float32Array): Uint8Array {
    const out = new Uint8Array(this.bits / 8);
    const { width, work } = this;
    for (let r = 0; r < this.rounds; r++) {
      const s = r * width;
      for (let i = 0; i < width; i++) work[i] = i < v.length ? (v[i] as number) * (this.signs[s + i] as number) : 0;
      for (let h = 1; h < width; h *= 2) {
        for (let i = 0; i < width; i += h * 2) {
          for (let j = i; j < i + h; j++) {
            const a = work[j] as number;
            const b = work[j + h] as number;
            work[j] = a + b;
            work[j + h] = a - b;
          }
        }
      }
      for (let i = 0; i < width; i++) {
        if ((work[i] as number) > 0) {
          const bit = s + i;
          out[bit >> 3] = (out[bit >> 3] as number) | (1 << (bit & 7));
        }
      }
    }
    return out;
  }
}
