import { AsyncLocalStorage } from 'node:async_hooks';

/** How a function run in a scope ended. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * The async context of an engine's `atomically` scopes (shared by the SQLite and PostgreSQL
 * engines): which scope the calling code runs in, if any. The storage is disabled whenever no scope
 * is running, because Node 20 tracks every promise while one is enabled.
 */
export class ScopeRunner<S extends { ended: boolean }> {
  private readonly storage = new AsyncLocalStorage<S>();
  private active = 0;

  /** The live scope of the caller (one that ended, e.g. reached by work it scheduled, does not count). */
  current(): S | undefined {
    const scope = this.storage.getStore();
    return scope && !scope.ended ? scope : undefined;
  }

  /** Runs `fn` in `scope`, then marks the scope ended; never throws (the outcome says how it went). */
  async run<T>(scope: S, fn: () => Promise<T>): Promise<Outcome<T>> {
    this.active++;
    let outcome: Outcome<T>;
    try {
      outcome = { ok: true, value: await this.storage.run(scope, fn) };
    } catch (error) {
      outcome = { ok: false, error };
    }
    scope.ended = true;
    if (--this.active === 0) this.storage.disable();
    return outcome;
  }
}
