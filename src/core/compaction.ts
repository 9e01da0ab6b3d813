import type { Message } from '../contracts/session-store.js';

/** OpenFang's canonical-session compaction constants (spec §11.2, §17). */
export const COMPACTION = {
  /** Compaction runs once the window holds more than this many messages (default). */
  threshold: 100,
  /** Messages kept verbatim after a compaction. */
  keep: 50,
  /** Each folded message contributes at most this many UTF-8 bytes (plus "..."). */
  snippetBytes: 200,
  /** The summary keeps at most its last this-many UTF-8 bytes. */
  summaryBytes: 4000,
} as const;

/** The part of a canonical session that compaction reads and rewrites. */
export interface CompactionState {
  messages: Message[];
  compactionCursor: number;
  compactedSummary?: string | undefined;
}

const ROLE_LABEL: Record<Message['role'], string> = { user: 'User', assistant: 'Assistant', system: 'System' };

/** A message's text content: the string, or the concatenation (no separator) of its text blocks. */
export function messageText(message: Message): string {
  if (typeof message.content === 'string') return message.content;
  let text = '';
  for (const block of message.content) if (block.type === 'text') text += block.text;
  return text;
}

function charBytes(ch: string): number {
  const cp = ch.codePointAt(0) ?? 0;
  if (cp < 0x80) return 1;
  if (cp < 0x800) return 2;
  if (cp < 0x10000) return 3;
  return 4;
}

/** The longest prefix of `text` (whole characters) that fits in `maxBytes` UTF-8 bytes. */
export function utf8Prefix(text: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const ch of text) {
    const size = charBytes(ch);
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += ch.length;
  }
  return text.slice(0, end);
}

/** The longest suffix of `text` (whole characters) that fits in `maxBytes` UTF-8 bytes. */
export function utf8Suffix(text: string, maxBytes: number): string {
  let bytes = 0;
  let start = text.length;
  while (start > 0) {
    // Step back one code point (a surrogate pair counts as one character).
    const low = text.charCodeAt(start - 1);
    const high = start >= 2 ? text.charCodeAt(start - 2) : 0;
    const width = low >= 0xdc00 && low <= 0xdfff && high >= 0xd800 && high <= 0xdbff ? 2 : 1;
    const size = charBytes(text.slice(start - width, start));
    if (bytes + size > maxBytes) break;
    bytes += size;
    start -= width;
  }
  return text.slice(start);
}

/** One summary line for a message (`User: …`), or undefined when it has no text. */
export function summaryLine(message: Message): string | undefined {
  const text = messageText(message);
  if (text.length === 0) return undefined;
  const clipped = Buffer.byteLength(text, 'utf8') > COMPACTION.snippetBytes ? `${utf8Prefix(text, COMPACTION.snippetBytes)}...` : text;
  return `${ROLE_LABEL[message.role]}: ${clipped}`;
}

/**
 * OpenFang's extractive compaction, exactly (spec §11.2): when the window holds more than
 * `threshold` messages, every message in [cursor, count − 50) is folded into the summary (text only,
 * each clipped to 200 bytes plus "..."), the summary keeps only its last 4000 bytes, the window
 * becomes the last 50 messages and the cursor 0. Otherwise the state is returned unchanged.
 * Pure: the input is not modified.
 */
export function compactCanonical(state: CompactionState, threshold: number = COMPACTION.threshold): CompactionState & { compacted: boolean } {
  const { messages, compactionCursor } = state;
  const unchanged = { messages, compactionCursor, compactedSummary: state.compactedSummary, compacted: false };
  if (messages.length <= threshold) return unchanged;
  const toCompact = Math.max(0, messages.length - COMPACTION.keep);
  if (toCompact <= compactionCursor) return unchanged;

  const parts: string[] = [];
  if (state.compactedSummary) parts.push(state.compactedSummary);
  for (const message of messages.slice(compactionCursor, toCompact)) {
    const line = summaryLine(message);
    if (line !== undefined) parts.push(line);
  }
  let summary = parts.join('\n');
  if (Buffer.byteLength(summary, 'utf8') > COMPACTION.summaryBytes) summary = utf8Suffix(summary, COMPACTION.summaryBytes);
  return {
    messages: messages.slice(toCompact),
    compactionCursor: 0,
    compactedSummary: summary.length > 0 ? summary : undefined,
    compacted: true,
  };
}
