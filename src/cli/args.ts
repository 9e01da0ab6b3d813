import { ValidationError } from '../errors.js';

/** A whole-number option (`--limit 10`), or undefined when it was not given; VALIDATION naming the flag otherwise. */
export function wholeNumber(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new ValidationError(`${flag} must be a whole number`, { backend: 'cli' });
  return Number(text);
}
