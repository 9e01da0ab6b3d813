/**
 * Deterministic synthetic workloads (performance anchors §0):
 * - "embedding-like" unit vectors from a low-rank latent model (intrinsic dim 24, decaying latent
 *   variances) mapped to `dim` dimensions, plus isotropic noise carrying 25 % of the energy;
 * - ~20-word texts from a Zipf-ish vocabulary of 20k invented words, so 2–3-term keyword queries
 *   built from mid-frequency words hit a handful of documents;
 * - a JS brute-force exact top-k (pre-normalised dot product, 4 accumulators) — the in-process limit.
 */
import { Rng } from './lib.js';

export const LATENT_DIM = 24;
/** Fraction of each vector's energy that is isotropic noise. */
export const NOISE_ENERGY = 0.25;

/** A fixed random projection latent → dim, shared by documents and queries of one data set. */
export class LatentModel {
  private readonly w: Float64Array;
  private readonly scales: Float64Array;
  constructor(readonly dim: number, seed: number) {
    const rng = new Rng(seed);
    this.w = new Float64Array(dim * LATENT_DIM);
    for (let i = 0; i < this.w.length; i++) this.w[i] = rng.gauss();
    this.scales = new Float64Array(LATENT_DIM);
    for (let k = 0; k < LATENT_DIM; k++) this.scales[k] = 1 / Math.sqrt(1 + k / 4);
  }

  /** `n` unit vectors, row-major in one Float32Array (n × dim). */
  sample(n: number, seed: number): Float32Array {
    const { dim } = this;
    const rng = new Rng(seed);
    const out = new Float32Array(n * dim);
    const z = new Float64Array(LATENT_DIM);
    const x = new Float64Array(dim);
    const noiseSigma = Math.sqrt(NOISE_ENERGY / (1 - NOISE_ENERGY) / dim);
    for (let r = 0; r < n; r++) {
      for (let k = 0; k < LATENT_DIM; k++) z[k] = rng.gauss() * (this.scales[k] as number);
      let sig = 0;
      for (let d = 0; d < dim; d++) {
        let s = 0;
        const base = d * LATENT_DIM;
        for (let k = 0; k < LATENT_DIM; k++) s += (this.w[base + k] as number) * (z[k] as number);
        x[d] = s;
        sig += s * s;
      }
      const sigScale = 1 / Math.sqrt(sig);
      let norm = 0;
      for (let d = 0; d < dim; d++) {
        const v = (x[d] as number) * sigScale + rng.gauss() * noiseSigma;
        x[d] = v;
        norm += v * v;
      }
      const inv = 1 / Math.sqrt(norm);
      const off = r * dim;
      for (let d = 0; d < dim; d++) out[off + d] = (x[d] as number) * inv;
    }
    return out;
  }
}

export function row(data: Float32Array, dim: number, i: number): Float32Array {
  return data.subarray(i * dim, (i + 1) * dim);
}

/** Memories `start`..`end` (exclusive) of a generated set, for one agent: text i with vector i. */
export function memoryBatch(agentId: string, texts: readonly string[], vectors: Float32Array, dim: number, start: number, end: number): { agentId: string; content: string; embedding: Float32Array }[] {
  const batch = [];
  for (let i = start; i < Math.min(end, texts.length); i++) batch.push({ agentId, content: texts[i] as string, embedding: row(vectors, dim, i) });
  return batch;
}

// ── texts ────────────────────────────────────────────────────────────────────────────────────

const ONSETS = ['b', 'd', 'f', 'g', 'k', 'l', 'm', 'n', 'p', 'r', 't', 'v', 'z', 'br', 'dr', 'kl', 'st', 'tr'];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ai', 'ou'];
const CODAS = ['k', 'm', 'p', 'x', 'v', 'z'];

/** A Zipf(s≈1.07) vocabulary of invented lowercase words (2–4 syllables plus a coda, all distinct). */
export class Vocabulary {
  readonly words: string[];
  private readonly cdf: Float64Array;
  constructor(size: number, seed: number) {
    const rng = new Rng(seed);
    const seen = new Set<string>();
    this.words = [];
    while (this.words.length < size) {
      const syllables = 2 + rng.int(3);
      let w = '';
      for (let s = 0; s < syllables; s++) w += (ONSETS[rng.int(ONSETS.length)] as string) + (VOWELS[rng.int(VOWELS.length)] as string);
      w += CODAS[rng.int(CODAS.length)] as string;
      if (!seen.has(w)) {
        seen.add(w);
        this.words.push(w);
      }
    }
    this.cdf = new Float64Array(size);
    let acc = 0;
    for (let r = 0; r < size; r++) {
      acc += 1 / Math.pow(r + 2.7, 1.07);
      this.cdf[r] = acc;
    }
    for (let r = 0; r < size; r++) this.cdf[r] = (this.cdf[r] as number) / acc;
  }

