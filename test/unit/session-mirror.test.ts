import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemorySubstrate } from '../../src/index.js';
import { ManualClock } from '../../src/testing/clock.js';

/**
 * `sessions_mirror_dir`: every session also as `<dir>/<uuid>.jsonl` in OpenFang's format
 * (crates/openfang-memory/src/jsonl.rs): one object per message — timestamp of the write, role,
 * content (text joined by newlines, images and thinking as markers), tool_use only when present.
 */
const root = mkdtempSync(join(tmpdir(), 'memstrate-mirror-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

async function open(clock: ManualClock): Promise<{ mem: MemorySubstrate; dir: string }> {
  const base = join(root, `m-${n++}`);
  const dir = join(base, 'sessions');
  const mem = await MemorySubstrate.open({ sqlitePath: join(base, 'mem.db'), sessionsMirrorDir: dir }, { env: {}, clock: clock.fn });
  return { mem, dir };
}

const lines = (file: string) => readFileSync(file, 'utf8').split('\n');

describe('session mirror', () => {
  it('writes each saved session as <uuid>.jsonl in OpenFang\'s line format, rewritten on every save', async () => {
    const clock = new ManualClock();
    const { mem, dir } = await open(clock);
    const session = await mem.sessions.create('agent-1');
    const file = join(dir, `${session.id}.jsonl`);
    expect(readFileSync(file, 'utf8')).toBe(''); // created: no messages yet
    clock.advance(1000);
    await mem.sessions.save({
      ...session,
      messages: [
        { role: 'user', content: 'hello' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'é'.repeat(150) },
            { type: 'text', text: 'looking' },
            { type: 'image', mediaType: 'image/png', data: 'AAAA' },
            { type: 'tool_use', id: 't1', name: 'search', input: { q: 'x' } },
          ],
        },
        { role: 'user', content: [{ type: 'tool_result', toolUseId: 't1', content: 'found', isError: false }] },
      ],
    });
    const at = new Date(clock.now).toISOString();
    const written = lines(file);
    expect(written.at(-1)).toBe(''); // every line newline-terminated
    expect(written.slice(0, -1).map((l) => JSON.parse(l))).toEqual([
      { timestamp: at, role: 'user', content: 'hello' },
      { timestamp: at, role: 'assistant', content: `[thinking: ${'é'.repeat(100)}]\nlooking\n[image: image/png]`, tool_use: [{ type: 'tool_use', id: 't1', name: 'search', input: { q: 'x' } }] },
      { timestamp: at, role: 'user', content: '', tool_use: [{ type: 'tool_result', tool_use_id: 't1', content: 'found', is_error: false }] },
    ]);
    await mem.sessions.save({ ...session, messages: [{ role: 'user', content: 'only this' }] });
    expect(lines(file).filter(Boolean)).toHaveLength(1); // truncated and rewritten
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]); // written atomically
    await mem.close();
  });

  it('removes mirror files with their sessions: delete, deleteForAgent, retention, erasure', async () => {
    const clock = new ManualClock();
    const { mem, dir } = await open(clock);
    const a = await mem.sessions.create('a');
    const b = await mem.sessions.create('a');
    const c = await mem.sessions.create('b');
    const d = await mem.sessions.create('c');
    const other = await mem.sessions.create('keeper');
    expect(readdirSync(dir).sort()).toEqual([a, b, c, d, other].map((s) => `${s.id}.jsonl`).sort());
    await mem.sessions.delete(a.id);
    expect(existsSync(join(dir, `${a.id}.jsonl`))).toBe(false);
    await mem.sessions.deleteForAgent('a');
    expect(existsSync(join(dir, `${b.id}.jsonl`))).toBe(false);
    await mem.erase({ agentId: 'b' });
    expect(existsSync(join(dir, `${c.id}.jsonl`))).toBe(false);
    clock.advance(3 * 86_400_000);
    await mem.sessions.save({ ...other, messages: [{ role: 'user', content: 'recent' }] });
    expect(await mem.sessions.cleanupOlderThan(1)).toBe(1);
    expect(readdirSync(dir)).toEqual([`${other.id}.jsonl`]);
    await mem.close();
  });

  it('a session id that is not a UUID is never used in a path (no traversal); the store is unaffected', async () => {
    const clock = new ManualClock();
    const { mem, dir } = await open(clock);
    const real = await mem.sessions.create('a');
    const evil = { ...real, id: '../../escape', messages: [{ role: 'user' as const, content: 'x' }] };
    await mem.sessions.save(evil);
    expect(await mem.sessions.get('../../escape')).toBeDefined(); // stored as usual
    expect(readdirSync(dir)).toEqual([`${real.id}.jsonl`]);
    expect(existsSync(join(dir, '..', '..', 'escape.jsonl'))).toBe(false);
    await mem.close();
  });
});
