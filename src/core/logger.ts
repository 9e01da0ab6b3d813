import { pino } from 'pino';
import type { Logger } from '../contracts/types.js';

/** The default logger: pino to stderr, level from MEMSTRATE_LOG_LEVEL (default `warn`). */
export function defaultLogger(): Logger {
  return pino({ name: 'memstrate', level: process.env['MEMSTRATE_LOG_LEVEL'] ?? 'warn' }, pino.destination(2));
}
