/** Shared value types used by every store contract. */

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Epoch milliseconds (UTC). Every timestamp memstrate stores or returns is one of these. */
export type EpochMs = number;

/** Returns "now" in epoch milliseconds. Injected so windows, leases and decay are testable. */
export type Clock = () => EpochMs;

/** The logging surface memstrate uses; pino loggers satisfy it. */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}
