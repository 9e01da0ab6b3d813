import { expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { isUuid, newId } from '../../src/core/ids.js';

it('newId: valid v7 UUIDs, strictly increasing (within a millisecond too), unique, the random part varying', () => {
  const ids = Array.from({ length: 20_000 }, () => newId());
  for (const id of ids) {
    expect(isUuid(id)).toBe(true);
    expect(id[14]).toBe('7');
    expect('89ab').toContain(id[19]);
  }
  for (let i = 1; i < ids.length; i++) expect((ids[i] as string) > (ids[i - 1] as string), `${ids[i - 1]} < ${ids[i]}`).toBe(true);
  expect(new Set(ids).size).toBe(ids.length);
  // More ids than one draw of the pool: the tails (the last 12 hex digits) are not repeated across draws.
  expect(new Set(ids.map((id) => id.slice(-12))).size).toBe(ids.length);
  // Ordered against uuid's own v7 made just before and after (same clock, same layout).
  const before = uuidv7();
  const mine = newId();
  expect(mine.slice(0, 8) >= before.slice(0, 8)).toBe(true);
});
