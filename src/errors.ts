/**
 * The MemoryError family. Every error memstrate throws is a MemoryError with a stable `code`;
 * callers (and tests) branch on `code`, never on message text. Messages name the backend and never
 * contain secrets (see core/redact.ts).
 */

export type MemoryErrorCode =
  | 'CONFIG_INVALID'
  | 'VALIDATION'
  | 'NOT_FOUND'
  | 'NOT_SUPPORTED'
  | 'BACKEND_UNAVAILABLE'
  | 'CHAIN_INTEGRITY'
  | 'LEASE_LOST'
  | 'CONFLICT'
  | 'INTERNAL';

const BRAND = Symbol.for('memstrate.MemoryError');

export interface MemoryErrorOptions {
  backend?: string;
  cause?: unknown;
}

export class MemoryError extends Error {
  readonly code: MemoryErrorCode;
  readonly backend: string | undefined;
  readonly [BRAND] = true;

  constructor(code: MemoryErrorCode, message: string, options: MemoryErrorOptions = {}) {
    super(options.backend ? `[memstrate:${options.backend}] ${message}` : `[memstrate] ${message}`, {
      cause: options.cause,
    });
    this.name = new.target.name;
    this.code = code;
    this.backend = options.backend;
  }

  /** True for any MemoryError, even one thrown by a second copy of this package. */
  static is(value: unknown): value is MemoryError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  toJSON(): { name: string; code: MemoryErrorCode; message: string; backend?: string } {
    return { name: this.name, code: this.code, message: this.message, ...(this.backend ? { backend: this.backend } : {}) };
  }
}

export class ConfigError extends MemoryError {
  /** Every problem found, one line each (path: message). */
  readonly problems: readonly string[];
  constructor(problems: readonly string[] | string, options: MemoryErrorOptions = {}) {
    const list = typeof problems === 'string' ? [problems] : problems;
    super('CONFIG_INVALID', `invalid configuration:\n  - ${list.join('\n  - ')}`, options);
    this.problems = list;
  }
}

export class ValidationError extends MemoryError {
  constructor(message: string, options: MemoryErrorOptions = {}) {
    super('VALIDATION', message, options);
  }
}

export class NotFoundError extends MemoryError {
  constructor(message: string, options: MemoryErrorOptions = {}) {
    super('NOT_FOUND', message, options);
  }
}

export class NotSupportedError extends MemoryError {
  constructor(message: string, options: MemoryErrorOptions = {}) {
    super('NOT_SUPPORTED', message, options);
  }
}

export class BackendUnavailableError extends MemoryError {
  constructor(message: string, options: MemoryErrorOptions = {}) {
    super('BACKEND_UNAVAILABLE', message, options);
  }
}

export class ChainIntegrityError extends MemoryError {
  /** The first sequence number at which the chain (or its anchor) does not hold. */
  readonly seq: number;
  constructor(seq: number, message: string, options: MemoryErrorOptions = {}) {
    super('CHAIN_INTEGRITY', `audit chain broken at seq ${seq}: ${message}`, options);
    this.seq = seq;
  }
}

export class LeaseLostError extends MemoryError {
  constructor(message: string, options: MemoryErrorOptions = {}) {
    super('LEASE_LOST', message, options);
  }
}

export class ConflictError extends MemoryError {
  constructor(message: string, options: MemoryErrorOptions = {}) {
    super('CONFLICT', message, options);
  }
}

/** A failure inside memstrate that is none of the above (a bug, or an engine error we did not map). */
export class InternalError extends MemoryError {
  constructor(message: string, options: MemoryErrorOptions = {}) {
    super('INTERNAL', message, options);
  }
}
