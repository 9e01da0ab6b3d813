/**
 * The error table of the HTTP wire, shared by the gateway (src/server) and the `http` semantic
 * backend (src/backends/http): `MemoryError.code` → HTTP status on the way out, and status + body →
 * the same MemoryError subclass on the way back. Error bodies are always
 * `{ "error": { "code": "<CODE>", "message": "<text>", ...details } }` and never carry a stack trace.
 */
import {
  BackendUnavailableError,
  ChainIntegrityError,
  ConfigError,
  ConflictError,
  InternalError,
  LeaseLostError,
  MemoryError,
  NotFoundError,
  NotSupportedError,
  ValidationError,
  type MemoryErrorCode,
} from '../errors.js';

/** HTTP status for each MemoryError code. */
export const STATUS_BY_CODE: Readonly<Record<MemoryErrorCode, number>> = {
  VALIDATION: 400,
  CONFIG_INVALID: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  LEASE_LOST: 409,
  CHAIN_INTEGRITY: 422,
  NOT_SUPPORTED: 501,
  BACKEND_UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** Codes that only exist on the wire (the request never reached a store). */
export type WireOnlyCode = 'UNAUTHORIZED' | 'FORBIDDEN' | 'PAYLOAD_TOO_LARGE' | 'RATE_LIMITED';
export type WireErrorCode = MemoryErrorCode | WireOnlyCode;

/** The JSON body of every error response. */
export interface WireErrorBody {
  error: {
    code: WireErrorCode;
    message: string;
    /** VALIDATION / CONFIG_INVALID: every problem found, one line each. */
    problems?: string[];
    /** CHAIN_INTEGRITY: the first bad sequence number. */
    seq?: number;
  };
}

const MEMORY_CODES = new Set<string>(Object.keys(STATUS_BY_CODE));

/** True for the nine MemoryError codes (not the wire-only ones). */
export function isMemoryErrorCode(value: unknown): value is MemoryErrorCode {
  return typeof value === 'string' && MEMORY_CODES.has(value);
}

/** HTTP status of a MemoryError code. */
export function statusForCode(code: MemoryErrorCode): number {
  return STATUS_BY_CODE[code];
}

/** The code assumed for a status whose body carries no known code (e.g. a proxy's 502 page). */
export function codeForStatus(status: number): WireErrorCode {
  switch (status) {
    case 400:
    case 405:
    case 415:
      return 'VALIDATION';
    case 422:
      return 'CHAIN_INTEGRITY';
    case 401:
      return 'UNAUTHORIZED';
    case 403:
      return 'FORBIDDEN';
    case 404:
      return 'NOT_FOUND';
    case 409:
      return 'CONFLICT';
    case 413:
      return 'PAYLOAD_TOO_LARGE';
    case 501:
      return 'NOT_SUPPORTED';
    case 500:
      return 'INTERNAL';
    default:
      // 408, 429, 502, 503, 504 and anything else unexpected: the gateway (or the path to it) is unavailable.
      return 'BACKEND_UNAVAILABLE';
  }
}

/** Drops the `[memstrate]` / `[memstrate:<backend>]` prefix a MemoryError puts on its message. */
export function stripMessagePrefix(message: string): string {
  return message.replace(/^\[memstrate(?::[^\]]*)?\]\s*/, '');
}

/**
 * The status and body for an error leaving the gateway. MemoryErrors keep their code and message
 * (messages are written to be safe to show: URLs redacted, no secrets); anything else is an
 * INTERNAL 500 with a generic message — its text and stack stay in the server log.
 */
export function toWireError(error: unknown): { status: number; body: WireErrorBody } {
  if (!MemoryError.is(error)) {
    return { status: 500, body: { error: { code: 'INTERNAL', message: 'internal error' } } };
  }
  const body: WireErrorBody = { error: { code: error.code, message: error.message } };
  const problems = (error as { problems?: unknown }).problems;
  if (Array.isArray(problems) && problems.every((p) => typeof p === 'string')) body.error.problems = [...problems];
  if (error instanceof ChainIntegrityError || (error.code === 'CHAIN_INTEGRITY' && typeof (error as { seq?: unknown }).seq === 'number')) {
    body.error.seq = (error as ChainIntegrityError).seq;
  }
  return { status: statusForCode(error.code), body };
}

