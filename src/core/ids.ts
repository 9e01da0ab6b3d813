import { randomFillSync } from 'node:crypto';
import { v7 as uuidv7, validate as uuidValidate } from 'uuid';

/**
 * Random bytes for ids, drawn 4 KiB at a time: `uuid` asks the system for 16 bytes per id, which
 * was 2–3 µs of every memory a batched load writes (a profile of `rememberMany`); 256 ids share one
 * draw here.
 */
const pool = new Uint8Array(4096);
let used = pool.length;
/** The last id's millisecond and sequence: ids stay ordered within a millisecond, as uuid's own state keeps them. */
const last = { msecs: Number.NEGATIVE_INFINITY, seq: 0 };

/** A new time-ordered UUID (v7): uuid's layout and monotonic sequence, fed from the pool. */
export function newId(): string {
  if (used + 16 > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const random = pool.subarray(used, (used += 16));
  const now = Date.now();
  if (now > last.msecs) {
    last.msecs = now;
    // A random start in the millisecond, its top bit clear so that increments have room (uuid's v7Sequence).
    last.seq = (((random[6] as number) & 0x7f) << 24) | ((random[7] as number) << 16) | ((random[8] as number) << 8) | (random[9] as number);
  } else {
    last.seq = (last.seq + 1) | 0;
    if (last.seq === 0) last.msecs++;
  }
  return uuidv7({ msecs: last.msecs, seq: last.seq, random });
}

export function isUuid(value: string): boolean {
  return uuidValidate(value);
}
