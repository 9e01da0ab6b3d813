import type { Logger } from '../../contracts/types.js';
import { scrub } from '../../core/redact.js';
import { BackendUnavailableError, MemoryError } from '../../errors.js';
import { HTTP_BACKEND, type HttpSettings } from './http-settings.js';
import { HttpTransport, type Exchange } from './http-transport.js';
import { errorFromWire, stripMessagePrefix } from '../../wire/errors.js';

/** Longest server error text quoted in a message. */
const MAX_QUOTE = 300;

export interface GatewayClientOptions {
  /** Per-request (per attempt) timeout in milliseconds. Default 10 000. */
  timeoutMs?: number;
  /** Retries after the first attempt, for idempotent requests only. Default 3. */
  maxRetries?: number;
  /** First backoff delay in ms; doubles on each retry, ×(0.5..1.5) jitter, capped by retryMaxMs. Default 100. */
  retryBaseMs?: number;
  /** Longest backoff delay in ms. Default 2 000. */
  retryMaxMs?: number;
  /** How long close() lets in-flight requests finish before aborting them, in ms. Default 5 000. */
  closeGraceMs?: number;
}

/** Per-call options of the http backend's methods (beyond the SemanticStore contract). */
export interface CallOptions {
  /** Aborts the call (and its retries); it then rejects with BackendUnavailableError. */
  signal?: AbortSignal;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface GatewayRequest {
  method: HttpMethod;
  /** Path below the base URL, starting with `/`. */
  path: string;
  /** JSON text of the body, if any. */
  body?: string;
  /**
   * Safe to send twice (GET, recall, DELETE, PUT embedding): retried on network errors and
   * 502/503/504. Never set for POST /v1/memories (a retry could store the memory twice).
   */
  idempotent: boolean;
  /** Send the bearer token. Default true (GET /health goes without). */
  auth?: boolean;
  signal?: AbortSignal | undefined;
  /** Overrides the client's retry count (health probes use 0). */
  maxRetries?: number;
  /** A shorter per-attempt timeout than the client's (the probe at open fails fast with it). */
  timeoutMs?: number;
  /**
   * Resolve with `{ status: 404, body: undefined }` when the gateway answers 404 with a NOT_FOUND
   * error body (the resource does not exist). A 404 without one (an unknown route: not a memstrate
   * gateway, or a wrong base path) still rejects.
   */
  absentOn404?: boolean;
}

export interface GatewayResponse {
  status: number;
  /** Parsed JSON body; undefined for an empty body (204). */
  body: unknown;
}

/** A failed attempt, and whether trying again may help. */
class AttemptError extends Error {
  constructor(
    readonly error: MemoryError,
    readonly retryable: boolean,
  ) {
    super(error.message);
  }
}

/**
 * JSON over HTTP to a memstrate gateway: bearer auth, a timeout per attempt, bounded retries with
 * exponential backoff and jitter for idempotent requests only, an abort signal per call, and every
 * failure turned into a MemoryError that names the backend (`http`) and the redacted URL — never
 * the token. There is no fallback of any kind: a request that fails, fails.
 */
export class GatewayClient {
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly closeGraceMs: number;
  /** Aborted by close(): cuts in-flight requests (after the grace period) and backoff waits. */
  private readonly internal = new AbortController();
  /**
   * Each attempt's own controller while it runs: close() aborts them directly (a Set add/delete per
   * request instead of an abort listener on `internal`; EventTarget listeners cost ~5 µs each).
   */
  private readonly attempts = new Set<AbortController>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;
  private readonly transport: HttpTransport;

  constructor(
    readonly settings: HttpSettings,
    private readonly logger: Logger | undefined,
    options: GatewayClientOptions = {},
  ) {
    this.timeoutMs = positive(options.timeoutMs, 10_000);
    this.maxRetries = Math.max(0, Math.floor(options.maxRetries ?? 3));
    this.retryBaseMs = Math.max(0, options.retryBaseMs ?? 100);
    this.retryMaxMs = Math.max(0, options.retryMaxMs ?? 2_000);
    this.closeGraceMs = Math.max(0, options.closeGraceMs ?? 5_000);
    this.transport = new HttpTransport(settings.baseUrl);
  }

