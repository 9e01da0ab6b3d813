import { expect, it } from 'vitest';
import { registeredBackends } from '../../index.js';
import { defineSuite } from '../conformance.js';
import { rng } from '../vectors.js';

export const substrateSuite = defineSuite('substrate', ({ open, cell }) => {
  it('reports the capabilities its backends declare (info, and refined by the opened instance)', async () => {
    const { mem } = await open();
    const backends = cell.backends?.all() ?? registeredBackends();
    const main = backends.find((d) => d.name === cell.main)?.main?.capabilities;
    expect(mem.info.capabilities.main).toEqual(main);
    const declaredSemantic = backends.find((d) => d.name === cell.semantic)?.semantic?.capabilities;
    expect(declaredSemantic, `no semantic backend "${cell.semantic}" is registered`).toBeDefined();
    const { sharedTransactions, ...declared } = declaredSemantic!;
    expect(mem.info.capabilities.semantic).toMatchObject(declared);
    // Only where the cell says so (e.g. a semantic store in the main store's own SQLite file) are transactions shared.
    expect(mem.info.capabilities.semantic.sharedTransactions).toBe(cell.sharedTransactions);
    expect(typeof sharedTransactions).toBe('boolean');
  });

  it('reports what it runs on', async () => {
    const { mem } = await open();
    expect(mem.info).toMatchObject({ backend: cell.main, semanticBackend: cell.semantic });
    expect(mem.info.schemaVersion).toMatch(/^\d{4}_/);
    expect(mem.info.embedding).toEqual({ provider: 'none', model: undefined, dimensions: undefined });
    await mem.remember({ agentId: 'a', content: 'x', embedding: [1, 0, 0] });
    expect(mem.info.embedding.dimensions).toBe(3);
    const health = await mem.health();
    expect(health.ok).toBe(true);
    expect(health.backends.map((b) => b.name)).toEqual([`main:${cell.main}`, `semantic:${cell.semantic}`]);
    for (const b of health.backends) expect(b.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('the facade delegates to the stores', async () => {
    const { mem } = await open();
    await mem.set('agent-1', 'color', 'blue');
    expect(await mem.get('agent-1', 'color')).toBe('blue');
    expect(await mem.structured.get('agent-1', 'color')).toBe('blue');
    expect(await mem.delete('agent-1', 'color')).toBe(true);
    expect(await mem.get('agent-1', 'color')).toBeUndefined();
  });

  it('text no backend can store unchanged (NUL, lone surrogates) is rejected everywhere, nothing written', async () => {
    const { mem } = await open();
    const bad = ['a\u0000b', 'x\ud800y'];
    for (const text of bad) {
      await expect(mem.set('agent-1', text, 1)).rejects.toMatchObject({ code: 'VALIDATION' });
      await expect(mem.set('agent-1', 'k', { note: text })).rejects.toMatchObject({ code: 'VALIDATION' });
      await expect(mem.set('agent-1', 'k', { [text]: 1 })).rejects.toMatchObject({ code: 'VALIDATION' });
      await expect(mem.remember({ agentId: 'agent-1', content: text })).rejects.toMatchObject({ code: 'VALIDATION' });
      await expect(mem.remember({ agentId: 'agent-1', content: 'ok', metadata: { tag: text } })).rejects.toMatchObject({ code: 'VALIDATION' });
      await expect(mem.tasks.post({ title: text })).rejects.toMatchObject({ code: 'VALIDATION' });
      await expect(mem.audit.append({ agentId: 'a', action: 'x', detail: text, outcome: 'ok' })).rejects.toMatchObject({ code: 'VALIDATION' });
    }
    expect(await mem.structured.list('agent-1')).toEqual([]);
    expect(await mem.tasks.list()).toEqual([]);
    expect((await mem.audit.tip()).seq).toBe(0);
    // Well-formed text outside the BMP is fine.
    await mem.set('agent-1', 'emoji', '😀 ok');
    expect(await mem.get('agent-1', 'emoji')).toBe('😀 ok');
  });

  it('erase removes an agent from every store with one audit entry and a receipt; other agents keep everything', async () => {
    const { mem } = await open();
    const SECRET = 'zanzibar quokka marmalade';
    const seed = async (agentId: string) => {
      const ids = await mem.semantic.rememberMany([
        { agentId, content: `${SECRET} one`, embedding: [1, 0, 0, 0], scope: 'x' },
        { agentId, content: `${SECRET} two`, embedding: [0, 1, 0, 0], scope: 'y' },
        { agentId, content: `${SECRET} brief`, embedding: [0, 0, 1, 0], ttlMs: 1 },
      ]);
      await mem.structured.set(agentId, 'k', { secret: SECRET });
      await mem.structured.set(agentId, 'gone', 1, { ttlMs: 1 });
      await mem.structured.saveAgent({ id: agentId, name: SECRET });
      const a = await mem.knowledge.addEntity({ agentId, entityType: 'person', name: `${SECRET} A` });
      const b = await mem.knowledge.addEntity({ agentId, entityType: 'person', name: `${SECRET} B` });
      await mem.knowledge.addRelation({ agentId, source: a, relation: 'knows_about', target: b });
      const session = await mem.sessions.create(agentId);
      await mem.sessions.save({ ...session, messages: [{ role: 'user', content: SECRET }] });
      await mem.sessions.appendCanonical(agentId, [{ role: 'user', content: SECRET }]);
      await mem.tasks.post({ title: SECRET, createdBy: agentId });
      await mem.usage.record({ agentId, model: 'm', inputTokens: 1, outputTokens: 1, costUsd: 0.5 });
      const bytes = (text: string) => new TextEncoder().encode(text);
      const checkpoint = { agentId, threadId: 'thread', namespace: '', checkpointId: 'c1' };
      await mem.checkpoints.put({ ...checkpoint, type: 'json', checkpoint: bytes(SECRET), metadataType: 'json', metadata: bytes('{}'), channelVersions: { m: '1' }, channels: [{ channel: 'm', version: '1', type: 'json', value: bytes(SECRET) }] });
      await mem.checkpoints.putWrites({ ...checkpoint, taskId: 'task', writes: [{ idx: 0, channel: 'm', type: 'json', value: bytes(SECRET) }] });
      return ids;
    };
    await seed('victim');
    const kept = await seed('keeper');
    await new Promise((resolve) => setTimeout(resolve, 5)); // the ttl entries expire (still stored)

    const receipt = await mem.erase({ agentId: 'victim' });
    expect(receipt).toMatchObject({
      agentId: 'victim',
      scope: 'agent',
      counts: { memories: 3, kvEntries: 2, agent: 1, entities: 2, relations: 1, sessions: 1, canonicalSessions: 1, tasks: 1, usageEvents: 1, checkpoints: 1 },
    });
    const [entry] = await mem.audit.entries({ after: receipt.auditSeq - 1, limit: 1 });
    expect(entry).toMatchObject({ agentId: 'victim', action: 'agent.erase' });
    expect(entry?.detail).not.toContain('zanzibar');
    expect((await mem.audit.tip()).seq).toBe(receipt.auditSeq);

    // Nothing of the victim answers any read.
    expect(await mem.semantic.count({ agentId: 'victim' })).toBe(0);
    expect(await mem.semantic.recall({ agentId: 'victim', text: 'zanzibar', mode: 'keyword' })).toEqual([]);
    expect(await mem.structured.list('victim')).toEqual([]);
    expect(await mem.structured.loadAgent('victim')).toBeUndefined();
    expect((await mem.knowledge.listEntities({ agentId: 'victim' })).items).toEqual([]);
    expect(await mem.sessions.listForAgent('victim')).toEqual([]);
    expect((await mem.sessions.loadCanonical('victim')).messages).toEqual([]);
    expect((await mem.tasks.list()).filter((t) => t.createdBy === 'victim')).toEqual([]);
    expect((await mem.usage.summary('victim')).callCount).toBe(0);
    expect(await mem.checkpoints.list({ agentId: 'victim' })).toEqual([]);
    expect((await mem.semantic.countByAgent()).map((a) => a.agentId)).toEqual(['keeper']);
    // The keeper keeps everything.
    expect(await mem.semantic.count({ agentId: 'keeper' })).toBe(2);
    expect((await mem.knowledge.listEntities({ agentId: 'keeper' })).items).toHaveLength(2);
    expect((await mem.usage.summary('keeper')).callCount).toBe(1);
    expect((await mem.checkpoints.get({ agentId: 'keeper', threadId: 'thread', namespace: '' }))?.writes).toHaveLength(1);

    // With a filter: only the matching memories (expired ones too); keepUsage keeps cost records.
    const some = await mem.erase({ agentId: 'keeper', filter: { scope: 'x' } });
    expect(some).toMatchObject({ scope: 'memories', counts: { memories: 1 } });
    expect(await mem.semantic.get(kept[0] as string)).toBeUndefined();
    expect(await mem.semantic.get(kept[1] as string)).toBeDefined();
    expect(await mem.erase({ agentId: 'keeper', keepUsage: true })).toMatchObject({ counts: { memories: 2, usageEvents: 0 } });
    expect((await mem.usage.summary('keeper')).callCount).toBe(1);
    expect((await mem.erase({ agentId: 'nobody' })).counts).toMatchObject({ memories: 0, kvEntries: 0 });

    await expect(mem.erase({ agentId: 'keeper', fliter: {} } as never)).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringMatching(/fliter/) });
    await expect(mem.erase({ agentId: 'keeper', filter: {}, keepUsage: true })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.erase({} as never)).rejects.toMatchObject({ code: 'VALIDATION' });
    expect((await mem.audit.verify()).ok).toBe(true);
  });

  it('close is idempotent and later calls fail with a typed error', async () => {
    const { mem } = await open();
    await mem.close();
    await mem.close();
    await expect(mem.structured.get('a', 'k')).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
  });

  it('isolation property: seeded random data of three agents, and every agent-scoped read of one agent returns only its own', async () => {
    const { mem } = await open();
    const next = rng(4242);
    const int = (n: number) => Math.floor(next() * n);
    const agents = ['iso-a', 'iso-b', 'iso-c'];
    const words = ['apple', 'river', 'stone', 'cloud', 'ember', 'frost'];
    const sentence = () => Array.from({ length: 4 }, () => words[int(words.length)]).join(' ');
    const owner = new Map<string, string>();
    const lastEntities = new Set<string>();
    let edges = 0;
    for (let i = 0; i < 60; i++) {
      const agentId = agents[int(3)] as string;
      const text = sentence();
      const scope = ['s1', 's2'][int(2)] as string;
      owner.set(await mem.semantic.remember({ agentId, content: text, scope, metadata: { k: int(3) }, embedding: [next(), next(), next(), next()] }), agentId);
      await mem.structured.set(agentId, `key-${int(10)}`, { from: agentId });
      if (i % 3 === 0) {
        const entity = await mem.knowledge.addEntity({ agentId, entityType: 'concept', name: `${words[int(6)]}-${i}` });
        const previous = [...owner].reverse().find(([id, a]) => a === agentId && id !== entity && lastEntities.has(id));
        if (previous) await mem.knowledge.addRelation({ agentId, source: previous[0], relation: 'related_to', target: entity });
        owner.set(entity, agentId);
        lastEntities.add(entity);
      }
      if (i % 5 === 0) await mem.sessions.create(agentId, { label: `l-${i}` });
      if (i % 4 === 0) await mem.sessions.appendCanonical(agentId, [{ role: 'user', content: `${agentId} says ${text}` }]);
      await mem.usage.record({ agentId, model: 'm', inputTokens: 1, outputTokens: 1, costUsd: agents.indexOf(agentId) + 1 });
    }
    let reads = 0;
    for (const agentId of agents) {
      for (let q = 0; q < 6; q++) {
        const text = sentence();
        for (const mode of ['keyword', 'vector', 'hybrid'] as const) {
          const filter = int(2) === 0 ? {} : { scope: ['s1', 's2'][int(2)] as string, ...(int(2) === 0 ? { metadata: { k: int(3) } } : {}) };
          const hits = await mem.semantic.recall({ agentId, text, embedding: [next(), next(), next(), next()], mode, limit: 50, filter });
          reads++;
          for (const h of hits) expect(h.memory.agentId, `${mode} recall of ${agentId}`).toBe(agentId);
        }
      }
      // Listing, counting and reading by id: only the agent's own.
      const own = [...owner].filter(([id, a]) => a === agentId && !lastEntities.has(id)).map(([id]) => id).sort();
      let cursor: string | undefined;
      const listed: string[] = [];
      do {
        const page = await mem.semantic.list({ agentId, limit: 7, ...(cursor ? { cursor } : {}), filter: { where: { $or: [{ scope: 's1' }, { scope: 's2' }] } } });
        for (const m of page.items) expect(m.agentId, `list of ${agentId}`).toBe(agentId);
        listed.push(...page.items.map((m) => m.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(listed.sort()).toEqual(own);
      expect(await mem.semantic.count({ agentId })).toBe(own.length);
      for (const entity of (await mem.knowledge.listEntities({ agentId, limit: 1000 })).items) expect(entity.agentId).toBe(agentId);
      reads += 3;
      for (const e of await mem.structured.list(agentId)) expect(e.value).toEqual({ from: agentId });
      for (const s of await mem.sessions.listForAgent(agentId)) expect(s.agentId).toBe(agentId);
      const canonical = await mem.sessions.canonicalContext(agentId);
      for (const m of canonical.messages) expect(String(m.content).startsWith(`${agentId} says`)).toBe(true);
      for (const match of await mem.knowledge.queryGraph({ agentId, limit: 1000 })) {
        edges++;
        expect([match.source.agentId, match.relation.agentId, match.target.agentId]).toEqual([agentId, agentId, agentId]);
      }
      const cost = await mem.usage.summary(agentId);
      expect(cost.totalCostUsd).toBe(cost.callCount * (agents.indexOf(agentId) + 1));
      reads += 5;
    }
    expect(reads).toBeGreaterThan(50);
    expect(edges).toBeGreaterThan(0);
    // The agents found from the data are exactly the three, with their own counts.
    const counts = new Map<string, number>();
    for (const [id, a] of owner) if (!lastEntities.has(id)) counts.set(a, (counts.get(a) ?? 0) + 1);
    expect(Object.fromEntries((await mem.semantic.countByAgent()).map((c) => [c.agentId, c.count]))).toEqual(Object.fromEntries(counts));
    // Reads by id return the record with its true owner.
    for (const [id, agentId] of owner) {
      const record = (await mem.semantic.get(id)) ?? (await mem.knowledge.getEntity(id));
      expect(record?.agentId).toBe(agentId);
    }
  });

  it('every store input rejects an unknown key, naming it, and writes nothing', async () => {
    const { mem } = await open();
    const bad = async (what: string, call: () => Promise<unknown>, key: string) => {
      await expect(call(), what).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining(key) });
    };
    const loose = <T,>(value: object) => value as unknown as T;
    await bad('usage.record', () => mem.usage.record(loose({ agentId: 'a', model: 'm', inputTokens: 1, outputTokens: 1, costUsd: 0, tokens: 5 })), 'tokens');
    await bad('knowledge.addEntity', () => mem.knowledge.addEntity(loose({ agentId: 'a', entityType: 'person', name: 'n', propertes: {} })), 'propertes');
    const e = await mem.knowledge.addEntity({ agentId: 'a', entityType: 'person', name: 'n' });
    await bad('knowledge.addRelation', () => mem.knowledge.addRelation(loose({ agentId: 'a', source: e, relation: 'knows', target: e, weight: 1 })), 'weight');
    await bad('knowledge.queryGraph', () => mem.knowledge.queryGraph(loose({ agentId: 'a', depth: 3 })), 'depth');
    await bad('devices.save', () => mem.devices.save(loose({ deviceId: 'd', displayName: 'D', platform: 'p', pairedAt: 1, lastSeen: 1, pushtoken: 'x' })), 'pushtoken');
    const session = await mem.sessions.create('a');
    await bad('sessions.save', () => mem.sessions.save(loose({ ...session, lable: 'x' })), 'lable');
    await bad('sessions.saveCanonical', () => mem.sessions.saveCanonical(loose({ agentId: 'a', messages: [], compactionCursor: 0, updatedAt: 1, sumary: 'x' })), 'sumary');
    expect(await mem.usage.summary()).toMatchObject({ callCount: 0 });
    expect(await mem.devices.list()).toEqual([]);
    expect((await mem.sessions.get(session.id))?.label).toBeUndefined();
  });
});
