import { expect, it } from 'vitest';
import type { Message, Session } from '../../index.js';
import { ManualClock } from '../clock.js';
import { defineSuite } from '../conformance.js';

const say = (i: number): Message => ({ role: i % 2 === 0 ? 'user' : 'assistant', content: `message ${i}` });
const many = (n: number, from = 0): Message[] => Array.from({ length: n }, (_, i) => say(from + i));

const RICH: Message[] = [
  { role: 'system', content: 'You are helpful.' },
  { role: 'user', content: [{ type: 'text', text: 'What is in this picture?' }, { type: 'image', mediaType: 'image/png', data: 'iVBORw0K' }] },
  {
    role: 'assistant',
    content: [
      { type: 'thinking', thinking: 'look closely' },
      { type: 'tool_use', id: 'call-1', name: 'vision', input: { detail: 'high', regions: [1, 2] } },
    ],
  },
  { role: 'user', content: [{ type: 'tool_result', toolUseId: 'call-1', toolName: 'vision', content: 'a cat', isError: false }] },
  { role: 'assistant', content: 'A cat. ✓ 猫' },
];

export const sessionsSuite = defineSuite('sessions', ({ open, itIf }) => {
  it('cleanupOlderThan(days) deletes the sessions of every agent not updated for that long; canonical sessions stay', async () => {
    const clock = new ManualClock();
    const { mem } = await open({ clock: clock.fn });
    const day = 86_400_000;
    const stale = await mem.sessions.create('A');
    const touched = await mem.sessions.create('B');
    await mem.sessions.appendCanonical('A', [{ role: 'user', content: 'kept' }]);
    clock.advance(5 * day);
    await mem.sessions.save({ ...touched, messages: [{ role: 'user', content: 'still here' }] });
    const fresh = await mem.sessions.create('A');
    clock.advance(2 * day);
    expect(await mem.sessions.cleanupOlderThan(8)).toBe(0); // the stale one is 7 days old
    expect(await mem.sessions.cleanupOlderThan(3)).toBe(1);
    expect(await mem.sessions.get(stale.id)).toBeUndefined();
    expect(await mem.sessions.get(touched.id)).toBeDefined();
    expect(await mem.sessions.get(fresh.id)).toBeDefined();
    expect((await mem.sessions.loadCanonical('A')).messages).toHaveLength(1);
    await expect(mem.sessions.cleanupOlderThan(-1)).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.sessions.cleanupOlderThan(1.5)).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('create returns a new empty session; get reads it back', async () => {
    const clock = new ManualClock();
    const { mem } = await open({ clock: clock.fn });
    const s = await mem.sessions.create('agent-a');
    expect(s).toEqual({ id: expect.any(String), agentId: 'agent-a', messages: [], contextWindowTokens: 0, label: undefined, createdAt: clock.now, updatedAt: clock.now });
    const labelled = await mem.sessions.create('agent-a', { label: 'support' });
    expect(labelled.id).not.toBe(s.id);
    expect(labelled.label).toBe('support');
    expect(await mem.sessions.get(s.id)).toEqual(s);
    expect(await mem.sessions.get(labelled.id)).toEqual(labelled);
    expect(await mem.sessions.get('00000000-0000-7000-8000-000000000000')).toBeUndefined();
  });

  it('save upserts the whole session: messages (every block kind), tokens, label; createdAt kept, updatedAt = now', async () => {
    const clock = new ManualClock();
    const { mem } = await open({ clock: clock.fn });
    const s = await mem.sessions.create('agent-a');
    clock.advance(1000);
    await mem.sessions.save({ ...s, messages: RICH, contextWindowTokens: 1234, label: 'vision', createdAt: 1 });
    expect(await mem.sessions.get(s.id)).toEqual({ ...s, messages: RICH, contextWindowTokens: 1234, label: 'vision', updatedAt: clock.now });
    expect((await mem.sessions.listForAgent('agent-a'))[0]).toMatchObject({ id: s.id, messageCount: RICH.length, label: 'vision' });

    clock.advance(1000);
    await mem.sessions.save({ ...s, messages: [say(0)], contextWindowTokens: 5, label: undefined });
    expect(await mem.sessions.get(s.id)).toEqual({ ...s, messages: [say(0)], contextWindowTokens: 5, label: undefined, updatedAt: clock.now });
    expect((await mem.sessions.list())[0]?.messageCount).toBe(1);

    // A session that does not exist yet is inserted with its own createdAt.
    const fresh: Session = { id: '01900000-0000-7000-8000-000000000001', agentId: 'agent-b', messages: many(3), contextWindowTokens: 9, createdAt: 42, updatedAt: 42 };
    await mem.sessions.save(fresh);
    expect(await mem.sessions.get(fresh.id)).toEqual({ ...fresh, label: undefined, updatedAt: clock.now });
  });

  itIf('rawSql', 'messages are stored as JSON text with message_count in sync', async () => {
    const inst = await open();
    const s = await inst.mem.sessions.create('agent-a');
    await inst.mem.sessions.save({ ...s, messages: RICH });
    const [row] = (await inst.rawSql('select messages, message_count from sessions where id = ?', s.id)) as { messages: string; message_count: number }[];
    expect(JSON.parse(row!.messages)).toEqual(RICH);
    expect(row!.message_count).toBe(RICH.length);
  });

  it('labels are unique per agent: create / save / setLabel with a taken label are CONFLICT', async () => {
    const { mem } = await open();
    const a1 = await mem.sessions.create('agent-a', { label: 'main' });
    const a2 = await mem.sessions.create('agent-a');
    await expect(mem.sessions.create('agent-a', { label: 'main' })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(mem.sessions.save({ ...a2, label: 'main' })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(mem.sessions.setLabel(a2.id, 'main')).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await mem.sessions.get(a2.id))?.label).toBeUndefined();
    expect(await mem.sessions.listForAgent('agent-a')).toHaveLength(2);

    // Another agent may use the same label; a session may keep its own label; clearing frees it.
    const b1 = await mem.sessions.create('agent-b', { label: 'main' });
    await mem.sessions.setLabel(a1.id, 'main');
    await mem.sessions.save({ ...a1, messages: [say(1)] });
    await mem.sessions.setLabel(a1.id, undefined);
    await mem.sessions.setLabel(a2.id, 'main');
    expect((await mem.sessions.findByLabel('agent-a', 'main'))?.id).toBe(a2.id);
    expect((await mem.sessions.findByLabel('agent-b', 'main'))?.id).toBe(b1.id);
  });

  it('save refuses to move a session id to another agent (CONFLICT, nothing changed)', async () => {
    const { mem } = await open();
    const s = await mem.sessions.create('agent-a');
    await expect(mem.sessions.save({ ...s, agentId: 'agent-b', messages: [say(0)] })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await mem.sessions.get(s.id)).toEqual(s);
    expect(await mem.sessions.listForAgent('agent-b')).toEqual([]);
  });

  it('setLabel sets, clears and bumps updatedAt; NOT_FOUND for an unknown session', async () => {
    const clock = new ManualClock();
    const { mem } = await open({ clock: clock.fn });
    const s = await mem.sessions.create('agent-a');
    clock.advance(50);
    await mem.sessions.setLabel(s.id, 'triage');
    expect(await mem.sessions.get(s.id)).toMatchObject({ label: 'triage', updatedAt: clock.now, createdAt: s.createdAt });
    clock.advance(50);
    await mem.sessions.setLabel(s.id, undefined);
    expect(await mem.sessions.get(s.id)).toMatchObject({ label: undefined, updatedAt: clock.now });
    expect(await mem.sessions.findByLabel('agent-a', 'triage')).toBeUndefined();
    await expect(mem.sessions.setLabel('00000000-0000-7000-8000-000000000000', 'x')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('findByLabel finds only within the agent', async () => {
    const { mem } = await open();
    const s = await mem.sessions.create('agent-a', { label: 'ops' });
    await mem.sessions.save({ ...s, messages: many(2) });
    expect(await mem.sessions.findByLabel('agent-a', 'ops')).toMatchObject({ id: s.id, messages: many(2) });
    expect(await mem.sessions.findByLabel('agent-b', 'ops')).toBeUndefined();
    expect(await mem.sessions.findByLabel('agent-a', 'other')).toBeUndefined();
  });

  it('list and listForAgent: newest first (createdAt desc, then id desc), one shape', async () => {
    const clock = new ManualClock();
    const { mem } = await open({ clock: clock.fn });
    const a1 = await mem.sessions.create('agent-a', { label: 'first' });
    clock.advance(10);
    const b1 = await mem.sessions.create('agent-b');
    clock.advance(10);
    const a2 = await mem.sessions.create('agent-a');
    const a3 = await mem.sessions.create('agent-a'); // same millisecond as a2: id breaks the tie
    await mem.sessions.save({ ...a1, messages: many(4) });

    const sameMs = [a2.id, a3.id].sort().reverse();
    const all = await mem.sessions.list();
    expect(all.map((s) => s.id)).toEqual([...sameMs, b1.id, a1.id]);
    expect(all.find((s) => s.id === a1.id)).toEqual({
      id: a1.id,
      agentId: 'agent-a',
      label: 'first',
      messageCount: 4,
      createdAt: a1.createdAt,
      updatedAt: clock.now,
    });
    for (const summary of all) expect(Object.keys(summary).sort()).toEqual(['agentId', 'createdAt', 'id', 'label', 'messageCount', 'updatedAt']);
    const forA = await mem.sessions.listForAgent('agent-a');
    expect(forA.map((s) => s.id)).toEqual([...sameMs, a1.id]);
    expect(forA).toEqual(all.filter((s) => s.agentId === 'agent-a'));
    expect(await mem.sessions.listForAgent('nobody')).toEqual([]);
  });

  it('delete and deleteForAgent remove regular sessions only, per agent', async () => {
    const { mem } = await open();
    const a1 = await mem.sessions.create('agent-a');
    await mem.sessions.create('agent-a', { label: 'x' });
    const b1 = await mem.sessions.create('agent-b');
    await mem.sessions.appendCanonical('agent-a', [say(0)]);

    expect(await mem.sessions.delete(a1.id)).toBe(true);
    expect(await mem.sessions.delete(a1.id)).toBe(false);
    expect(await mem.sessions.get(a1.id)).toBeUndefined();

    expect(await mem.sessions.deleteForAgent('agent-a')).toBe(1);
    expect(await mem.sessions.deleteForAgent('agent-a')).toBe(0);
    expect(await mem.sessions.listForAgent('agent-a')).toEqual([]);
    expect((await mem.sessions.list()).map((s) => s.id)).toEqual([b1.id]);
    expect((await mem.sessions.loadCanonical('agent-a')).messages).toEqual([say(0)]);
    // The label is free again.
    expect((await mem.sessions.create('agent-a', { label: 'x' })).label).toBe('x');
  });

  it('bad input is a VALIDATION error and nothing is written', async () => {
    const { mem } = await open();
    const s = await mem.sessions.create('agent-a');
    const badMessages: unknown[] = [
      'not an array',
      [null],
      [{ role: 'tool', content: 'x' }],
      [{ role: 'user' }],
      [{ role: 'user', content: 42 }],
      [{ role: 'user', content: [{ type: 'video', url: 'x' }] }],
      [{ role: 'user', content: [{ type: 'text' }] }],
      [{ role: 'assistant', content: [{ type: 'tool_use', id: 'c', name: 'n' }] }],
      [{ role: 'user', content: [{ type: 'tool_result', toolUseId: 'c', content: 'r', isError: 'no' }] }],
      [{ role: 'user', content: 'x', extra: Number.NaN }],
    ];
    for (const messages of badMessages) {
      await expect(mem.sessions.save({ ...s, messages: messages as never })).rejects.toMatchObject({ code: 'VALIDATION' });
      await expect(mem.sessions.appendCanonical('agent-a', messages as never)).rejects.toMatchObject({ code: 'VALIDATION' });
    }
    const huge = [{ role: 'user' as const, content: 'x'.repeat(16 * 1024 * 1024) }];
    await expect(mem.sessions.save({ ...s, messages: huge })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.sessions.save({ ...s, contextWindowTokens: -1 })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.sessions.save({ ...s, contextWindowTokens: 1.5 })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.sessions.save({ ...s, id: '' })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.sessions.save({ ...s, createdAt: Number.NaN })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.sessions.save(null as never)).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.sessions.create('')).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.sessions.create('agent-a', { label: 'l'.repeat(257) })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.sessions.create('agent-a', { label: '' })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.sessions.setLabel(s.id, 7 as never)).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.sessions.get('')).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.sessions.listForAgent('x'.repeat(300))).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.sessions.findByLabel('agent-a', '')).rejects.toMatchObject({ code: 'VALIDATION' });

    expect(await mem.sessions.get(s.id)).toEqual(s);
    expect(await mem.sessions.list()).toHaveLength(1);
    expect(await mem.sessions.deleteCanonical('agent-a')).toBe(false);
  });

  it('loadCanonical returns an empty canonical session without persisting it', async () => {
    const clock = new ManualClock();
    const { mem } = await open({ clock: clock.fn });
    expect(await mem.sessions.loadCanonical('agent-a')).toEqual({
      agentId: 'agent-a',
      messages: [],
      compactionCursor: 0,
      compactedSummary: undefined,
      updatedAt: clock.now,
    });
    expect(await mem.sessions.canonicalContext('agent-a')).toEqual({ summary: undefined, messages: [] });
    expect(await mem.sessions.deleteCanonical('agent-a')).toBe(false); // nothing was written
  });

  it('saveCanonical upserts; deleteCanonical removes', async () => {
    const clock = new ManualClock();
    const { mem } = await open({ clock: clock.fn });
    await mem.sessions.saveCanonical({ agentId: 'agent-a', messages: RICH, compactionCursor: 0, compactedSummary: 'so far', updatedAt: 1 });
    expect(await mem.sessions.loadCanonical('agent-a')).toEqual({ agentId: 'agent-a', messages: RICH, compactionCursor: 0, compactedSummary: 'so far', updatedAt: clock.now });
    clock.advance(5);
    await mem.sessions.saveCanonical({ agentId: 'agent-a', messages: [say(1)], compactionCursor: 0, updatedAt: 1 });
    expect(await mem.sessions.loadCanonical('agent-a')).toEqual({ agentId: 'agent-a', messages: [say(1)], compactionCursor: 0, compactedSummary: undefined, updatedAt: clock.now });
    expect((await mem.sessions.loadCanonical('agent-b')).messages).toEqual([]);
    await expect(mem.sessions.saveCanonical({ agentId: 'agent-a', messages: [], compactionCursor: -1, updatedAt: 0 })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.sessions.saveCanonical({ agentId: 'agent-a', messages: [], compactionCursor: 0, compactedSummary: 5 as never, updatedAt: 0 })).rejects.toMatchObject({ code: 'VALIDATION' });
    expect((await mem.sessions.loadCanonical('agent-a')).messages).toEqual([say(1)]);
    expect(await mem.sessions.deleteCanonical('agent-a')).toBe(true);
    expect(await mem.sessions.deleteCanonical('agent-a')).toBe(false);
    expect((await mem.sessions.loadCanonical('agent-a')).messages).toEqual([]);
  });

  it('appendCanonical appends and returns the new canonical session, per agent', async () => {
    const clock = new ManualClock();
    const { mem } = await open({ clock: clock.fn });
    const first = await mem.sessions.appendCanonical('agent-a', many(3));
    expect(first).toEqual({ agentId: 'agent-a', messages: many(3), compactionCursor: 0, compactedSummary: undefined, updatedAt: clock.now });
    clock.advance(7);
    const second = await mem.sessions.appendCanonical('agent-a', [RICH[1]!, RICH[2]!]);
    expect(second.messages).toEqual([...many(3), RICH[1], RICH[2]]);
    expect(second.updatedAt).toBe(clock.now);
    expect(await mem.sessions.loadCanonical('agent-a')).toEqual(second);
    await mem.sessions.appendCanonical('agent-b', [say(9)]);
    expect((await mem.sessions.loadCanonical('agent-b')).messages).toEqual([say(9)]);
    expect((await mem.sessions.loadCanonical('agent-a')).messages).toHaveLength(5);
    expect((await mem.sessions.appendCanonical('agent-a', [])).messages).toHaveLength(5);
  });

  it('appendCanonical compacts past the threshold (default 100): all but the last 50 fold into the summary', async () => {
    const { mem } = await open();
    const at100 = await mem.sessions.appendCanonical('agent-a', many(100));
    expect(at100.messages).toHaveLength(100);
    expect(at100.compactedSummary).toBeUndefined();

    const after = await mem.sessions.appendCanonical('agent-a', [say(100)]);
    expect(after.messages).toEqual(many(50, 51));
    expect(after.compactionCursor).toBe(0);
    const lines = after.compactedSummary?.split('\n') ?? [];
    expect(lines).toHaveLength(51);
    expect(lines[0]).toBe('User: message 0');
    expect(lines[50]).toBe('User: message 50');
    expect(await mem.sessions.loadCanonical('agent-a')).toEqual(after);

    // A later compaction appends after the existing summary; a custom threshold is honoured.
    const again = await mem.sessions.appendCanonical('agent-a', many(5, 101), { threshold: 54 });
    expect(again.messages).toEqual(many(50, 56));
    const lines2 = again.compactedSummary?.split('\n') ?? [];
    expect(lines2).toHaveLength(56);
    expect(lines2.at(-1)).toBe('Assistant: message 55');

    // Long texts are clipped to 200 bytes + "..." and the summary keeps its last 4000 bytes.
    const long = Array.from({ length: 60 }, (_, i): Message => ({ role: 'user', content: `${i}:${'é'.repeat(150)}` }));
    const capped = await mem.sessions.appendCanonical('agent-a', long, { threshold: 100 });
    expect(Buffer.byteLength(capped.compactedSummary ?? '', 'utf8')).toBeLessThanOrEqual(4000);
    expect(capped.compactedSummary).toContain(`User: 9:${'é'.repeat(99)}...`);
    expect(capped.compactedSummary).not.toContain('message 0\n');
  });

  it('appendCanonical and canonicalContext reject a threshold / window that is not a positive integer', async () => {
    const { mem } = await open();
    for (const threshold of [0, -1, 1.5, Number.NaN]) {
      await expect(mem.sessions.appendCanonical('agent-a', [say(0)], { threshold })).rejects.toMatchObject({ code: 'VALIDATION' });
    }
    for (const window of [0, -3, 2.5]) {
      await expect(mem.sessions.canonicalContext('agent-a', { window })).rejects.toMatchObject({ code: 'VALIDATION' });
    }
    await expect(mem.sessions.appendCanonical('', [say(0)])).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(await mem.sessions.deleteCanonical('agent-a')).toBe(false);
  });

  it('20 concurrent appendCanonical calls lose no message', async () => {
    const { mem } = await open();
    await Promise.all(Array.from({ length: 20 }, (_, i) => mem.sessions.appendCanonical('agent-a', [say(i)])));
    const canonical = await mem.sessions.loadCanonical('agent-a');
    expect(canonical.messages).toHaveLength(20);
    expect(new Set(canonical.messages.map((m) => m.content))).toEqual(new Set(many(20).map((m) => m.content)));
  });

  it('canonicalContext returns the summary and the last `window` messages (default 50)', async () => {
    const { mem } = await open();
    await mem.sessions.storeLlmSummary('agent-a', 'the gist', many(80));
    const ctx = await mem.sessions.canonicalContext('agent-a');
    expect(ctx.summary).toBe('the gist');
    expect(ctx.messages).toEqual(many(50, 30));
    expect((await mem.sessions.canonicalContext('agent-a', { window: 3 })).messages).toEqual(many(3, 77));
    expect((await mem.sessions.canonicalContext('agent-a', { window: 500 })).messages).toHaveLength(80);
    expect(await mem.sessions.canonicalContext('agent-b')).toEqual({ summary: undefined, messages: [] });
  });

  it('storeLlmSummary replaces the summary and the window (cursor 0)', async () => {
    const clock = new ManualClock();
    const { mem } = await open({ clock: clock.fn });
    await mem.sessions.saveCanonical({ agentId: 'agent-a', messages: many(10), compactionCursor: 4, compactedSummary: 'old', updatedAt: 0 });
    clock.advance(3);
    await mem.sessions.storeLlmSummary('agent-a', 'LLM summary', many(2, 8));
    expect(await mem.sessions.loadCanonical('agent-a')).toEqual({
      agentId: 'agent-a',
      messages: many(2, 8),
      compactionCursor: 0,
      compactedSummary: 'LLM summary',
      updatedAt: clock.now,
    });
    await expect(mem.sessions.storeLlmSummary('agent-a', 3 as never, [])).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.sessions.storeLlmSummary('agent-a', 's', [{ role: 'bot' }] as never)).rejects.toMatchObject({ code: 'VALIDATION' });
    expect((await mem.sessions.loadCanonical('agent-a')).compactedSummary).toBe('LLM summary');
  });

  it('sessions and canonical sessions survive a restart', async () => {
    const clock = new ManualClock();
    const inst = await open({ clock: clock.fn });
    const s = await inst.mem.sessions.create('agent-a', { label: 'keep' });
    await inst.mem.sessions.save({ ...s, messages: RICH, contextWindowTokens: 77 });
    await inst.mem.sessions.appendCanonical('agent-a', many(101));
    const saved = await inst.mem.sessions.get(s.id);
    const canonical = await inst.mem.sessions.loadCanonical('agent-a');
    const list = await inst.mem.sessions.list();

    const mem = await inst.reopen();
    expect(await mem.sessions.get(s.id)).toEqual(saved);
    expect(await mem.sessions.loadCanonical('agent-a')).toEqual(canonical);
    expect(await mem.sessions.list()).toEqual(list);
    expect((await mem.sessions.findByLabel('agent-a', 'keep'))?.messages).toEqual(RICH);
    await expect(mem.sessions.create('agent-a', { label: 'keep' })).rejects.toMatchObject({ code: 'CONFLICT' });
  });
});
