/** A controllable clock for windows, leases and decay. Starts at a fixed instant unless told otherwise. */
export class ManualClock {
  constructor(public now = Date.UTC(2026, 10, 21, 12, 0, 0)) {}
  readonly fn = (): number => this.now;
  advance(ms: number): void {
    this.now += ms;
  }
  set(ms: number): void {
    this.now = ms;
  }
}
