import { QdrantClientResourceExhaustedError, QdrantClientTimeoutError } from '@qdrant/js-client-rest';
import { scrub } from '../../core/redact.js';
import {
  BackendUnavailableError,
  ConflictError,
  InternalError,
  MemoryError,
  NotFoundError,
  ValidationError,
} from '../../errors.js';

/** The name every error of the Qdrant semantic backend carries. */
export const QDRANT_BACKEND = 'semantic:qdrant';

/** Where the backend talks to, for messages: the redacted URL and the secret to scrub. */
export interface QdrantWhere {
  /** The server's URL, redacted. */
  url: string;
  /** The API key, removed from any text that reaches a message. */
  apiKey: string | undefined;
  /** The env var the key came from, named in authentication errors. */
  apiKeyEnv: string | undefined;
}

/** The HTTP status and Qdrant's own error text of a failed response, when the error is one. */
function responseOf(error: unknown): { status: number; text: string } | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const status = (error as { status?: unknown }).status;
  if (typeof status !== 'number') return undefined;
  const data = (error as { data?: unknown }).data as { status?: { error?: unknown } } | string | undefined;
  const text = typeof data === 'string' ? data : typeof data?.status?.error === 'string' ? data.status.error : String((error as Error).message ?? '');
  return { status, text };
}

/** The network failure behind a fetch error (ECONNREFUSED, ENOTFOUND, …), if any. */
function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return error instanceof TypeError && /fetch failed/i.test(error.message) ? 'fetch failed' : undefined;
}

/**
 * Maps anything the Qdrant client throws to the MemoryError family, naming Qdrant and its redacted
 * URL, with the API key scrubbed: a missing point or collection is NOT_FOUND, a rejected request
 * VALIDATION, a conflict CONFLICT; 401/403, 429, 5xx, timeouts and network failures are
 * BACKEND_UNAVAILABLE. MemoryErrors pass through.
 */
export function mapQdrantError(error: unknown, action: string, where: QdrantWhere): MemoryError {
  if (MemoryError.is(error)) return error;
  const options = { backend: QDRANT_BACKEND, cause: error };
  const clean = (text: string) => scrub(text, [where.apiKey]).replace(/\s+/g, ' ').trim().slice(0, 500);
  const at = `Qdrant at ${where.url}`;
  if (error instanceof QdrantClientTimeoutError) return new BackendUnavailableError(`${action}: ${at} did not answer in time`, options);
  if (error instanceof QdrantClientResourceExhaustedError) {
    return new BackendUnavailableError(`${action}: ${at} is rate limiting requests (retry after ${error.retry_after} s)`, options);
  }
  const response = responseOf(error);
  if (response) {
    const detail = `${action}: ${at} answered ${response.status}: ${clean(response.text)}`;
    if (response.status === 404) return new NotFoundError(detail, options);
    if (response.status === 400 || response.status === 422) return new ValidationError(detail, options);
    if (response.status === 409) return new ConflictError(detail, options);
    if (response.status === 401 || response.status === 403) {
      const hint = where.apiKeyEnv ? `check the API key in ${where.apiKeyEnv}` : 'set qdrant.api_key_env to the variable holding the API key';
      return new BackendUnavailableError(`${detail} (${hint})`, options);
    }
    if (response.status === 429 || response.status >= 500) return new BackendUnavailableError(detail, options);
    return new InternalError(detail, options);
  }
  const network = networkCode(error);
  if (network || (error instanceof Error && error.name === 'AbortError')) {
    return new BackendUnavailableError(`${action}: cannot reach ${at} (${network ?? 'aborted'})`, options);
  }
  return new InternalError(`${action} failed on ${at}: ${clean(error instanceof Error ? error.message : String(error))}`, options);
}
