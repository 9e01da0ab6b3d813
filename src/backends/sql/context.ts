import { CompiledQuery } from 'kysely';
import type { Clock, Logger } from '../../contracts/types.js';
import { Validator } from '../../core/validate.js';
import type { SqlEngine } from './engine.js';

/** What every shared SQL store is constructed with. */
export interface SqlStoreContext {
  engine: SqlEngine;
  clock: Clock;
  logger: Logger;
}

/** Base of the shared SQL stores: the context, a validator named after the backend, error mapping. */
export abstract class SqlStore {
  protected readonly engine: SqlEngine;
  protected readonly clock: Clock;
  protected readonly logger: Logger;
  protected readonly v: Validator;

  constructor(ctx: SqlStoreContext) {
    this.engine = ctx.engine;
    this.clock = ctx.clock;
    this.logger = ctx.logger;
    this.v = new Validator(ctx.engine.backendName);
  }

  /** Runs `fn`, turning engine errors into MemoryErrors that name the backend. */
  protected async guard<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw this.engine.mapError(error, action);
    }
  }
}

/** Numbers can come back as strings or bigints from some drivers; normalise them. */
export function num(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

export function optNum(value: unknown): number | undefined {
  return value === null || value === undefined ? undefined : num(value);
}

/** A hand-written statement with its parameters (for the engines' raw rows/first/run). */
export function raw<R>(sql: string, params: readonly unknown[] = []): CompiledQuery<R> {
  return CompiledQuery.raw(sql, [...params]) as CompiledQuery<R>;
}
