import type { Embedder } from '../contracts/embedder.js';
import { BackendUnavailableError, ConfigError, MemoryError, ValidationError } from '../errors.js';
import { redactUrl, scrub } from '../core/redact.js';

/** The name every error of this embedder carries. */
const BACKEND = 'embedder:openai';
/** Most inputs sent in one request (OpenAI accepts up to 2048; many compatible servers far fewer). */
const MAX_BATCH = 96;
/** Longest server error text quoted in a message. */
const MAX_QUOTE = 300;

export interface OpenAiEmbedderOptions {
  model: string;
  /** Base URL of an OpenAI-compatible API (the `/embeddings` path is appended). */
  url: string;
  apiKey: string | undefined;
  dimensions: number;
  /** The env var the key came from, named in auth errors. Default: "the variable named by embedding_api_key_env". */
  apiKeyEnv?: string;
  /** Per-request timeout in milliseconds. Default 30 000. */
  timeoutMs?: number;
  /** Retries after the first attempt, on 429, 5xx, network errors and timeouts only. Default 3. */
  maxRetries?: number;
  /** First backoff delay in milliseconds; doubles on each retry (with jitter). Default 500. */
  retryBaseMs?: number;
  /** Inputs per request, 1..96. Default 96. */
  batchSize?: number;
}

/** A failed attempt, and whether trying again may help. */
class AttemptError extends Error {
  constructor(readonly error: MemoryError, readonly retryable: boolean, readonly retryAfterMs?: number) {
    super(error.message);
  }
}

/**
 * Embeds through any OpenAI-compatible `POST {url}/embeddings` endpoint (OpenAI, Azure-style
 * proxies, Ollama, LM Studio, vLLM, text-embeddings-inference…). Batches of at most 96 inputs,
 * in order; bounded retries with exponential backoff on 429 / 5xx / network errors / timeouts.
 *
 * Errors (messages name `embedder:openai` and the redacted URL, never the key):
 * - BackendUnavailableError: unreachable, timed out or 5xx/429 after every retry; a malformed
 *   response; a call aborted by the caller's signal.
 * - ConfigError: no API key for api.openai.com, 401/403 (key missing or wrong), 404 (unknown
 *   model or wrong URL), or vectors whose length is not the configured `dimensions`.
 * - ValidationError: other 4xx (the input was refused, e.g. too long).
 *
 * Construction never touches the network; a missing key is reported on the first call.
 */
export class OpenAiEmbedder implements Embedder {
  readonly id: string;
  readonly dimensions: number;
  private readonly endpoint: string;
  private readonly where: string;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly retryBaseMs: number;
  private readonly batchSize: number;

  constructor(private readonly options: OpenAiEmbedderOptions) {
    this.id = `openai:${options.model}`;
    this.dimensions = options.dimensions;
    this.endpoint = `${options.url.replace(/\/+$/, '')}/embeddings`;
    this.where = redactUrl(this.endpoint);
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxRetries = Math.max(0, Math.floor(options.maxRetries ?? 3));
    this.retryBaseMs = Math.max(0, options.retryBaseMs ?? 500);
    this.batchSize = Math.min(MAX_BATCH, Math.max(1, Math.floor(options.batchSize ?? MAX_BATCH)));
  }

  /**
   * Embeds `texts` in order, `batchSize` (≤ 96) per request, one request at a time.
   * An empty list returns [] without a request.
   */
  async embed(texts: readonly string[], options: { signal?: AbortSignal } = {}): Promise<Float32Array[]> {
    if (!Array.isArray(texts) || texts.some((t) => typeof t !== 'string')) {
      throw new ValidationError('texts must be an array of strings', { backend: BACKEND });
    }
    if (texts.length === 0) return [];
    this.preflight();
    const out: Float32Array[] = [];
    for (let start = 0; start < texts.length; start += this.batchSize) {
      const batch = texts.slice(start, start + this.batchSize);
      out.push(...(await this.embedBatch(batch, options.signal)));
    }
    return out;
  }

  /** Config problems found without the network: credentials in the URL, no key for OpenAI itself. */
  private preflight(): void {
    let url: URL | undefined;
    try {
      url = new URL(this.endpoint);
    } catch {
      throw new ConfigError([`embedding_url is not an absolute URL (${this.where})`], { backend: BACKEND });
    }
    if (url.username || url.password) {
      throw new ConfigError([`embedding_url ${this.where} must not hold credentials; name the key's variable in embedding_api_key_env`], {
        backend: BACKEND,
      });
    }
    if (this.options.apiKey) return;
    const host = url.hostname;
    if (host === 'api.openai.com' || host.endsWith('.openai.com')) {
      throw new ConfigError([`${this.keyName()} is not set or empty: the OpenAI API at ${this.where} needs an API key`], { backend: BACKEND });
    }
  }

  private keyName(): string {
    return this.options.apiKeyEnv
      ? `environment variable ${this.options.apiKeyEnv}`
      : 'the API key (the environment variable named by embedding_api_key_env, default OPENAI_API_KEY)';
  }

