import { createHash } from 'node:crypto';
import type { Embedder } from '../contracts/embedder.js';

/**
 * Offline, deterministic lexical embedder (feature hashing of lower-cased word tokens and their
 * character trigrams, signed, L2-normalised). No model, no network: for demos and tests. Texts that
 * share words land close together; it knows nothing of meaning.
 */
export class HashEmbedder implements Embedder {
  readonly id: string;
  constructor(readonly dimensions = 384) {
    this.id = `hash:v1:${dimensions}`;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    return texts.map((t) => this.embedOne(t));
  }

  embedOne(text: string): Float32Array {
    const v = new Float32Array(this.dimensions);
    const tokens = text.toLowerCase().normalize('NFKC').match(/[\p{L}\p{N}]+/gu) ?? [];
    for (const token of tokens) {
      this.add(v, `w:${token}`, 1);
      if (token.length > 3) {
        for (let i = 0; i + 3 <= token.length; i++) this.add(v, `t:${token.slice(i, i + 3)}`, 0.25);
      }
    }
    let norm = 0;
    for (const x of v) norm += x * x;
    if (norm === 0) {
      v[0] = 1;
      return v;
    }
    const scale = 1 / Math.sqrt(norm);
    for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) * scale;
    return v;
  }

  private add(v: Float32Array, feature: string, weight: number): void {
    const digest = createHash('sha1').update(feature).digest();
    const index = digest.readUInt32LE(0) % this.dimensions;
    const sign = (digest[4] as number) & 1 ? 1 : -1;
    v[index] = (v[index] as number) + sign * weight;
  }
}