  get where(): string {
    return this.settings.where;
  }

  /**
   * Sends one request (plus retries when idempotent). Resolves with the parsed body of a 2xx answer.
   * Rejects with the MemoryError the gateway's error body names (VALIDATION, NOT_FOUND, …), a
   * ConfigError for 401 (token refused), a ValidationError for 413, or BackendUnavailableError for
   * network errors, timeouts, aborts, 5xx without a memstrate error body, unparseable bodies and
   * calls after close().
   */
  request(req: GatewayRequest): Promise<GatewayResponse> {
    if (this.closed) return Promise.reject(this.unavailable(`the http semantic backend is closed (gateway ${this.where})`));
    const call = this.withRetries(req);
    this.inFlight.add(call);
    const forget = (): void => {
      this.inFlight.delete(call);
    };
    call.then(forget, forget);
    return call;
  }

  /** Refuses new requests, lets in-flight ones finish (up to the grace period), then aborts the rest. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.closeGraceMs);
      });
      await Promise.race([Promise.allSettled([...this.inFlight]), grace]);
      clearTimeout(timer);
    }
    const reason = new Error('closed');
    this.internal.abort(reason);
    for (const attempt of this.attempts) attempt.abort(reason);
    this.transport.close();
  }

  private async withRetries(req: GatewayRequest): Promise<GatewayResponse> {
    const retries = req.idempotent ? (req.maxRetries ?? this.maxRetries) : 0;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.attempt(req);
      } catch (error) {
        if (!(error instanceof AttemptError)) throw error;
        if (!error.retryable || attempt >= retries || this.internal.signal.aborted || req.signal?.aborted) throw error.error;
        const delay = Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** attempt) * (0.5 + Math.random());
        this.logger?.debug({ backend: HTTP_BACKEND, method: req.method, path: req.path, attempt: attempt + 1, delayMs: Math.round(delay) }, `retrying: ${error.error.message}`);
        await this.sleep(delay, req);
      }
    }
  }

  /** One HTTP exchange; every failure becomes an AttemptError. */
  private async attempt(req: GatewayRequest): Promise<GatewayResponse> {
    const label = `${req.method} ${req.path}`;
    if (req.signal?.aborted) throw new AttemptError(this.unavailable(`${label} to ${this.where} was aborted by the caller`), false);
    // One signal per attempt: the timeout combined with close() (which aborts every attempt in
    // `attempts`) and the caller's signal. Linked by hand with one timer: AbortSignal.any([AbortSignal.timeout(ms), …]) costs
    // ~30 µs per request on Node 20 and keeps every request's signal alive for the whole timeout.
    const controller = new AbortController();
    const timeoutMs = Math.min(req.timeoutMs ?? this.timeoutMs, this.timeoutMs);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error('timeout'));
    }, timeoutMs);
    this.attempts.add(controller);
    if (this.internal.signal.aborted) controller.abort(this.internal.signal.reason);
    const unlink = req.signal === undefined ? noop : link(controller, req.signal);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    if (req.auth !== false && this.settings.token !== undefined) headers['authorization'] = `Bearer ${this.settings.token}`;
    try {
      let response: Exchange;
      try {
        response = await this.transport.exchange(this.settings.baseUrl + req.path, req.method, headers, req.body, controller.signal);
      } catch (cause) {
        if (req.signal?.aborted) throw new AttemptError(this.unavailable(`${label} to ${this.where} was aborted by the caller`, cause), false);
        if (this.internal.signal.aborted) throw new AttemptError(this.unavailable(`${label} to ${this.where} was cut off: the http semantic backend was closed`, cause), false);
        if (timedOut) throw new AttemptError(this.unavailable(`no answer from the gateway at ${this.where} to ${label} within ${timeoutMs} ms`, cause), false);
        throw new AttemptError(this.unavailable(`cannot reach the gateway at ${this.where} (${label}): ${this.safe(describeNetworkError(cause))}`, cause), true);
      }
      const { status, text } = response;
      if (status >= 200 && status < 300) return { status, body: this.parse(text, label) };
      if (status === 404 && req.absentOn404 && readWireError(text)?.code === 'NOT_FOUND') return { status: 404, body: undefined };
      throw this.httpError(status, text, label);
    } finally {
      clearTimeout(timer);
      this.attempts.delete(controller);
      unlink();
    }
  }

  private parse(text: string, label: string): unknown {
    if (text === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new AttemptError(this.unavailable(`the gateway at ${this.where} answered ${label} with a body that is not JSON`), false);
    }
  }

  /**
   * A non-2xx answer as the MemoryError of the gateway's wire table (src/wire/errors.ts),
   * with the gateway (redacted) and the request added to the message. A body that is not a
   * memstrate error body (a proxy's page, another server) is mapped from the status alone.
   */
  private httpError(status: number, text: string, label: string): AttemptError {
    const retryable = status === 502 || status === 503 || status === 504;
    const wire = readWireError(text);
    const remote = wire?.message !== undefined ? stripMessagePrefix(wire.message) : this.quote(text);
    const where = `gateway ${this.where}, ${label}, HTTP ${status}`;
    const message = wire ? `${this.quote(remote)} (${where})` : `the gateway at ${this.where} answered ${label} with HTTP ${status}${remote ? `: ${remote}` : ''}`;
    const body = { error: { ...(wire ?? {}), message } };
    return new AttemptError(errorFromWire(status, body, { backend: HTTP_BACKEND }), retryable);
  }

  private unavailable(message: string, cause?: unknown): BackendUnavailableError {
    return new BackendUnavailableError(message, { backend: HTTP_BACKEND, cause });
  }

  /** Text from elsewhere (the server, the runtime) without the raw base URL or the token. */
  private safe(text: string): string {
    return scrub(text.split(this.settings.baseUrl).join(this.where), [this.settings.token]);
  }

  private quote(text: string): string {
    const message = this.safe(text.replace(/\s+/g, ' ').trim());
    return message.length > MAX_QUOTE ? `${message.slice(0, MAX_QUOTE)}…` : message;
  }

  private sleep(ms: number, req: GatewayRequest): Promise<void> {
    return new Promise((resolve, reject) => {
      const controller = new AbortController();
      const timer = setTimeout(() => {
        unlink();
        resolve();
      }, ms);
      this.attempts.add(controller);
    if (this.internal.signal.aborted) controller.abort(this.internal.signal.reason);
    const unlink = req.signal === undefined ? noop : link(controller, req.signal);
      controller.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          unlink();
          const why = req.signal?.aborted ? 'was aborted by the caller' : 'was cut off: the http semantic backend was closed';
          reject(this.unavailable(`${req.method} ${req.path} to ${this.where} ${why}`));
        },
        { once: true },
      );
    });
  }
}