/** A wire-only error as a body (401, 413, 404 for an unknown route, …). */
export function wireErrorBody(code: WireErrorCode, message: string, problems?: string[]): WireErrorBody {
  return { error: { code, message, ...(problems ? { problems } : {}) } };
}

export interface FromWireOptions {
  /** Backend name for the rebuilt error (e.g. `http`), so its message names it. */
  backend?: string;
}

/**
 * Rebuilds the MemoryError a gateway sent: the body's code when it is one of the nine (else the
 * code for the status), the same subclass, and the remote message (without its prefix, so the new
 * one is not doubled). UNAUTHORIZED and FORBIDDEN become ConfigErrors (the configured token is wrong,
 * missing or lacks the scope; retrying will not help); PAYLOAD_TOO_LARGE a ValidationError. `body` may be anything — a parsed
 * JSON value, a text, undefined.
 */
export function errorFromWire(status: number, body: unknown, options: FromWireOptions = {}): MemoryError {
  const wire = readWireBody(body);
  const code: WireErrorCode = wire && (isMemoryErrorCode(wire.code) || wire.code === 'UNAUTHORIZED' || wire.code === 'FORBIDDEN' || wire.code === 'PAYLOAD_TOO_LARGE' || wire.code === 'RATE_LIMITED')
    ? wire.code
    : codeForStatus(status);
  const remote = wire?.message ? stripMessagePrefix(wire.message) : `gateway answered HTTP ${status}`;
  const opts = { backend: options.backend };
  switch (code) {
    case 'VALIDATION':
      return new ValidationError(remote, opts);
    case 'PAYLOAD_TOO_LARGE':
      return new ValidationError(`request too large for the gateway: ${remote}`, opts);
    case 'CONFIG_INVALID':
      return new ConfigError(wire?.problems && wire.problems.length > 0 ? wire.problems : [remote], opts);
    case 'UNAUTHORIZED':
      return new ConfigError([`the gateway rejected the bearer token (HTTP ${status}): ${remote}`], opts);
    case 'RATE_LIMITED':
      return new BackendUnavailableError(`the gateway is rate limiting this client: ${remote}`, opts);
    case 'FORBIDDEN':
      return new ConfigError([`the gateway's token does not allow this (HTTP ${status}): ${remote}`], opts);
    case 'NOT_FOUND':
      return new NotFoundError(remote, opts);
    case 'CONFLICT':
      return new ConflictError(remote, opts);
    case 'LEASE_LOST':
      return new LeaseLostError(remote, opts);
    case 'CHAIN_INTEGRITY': {
      const seq = typeof wire?.seq === 'number' ? wire.seq : 0;
      return new ChainIntegrityError(seq, remote.replace(/^audit chain broken at seq \d+:\s*/, ''), opts);
    }
    case 'NOT_SUPPORTED':
      return new NotSupportedError(remote, opts);
    case 'BACKEND_UNAVAILABLE':
      return new BackendUnavailableError(remote, opts);
    case 'INTERNAL':
      return new InternalError(remote, opts);
  }
}

function readWireBody(body: unknown): { code?: string; message?: string; problems?: string[]; seq?: number } | undefined {
  let value = body;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      return undefined;
    }
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const error = (value as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as Record<string, unknown>;
  return {
    ...(typeof e['code'] === 'string' ? { code: e['code'] } : {}),
    ...(typeof e['message'] === 'string' ? { message: e['message'] } : {}),
    ...(Array.isArray(e['problems']) ? { problems: e['problems'].filter((p): p is string => typeof p === 'string') } : {}),
    ...(typeof e['seq'] === 'number' ? { seq: e['seq'] } : {}),
  };
}