  /** A word rank drawn from the Zipf distribution (0 = most frequent). */
  drawRank(rng: Rng): number {
    const u = rng.next();
    let lo = 0;
    let hi = this.cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.cdf[mid] as number) < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

export interface TextSet {
  texts: string[];
  /** The word ranks of each text (to build queries that hit it). */
  ranks: Uint16Array[];
}

/** `n` texts of 17–23 words each. */
export function makeTexts(vocab: Vocabulary, n: number, seed: number): TextSet {
  const rng = new Rng(seed);
  const texts: string[] = new Array(n);
  const ranks: Uint16Array[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const len = 17 + rng.int(7);
    const r = new Uint16Array(len);
    const parts: string[] = new Array(len);
    for (let j = 0; j < len; j++) {
      const rank = vocab.drawRank(rng);
      r[j] = rank;
      parts[j] = vocab.words[rank] as string;
    }
    texts[i] = parts.join(' ');
    ranks[i] = r;
  }
  return { texts, ranks };
}

/**
 * 2–3 distinct mid-frequency terms (rank ≥ 50, i.e. none of the very common words) of one text;
 * falls back to its rarest words if it has too few.
 */
export function queryTerms(vocab: Vocabulary, ranks: Uint16Array, rng: Rng): string {
  const want = 2 + rng.int(2);
  const unique = [...new Set(ranks)];
  const mid = unique.filter((r) => r >= 50);
  const pool = mid.length >= want ? mid : unique.sort((a, b) => b - a);
  const chosen: number[] = [];
  const copy = [...pool];
  while (chosen.length < want && copy.length > 0) {
    const k = rng.int(copy.length);
    chosen.push(copy[k] as number);
    copy.splice(k, 1);
  }
  return chosen.map((r) => vocab.words[r]).join(' ');
}

// ── brute force ──────────────────────────────────────────────────────────────────────────────

/**
 * Exact top-k by dot product over unit vectors (= cosine), 4 accumulators; returns row indices,
 * best first. The single-core JS limit of the performance anchors (§1a).
 */
export function bruteForceTopK(data: Float32Array, n: number, dim: number, q: Float32Array, k: number): number[] {
  const bestScore = new Float64Array(k).fill(-Infinity);
  const bestIdx = new Int32Array(k).fill(-1);
  let worst = -Infinity;
  const tail = dim - (dim % 4);
  for (let r = 0; r < n; r++) {
    const off = r * dim;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    for (let d = 0; d < tail; d += 4) {
      a0 += (data[off + d] as number) * (q[d] as number);
      a1 += (data[off + d + 1] as number) * (q[d + 1] as number);
      a2 += (data[off + d + 2] as number) * (q[d + 2] as number);
      a3 += (data[off + d + 3] as number) * (q[d + 3] as number);
    }
    for (let d = tail; d < dim; d++) a0 += (data[off + d] as number) * (q[d] as number);
    const s = a0 + a1 + a2 + a3;
    if (s <= worst) continue;
    let j = k - 1;
    while (j > 0 && (bestScore[j - 1] as number) < s) {
      bestScore[j] = bestScore[j - 1] as number;
      bestIdx[j] = bestIdx[j - 1] as number;
      j--;
    }
    bestScore[j] = s;
    bestIdx[j] = r;
    worst = bestScore[k - 1] as number;
  }
  return Array.from(bestIdx).filter((i) => i >= 0);
}

/**
 * Recall@k of vector recall against the exact truth: for each query, the share of its true k
 * nearest (indices into the generated set, whose memory ids are `ids`) among the k recalled.
 */
export async function vectorRecallAtK(
  recall: (query: Float32Array) => Promise<{ memory: { id: string } }[]>,
  ids: readonly string[],
  queries: Float32Array,
  dim: number,
  truth: readonly (readonly number[])[],
  k: number,
): Promise<number> {
  const indexOf = new Map(ids.map((id, i) => [id, i]));
  let hits = 0;
  for (let q = 0; q < truth.length; q++) {
    const want = new Set(truth[q]);
    for (const r of await recall(row(queries, dim, q))) if (want.has(indexOf.get(r.memory.id) ?? -1)) hits++;
  }
  return hits / (truth.length * k);
}