function noop(): void {}

/** Aborts `target` when any source aborts; returns the function that detaches the listeners. */
function link(target: AbortController, ...sources: (AbortSignal | undefined)[]): () => void {
  const detach: (() => void)[] = [];
  for (const source of sources) {
    if (!source) continue;
    if (source.aborted) {
      target.abort(source.reason);
      continue;
    }
    const onAbort = (): void => target.abort(source.reason);
    source.addEventListener('abort', onAbort, { once: true });
    detach.push(() => source.removeEventListener('abort', onAbort));
  }
  return () => {
    for (const d of detach) d();
  };
}

/** The `error` object of a memstrate error body (`{ error: { code, message, … } }`), if `text` is one. */
export function readWireError(text: string): { code: string; message?: string; problems?: unknown; seq?: unknown } | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
  const error = (body as { error?: unknown } | null)?.error;
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as Record<string, unknown>;
  if (typeof e['code'] !== 'string') return undefined;
  return { code: e['code'], ...(typeof e['message'] === 'string' ? { message: e['message'] } : {}), problems: e['problems'], seq: e['seq'] };
}

function describeNetworkError(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } } | undefined;
  if (typeof e?.code === 'string') return e.code;
  if (typeof e?.cause?.code === 'string') return e.cause.code;
  if (typeof e?.message === 'string') return e.message;
  return 'network error';
}

function positive(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}
