import type { Embedder } from '../contracts/embedder.js';
import { NotSupportedError } from '../errors.js';

export interface OpenAiEmbedderOptions {
  model: string;
  /** Base URL of an OpenAI-compatible API (the `/embeddings` path is appended). */
  url: string;
  apiKey: string | undefined;
  dimensions: number;
}

/** STUB — being implemented. */
export class OpenAiEmbedder implements Embedder {
  readonly id: string;
  readonly dimensions: number;
  constructor(private readonly options: OpenAiEmbedderOptions) {
    this.id = `openai:${options.model}`;
    this.dimensions = options.dimensions;
  }
  async embed(): Promise<Float32Array[]> {
    throw new NotSupportedError(`openai embedder not implemented yet (${this.options.model})`);
  }
}