  private async embedBatch(batch: readonly string[], signal: AbortSignal | undefined): Promise<Float32Array[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.attempt(batch, signal);
      } catch (error) {
        if (!(error instanceof AttemptError)) throw error;
        if (!error.retryable || attempt >= this.maxRetries || signal?.aborted) throw error.error;
        const backoff = this.retryBaseMs * 2 ** attempt * (0.75 + Math.random() * 0.5);
        await sleep(Math.max(backoff, error.retryAfterMs ?? 0), signal);
      }
    }
  }

  /** One HTTP request; throws AttemptError on any failure. */
  private async attempt(batch: readonly string[], callerSignal: AbortSignal | undefined): Promise<Float32Array[]> {
    if (callerSignal?.aborted) throw new AttemptError(this.aborted(callerSignal.reason), false);
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = callerSignal ? AbortSignal.any([timeout, callerSignal]) : timeout;
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.options.apiKey) headers['authorization'] = `Bearer ${this.options.apiKey}`;
    const body: { model: string; input: readonly string[]; dimensions?: number } = { model: this.options.model, input: batch };
    if (this.options.model.startsWith('text-embedding-3')) body.dimensions = this.dimensions;

    let response: Response;
    let text: string;
    try {
      response = await fetch(this.endpoint, { method: 'POST', headers, body: JSON.stringify(body), signal });
      text = await response.text();
    } catch (cause) {
      if (callerSignal?.aborted) throw new AttemptError(this.aborted(cause), false);
      if (timeout.aborted) {
        throw new AttemptError(this.unavailable(`no answer from ${this.where} within ${this.timeoutMs} ms`, cause), true);
      }
      throw new AttemptError(this.unavailable(`cannot reach ${this.where}: ${this.safe(describeNetworkError(cause))}`, cause), true);
    }

    if (!response.ok) throw this.httpError(response, text);
    return this.parse(text, batch.length);
  }

  private httpError(response: Response, text: string): AttemptError {
    const status = response.status;
    const detail = this.quote(text);
    const what = `${this.where} answered HTTP ${status}${detail ? `: ${detail}` : ''}`;
    if (status === 429 || status >= 500) {
      return new AttemptError(this.unavailable(what), true, retryAfterMs(response.headers.get('retry-after')));
    }
    if (status === 401 || status === 403) {
      const hint = this.options.apiKey ? `${this.keyName()} holds a key the server refused` : `${this.keyName()} is not set or empty`;
      return new AttemptError(new ConfigError([`${what} (${hint})`], { backend: BACKEND }), false);
    }
    if (status === 404) {
      return new AttemptError(
        new ConfigError([`${what} (check embedding_url and embedding_model "${this.options.model}")`], { backend: BACKEND }),
        false,
      );
    }
    return new AttemptError(new ValidationError(`the embedding request was refused: ${what}`, { backend: BACKEND }), false);
  }

  /** Checks `{ data: [{ index, embedding }] }` and returns the vectors in input order. */
  private parse(text: string, expected: number): Float32Array[] {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw this.malformed('the body is not JSON');
    }
    const data = (json as { data?: unknown } | null)?.data;
    if (!Array.isArray(data)) throw this.malformed('no "data" array');
    if (data.length !== expected) throw this.malformed(`${data.length} embeddings for ${expected} inputs`);

    const vectors = new Array<Float32Array | undefined>(expected);
    data.forEach((item: unknown, position) => {
      const { index = position, embedding } = (item ?? {}) as { index?: unknown; embedding?: unknown };
      if (!Number.isInteger(index) || (index as number) < 0 || (index as number) >= expected || vectors[index as number]) {
        throw this.malformed(`data[${position}].index is missing, out of range or repeated`);
      }
      if (!Array.isArray(embedding)) throw this.malformed(`data[${position}].embedding is not an array of numbers`);
      if (embedding.length !== this.dimensions) {
        throw new AttemptError(
          new ConfigError(
            [`${this.where} returned ${embedding.length}-dimensional vectors from model "${this.options.model}", but embedding_dimensions is ${this.dimensions}`],
            { backend: BACKEND },
          ),
          false,
        );
      }
      const vector = new Float32Array(this.dimensions);
      for (let i = 0; i < embedding.length; i++) {
        const x: unknown = embedding[i];
        if (typeof x !== 'number' || !Number.isFinite(x)) throw this.malformed(`data[${position}].embedding[${i}] is not a finite number`);
        vector[i] = x;
      }
      vectors[index as number] = vector;
    });
    return vectors as Float32Array[];
  }

  private malformed(why: string): AttemptError {
    return new AttemptError(this.unavailable(`malformed response from ${this.where}: ${why}`), false);
  }

  private unavailable(message: string, cause?: unknown): BackendUnavailableError {
    return new BackendUnavailableError(message, { backend: BACKEND, cause });
  }

  private aborted(cause: unknown): BackendUnavailableError {
    return this.unavailable(`the request to ${this.where} was aborted by the caller`, cause);
  }

  /** Text from elsewhere (a server, the runtime) with the raw URL and the key taken out. */
  private safe(text: string): string {
    return scrub(text.split(this.endpoint).join(this.where), [this.options.apiKey]);
  }

  /** The server's own error text (OpenAI: `{ error: { message } }`), shortened and without the key. */
  private quote(text: string): string {
    let message = text;
    try {
      const parsed = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
      const candidate = typeof parsed.error === 'string' ? parsed.error : (parsed.error?.message ?? parsed.message);
      if (typeof candidate === 'string') message = candidate;
    } catch {
      // not JSON: quote the text itself
    }
    message = this.safe(message.replace(/\s+/g, ' ').trim());
    return message.length > MAX_QUOTE ? `${message.slice(0, MAX_QUOTE)}…` : message;
  }
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : 'network error';
}

/** `Retry-After` in ms (seconds or an HTTP date), capped at 60 s; undefined when absent or unusable. */
function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, 60_000) : undefined;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new BackendUnavailableError('the embedding request was aborted by the caller', { backend: BACKEND, cause: signal.reason }));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new BackendUnavailableError('the embedding request was aborted by the caller', { backend: BACKEND, cause: signal?.reason }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
