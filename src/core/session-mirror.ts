import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { BackendSessionStore } from '../contracts/main-backend.js';
import type { ContentBlock, Message, Session } from '../contracts/session-store.js';
import type { Clock, Logger } from '../contracts/types.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MIRROR_FILE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$/i;
const THINKING_BYTES = 200;

/** The first `max` bytes of `text` in UTF-8, never cutting a character. */
function headBytes(text: string, max: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= max) return text;
  let end = max;
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

/** One message as OpenFang's JSONL mirror writes it (crates/openfang-memory/src/jsonl.rs). */
function mirrorLine(message: Message, timestamp: string): string {
  const blocks: ContentBlock[] = typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : message.content;
  const text: string[] = [];
  const tools: object[] = [];
  for (const block of blocks) {
    if (block.type === 'text') text.push(block.text);
    else if (block.type === 'image') text.push(`[image: ${block.mediaType}]`);
    else if (block.type === 'thinking') text.push(`[thinking: ${headBytes(block.thinking, THINKING_BYTES)}]`);
    else if (block.type === 'tool_use') tools.push({ type: 'tool_use', id: block.id, name: block.name, input: block.input });
    else tools.push({ type: 'tool_result', tool_use_id: block.toolUseId, content: block.content, is_error: block.isError === true });
  }
  return JSON.stringify({ timestamp, role: message.role, content: text.join('\n'), ...(tools.length > 0 ? { tool_use: tools } : {}) });
}

/** A session as OpenFang's mirror file: one JSON object per message, each line newline-terminated. */
export function sessionMirrorText(session: Session, at: number): string {
  const timestamp = new Date(at).toISOString();
  return session.messages.map((m) => `${mirrorLine(m, timestamp)}\n`).join('');
}

/**
 * `sessions_mirror_dir`: each session also written as `<dir>/<session-uuid>.jsonl`, OpenFang's
 * format. Written atomically (a temporary file renamed over it), named only by UUIDs: an id that
 * is not one is never used in a path. Best effort, as in OpenFang: a failure is logged and the
 * store is unaffected.
 */
export class SessionMirror {
  private readonly dir: string;

  constructor(
    dir: string,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.dir = resolve(dir);
  }

  /** The mirror file of a session id, or undefined when the id is not a UUID. */
  private fileOf(id: string): string | undefined {
    if (!UUID.test(id)) return undefined;
    const file = join(this.dir, `${id.toLowerCase()}.jsonl`);
    return file.startsWith(this.dir + sep) ? file : undefined;
  }

  write(session: Session): void {
    const file = this.fileOf(session.id);
    if (file === undefined) return this.logger.warn({ sessionId: session.id }, 'session mirror: the session id is not a UUID; not mirrored');
    try {
      mkdirSync(this.dir, { recursive: true });
      const temporary = join(this.dir, `.${randomUUID()}.tmp`);
      writeFileSync(temporary, sessionMirrorText(session, this.clock()));
      renameSync(temporary, file);
    } catch (error) {
      this.logger.warn({ err: error, sessionId: session.id }, 'session mirror: write failed');
    }
  }

  remove(id: string): void {
    const file = this.fileOf(id);
    if (file === undefined) return;
    try {
      rmSync(file, { force: true });
    } catch (error) {
      this.logger.warn({ err: error, sessionId: id }, 'session mirror: remove failed');
    }
  }

  /** Removes the mirror files of sessions that no longer exist (after bulk deletes). */
  async sweep(exists: (id: string) => Promise<boolean>): Promise<void> {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return; // nothing mirrored yet
    }
    for (const name of names) {
      const id = MIRROR_FILE.exec(name)?.[1];
      if (id !== undefined && !(await exists(id))) this.remove(id);
    }
  }
}

/** The sessions store with its mirror kept in step: written on create and save, removed on deletes. */
export function mirroredSessions(inner: BackendSessionStore, mirror: SessionMirror): BackendSessionStore {
  const sweep = () => mirror.sweep(async (id) => (await inner.get(id)) !== undefined);
  return {
    ...inner,
    async create(agentId: string, options?: { label?: string }) {
      const session = await inner.create(agentId, options);
      mirror.write(session);
      return session;
    },
    async save(session: Session) {
      await inner.save(session);
      const saved = await inner.get(session.id);
      if (saved) mirror.write(saved);
    },
    async delete(id: string) {
      const removed = await inner.delete(id);
      mirror.remove(id);
      return removed;
    },
    async deleteFor(id: string) {
      const owner = await inner.deleteFor(id);
      mirror.remove(id);
      return owner;
    },
    async deleteForAgent(agentId: string) {
      const count = await inner.deleteForAgent(agentId);
      await sweep();
      return count;
    },
    async cleanupOlderThan(days: number) {
      const count = await inner.cleanupOlderThan(days);
      await sweep();
      return count;
    },
  };
}
