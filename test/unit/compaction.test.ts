import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/contracts/session-store.js';
import { compactCanonical, COMPACTION, messageText, summaryLine, utf8Prefix, utf8Suffix } from '../../src/core/compaction.js';

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');
const user = (content: Message['content']): Message => ({ role: 'user', content });
const numbered = (n: number, from = 0): Message[] =>
  Array.from({ length: n }, (_, i) => ({ role: i % 2 === 0 ? 'user' : 'assistant', content: `m${from + i}` }) as Message);

describe('canonical compaction (OpenFang §11.2)', () => {
  it('does nothing at or below the threshold', () => {
    const messages = numbered(100);
    const out = compactCanonical({ messages, compactionCursor: 0 });
    expect(out.compacted).toBe(false);
    expect(out.messages).toBe(messages);
    expect(out.compactedSummary).toBeUndefined();
  });

  it('above the threshold folds all but the last 50 into the summary and resets the cursor', () => {
    const messages = numbered(101);
    const out = compactCanonical({ messages, compactionCursor: 0 });
    expect(out.compacted).toBe(true);
    expect(out.messages).toEqual(messages.slice(51));
    expect(out.messages).toHaveLength(COMPACTION.keep);
    expect(out.compactionCursor).toBe(0);
    const lines = out.compactedSummary?.split('\n') ?? [];
    expect(lines).toHaveLength(51);
    expect(lines[0]).toBe('User: m0');
    expect(lines[1]).toBe('Assistant: m1');
    expect(lines[50]).toBe('User: m50');
    expect(messages).toHaveLength(101); // input untouched
  });

  it('honours a custom threshold, and never compacts a window of 50 or fewer', () => {
    expect(compactCanonical({ messages: numbered(11), compactionCursor: 0 }, 10).compacted).toBe(false);
    const out = compactCanonical({ messages: numbered(60), compactionCursor: 0 }, 10);
    expect(out.compacted).toBe(true);
    expect(out.messages).toHaveLength(50);
    expect(out.compactedSummary?.split('\n')).toHaveLength(10);
  });

  it('appends after the existing summary, formats System lines, skips messages without text', () => {
    const messages: Message[] = [
      { role: 'system', content: 'be brief' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'search', input: { q: 1 } }] },
      { role: 'user', content: '' },
      ...numbered(100, 3),
    ];
    const out = compactCanonical({ messages, compactionCursor: 0, compactedSummary: 'earlier' }, 100);
    const lines = out.compactedSummary?.split('\n') ?? [];
    expect(lines[0]).toBe('earlier');
    expect(lines[1]).toBe('System: be brief');
    expect(lines[2]).toBe('User: m3');
    expect(lines).toHaveLength(1 + 1 + 50); // summary + system + m3..m52; tool_use and '' contribute nothing
  });

  it('starts folding at the cursor', () => {
    const out = compactCanonical({ messages: numbered(101), compactionCursor: 40 });
    const lines = out.compactedSummary?.split('\n') ?? [];
    expect(lines[0]).toBe('User: m40');
    expect(lines).toHaveLength(11);
    expect(compactCanonical({ messages: numbered(101), compactionCursor: 51 }).compacted).toBe(false);
  });

  it('uses the text of block messages (text blocks concatenated, others ignored)', () => {
    const message: Message = {
      role: 'assistant',
      content: [
        { type: 'text', text: 'Hello, ' },
        { type: 'thinking', thinking: 'hidden' },
        { type: 'image', mediaType: 'image/png' },
        { type: 'text', text: 'world' },
        { type: 'tool_result', toolUseId: 't', content: 'ignored' },
      ],
    };
    expect(messageText(message)).toBe('Hello, world');
    expect(summaryLine(message)).toBe('Assistant: Hello, world');
    expect(summaryLine({ role: 'user', content: [{ type: 'image', mediaType: 'image/png' }] })).toBeUndefined();
  });
});

describe('UTF-8 truncation', () => {
  it('clips a snippet to at most 200 bytes on a character boundary and adds "..."', () => {
    expect(summaryLine(user('a'.repeat(200)))).toBe(`User: ${'a'.repeat(200)}`);
    expect(summaryLine(user('a'.repeat(201)))).toBe(`User: ${'a'.repeat(200)}...`);
    // 'é' is 2 bytes: 100 of them are exactly 200 bytes, 101 must be cut back to 100.
    expect(summaryLine(user('é'.repeat(100)))).toBe(`User: ${'é'.repeat(100)}`);
    expect(summaryLine(user('é'.repeat(101)))).toBe(`User: ${'é'.repeat(100)}...`);
    // '€' is 3 bytes: 200 / 3 → 66 characters (198 bytes); never a split character.
    const euro = summaryLine(user('€'.repeat(80)));
    expect(euro).toBe(`User: ${'€'.repeat(66)}...`);
    // '😀' is 4 bytes (a surrogate pair in JS): 'a' + 50 emoji = 201 bytes → 'a' + 49 emoji.
    const emoji = summaryLine(user(`a${'😀'.repeat(50)}`)) ?? '';
    expect(emoji).toBe(`User: a${'😀'.repeat(49)}...`);
    expect(bytes(emoji.slice('User: '.length, -3))).toBeLessThanOrEqual(200);
  });

  it('utf8Prefix / utf8Suffix keep whole characters only', () => {
    expect(utf8Prefix('aé€😀', 1)).toBe('a');
    expect(utf8Prefix('aé€😀', 2)).toBe('a');
    expect(utf8Prefix('aé€😀', 3)).toBe('aé');
    expect(utf8Prefix('aé€😀', 10)).toBe('aé€😀');
    expect(utf8Suffix('aé€😀', 4)).toBe('😀');
    expect(utf8Suffix('aé€😀', 6)).toBe('😀');
    expect(utf8Suffix('aé€😀', 7)).toBe('€😀');
    expect(utf8Suffix('aé€😀', 10)).toBe('aé€😀');
  });

  it('caps the summary at its last 4000 bytes, dropping the oldest content first', () => {
    const old = `OLDEST ${'x'.repeat(5000)}`;
    const out = compactCanonical({ messages: numbered(101), compactionCursor: 0, compactedSummary: old });
    const summary = out.compactedSummary ?? '';
    expect(bytes(summary)).toBeLessThanOrEqual(COMPACTION.summaryBytes);
    expect(bytes(summary)).toBeGreaterThan(COMPACTION.summaryBytes - 4);
    expect(summary).not.toContain('OLDEST');
    expect(summary.endsWith('User: m50')).toBe(true);
  });

  it('advances the 4000-byte cut to a character boundary', () => {
    // 1 + 3 × 1400 = 4201 bytes of summary before the new lines; the cut lands inside a '€'.
    const old = `a${'€'.repeat(1400)}`;
    const messages: Message[] = [user('z'), ...numbered(100, 1)];
    const out = compactCanonical({ messages, compactionCursor: 0, compactedSummary: old }, 100);
    const summary = out.compactedSummary ?? '';
    expect(bytes(summary)).toBeLessThanOrEqual(4000);
    expect(summary.startsWith('€')).toBe(true);
    expect(summary).not.toContain('\uFFFD');
    expect(summary).toContain('\nUser: z\nUser: m1\n');
    expect(summary.endsWith('Assistant: m50')).toBe(true);
  });
});
