/** Turns text into vectors. memstrate ships `none`, `hash` and `openai` (see src/embedders). */
export interface Embedder {
  /** Stable identity of the vector space, e.g. `hash:v1` or `openai:text-embedding-3-small`. */
  readonly id: string;
  /** Length of every vector this embedder returns. */
  readonly dimensions: number;
  /** Embeds many texts, in order. Implementations batch requests themselves. */
  embed(texts: readonly string[], options?: { signal?: AbortSignal }): Promise<Float32Array[]>;
}
