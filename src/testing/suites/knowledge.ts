import { expect, it } from 'vitest';
import { ENTITY_TYPES, RELATION_TYPES, type EntityInput, type GraphMatch, type RelationInput } from '../../contracts/knowledge-store.js';
import type { MemorySubstrate } from '../../index.js';
import { defineSuite } from '../conformance.js';
import { ManualClock } from '../clock.js';
import { knowledgeBatchTests } from './knowledge-batches.js';

/** `source-name -relation-> target-name @depth` for compact assertions. */
function edges(matches: GraphMatch[]): string[] {
  return matches.map((m) => `${m.source.name}-${m.relation.relation}->${m.target.name}@${m.depth}`);
}

async function entity(mem: MemorySubstrate, agentId: string, name: string): Promise<string> {
  return mem.knowledge.addEntity({ agentId, entityType: 'concept', name });
}

/** A→B→C→D (`related_to`), created in that order one second apart. */
async function chain(mem: MemorySubstrate, clock: ManualClock, agentId = 'agent-a'): Promise<Record<'A' | 'B' | 'C' | 'D', string>> {
  const ids = { A: await entity(mem, agentId, 'A'), B: await entity(mem, agentId, 'B'), C: await entity(mem, agentId, 'C'), D: await entity(mem, agentId, 'D') };
  for (const [s, t] of [['A', 'B'], ['B', 'C'], ['C', 'D']] as const) {
    clock.advance(1000);
    await mem.knowledge.addRelation({ agentId, source: ids[s], relation: 'related_to', target: ids[t] });
  }
  return ids;
}

export const knowledgeSuite = defineSuite('knowledge', (ctx) => {
  const { open, itIf } = ctx;
  knowledgeBatchTests(ctx);
  it('adds an entity and reads it back', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    const id = await mem.knowledge.addEntity({ agentId: 'agent-a', entityType: 'person', name: 'Alice', properties: { role: 'engineer', skills: ['ts', 'sql'], senior: true } });
    expect(await mem.knowledge.getEntity(id)).toStrictEqual({
      id,
      agentId: 'agent-a',
      entityType: 'person',
      name: 'Alice',
      properties: { role: 'engineer', skills: ['ts', 'sql'], senior: true },
      createdAt: clock.now,
      updatedAt: clock.now,
    });
    const other = await mem.knowledge.addEntity({ agentId: 'agent-a', entityType: 'organization', name: 'Acme' });
    expect(other).not.toBe(id);
    expect((await mem.knowledge.getEntity(other))?.properties).toEqual({});
    expect(await mem.knowledge.getEntity('no-such-id')).toBeUndefined();
  });

  it('upserts by id: type, name and properties change, createdAt is kept', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    const created = clock.now;
    expect(await mem.knowledge.addEntity({ id: 'e-1', agentId: 'agent-a', entityType: 'person', name: 'Al', properties: { a: 1 } })).toBe('e-1');
    clock.advance(5000);
    expect(await mem.knowledge.addEntity({ id: 'e-1', agentId: 'agent-a', entityType: 'tool', name: 'Al 2', properties: { b: 2 } })).toBe('e-1');
    expect(await mem.knowledge.getEntity('e-1')).toStrictEqual({
      id: 'e-1', agentId: 'agent-a', entityType: 'tool', name: 'Al 2', properties: { b: 2 }, createdAt: created, updatedAt: created + 5000,
    });
  });

  it('refuses with CONFLICT to upsert an entity id owned by another agent', async () => {
    const mem = (await open()).mem;
    await mem.knowledge.addEntity({ id: 'e-1', agentId: 'agent-a', entityType: 'person', name: 'Mine' });
    await expect(mem.knowledge.addEntity({ id: 'e-1', agentId: 'agent-b', entityType: 'person', name: 'Stolen' })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await mem.knowledge.getEntity('e-1')).toMatchObject({ agentId: 'agent-a', name: 'Mine' });
  });

  it('rejects bad entities with VALIDATION and writes nothing', async () => {
    const mem = (await open()).mem;
    const base: EntityInput = { id: 'e-bad', agentId: 'agent-a', entityType: 'person', name: 'Valid' };
    const bad: unknown[] = [
      null,
      { ...base, agentId: '' },
      { ...base, id: '' },
      { ...base, entityType: 'has space' },
      { ...base, entityType: '' },
      { ...base, entityType: 't'.repeat(65) },
      { ...base, entityType: 'é' },
      { ...base, entityType: 3 },
      { ...base, entityType: undefined },
      { ...base, name: '' },
      { ...base, name: 'n'.repeat(1025) },
      { ...base, name: 5 },
      { ...base, properties: [1, 2] },
      { ...base, properties: 'text' },
      { ...base, properties: null },
      { ...base, properties: { n: NaN } },
      { ...base, properties: { big: 'x'.repeat(65_537) } },
    ];
    for (const input of bad) {
      await expect(mem.knowledge.addEntity(input as EntityInput)).rejects.toMatchObject({ code: 'VALIDATION' });
    }
    expect(await mem.knowledge.getEntity('e-bad')).toBeUndefined();
    await expect(mem.knowledge.getEntity('')).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.knowledge.deleteEntity('')).rejects.toMatchObject({ code: 'VALIDATION' });
    // The longest name is accepted.
    expect(await mem.knowledge.addEntity({ ...base, name: 'n'.repeat(1024) })).toBe('e-bad');
  });

  it('adds relations with new ids, default confidence 1 and properties', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    const alice = await mem.knowledge.addEntity({ agentId: 'agent-a', entityType: 'person', name: 'Alice' });
    const acme = await mem.knowledge.addEntity({ agentId: 'agent-a', entityType: 'organization', name: 'Acme Corp' });
    const r1 = await mem.knowledge.addRelation({ agentId: 'agent-a', source: alice, relation: 'works_at', target: acme, properties: { since: 2020 } });
    clock.advance(1);
    const r2 = await mem.knowledge.addRelation({ agentId: 'agent-a', source: alice, relation: 'works_at', target: acme, confidence: 0.25 });
    expect(r2).not.toBe(r1);
    const matches = await mem.knowledge.queryGraph({ agentId: 'agent-a', source: 'Alice' });
    expect(matches.map((m) => m.relation)).toStrictEqual([
      { id: r1, agentId: 'agent-a', source: alice, relation: 'works_at', target: acme, properties: { since: 2020 }, confidence: 1, createdAt: clock.now - 1 },
      { id: r2, agentId: 'agent-a', source: alice, relation: 'works_at', target: acme, properties: {}, confidence: 0.25, createdAt: clock.now },
    ]);
    expect(matches[0]?.source).toMatchObject({ id: alice, name: 'Alice', entityType: 'person' });
    expect(matches[0]?.target).toMatchObject({ id: acme, name: 'Acme Corp', entityType: 'organization' });
    expect(matches[0]?.depth).toBe(1);
    // By id as well as by name.
    expect((await mem.knowledge.queryGraph({ agentId: 'agent-a', source: alice })).map((m) => m.relation.id)).toEqual([r1, r2]);
  });

  it('rejects dangling or cross-agent relations and bad relation input with VALIDATION; nothing is written', async () => {
    const mem = (await open()).mem;
    const a = await entity(mem, 'agent-a', 'A');
    const b = await entity(mem, 'agent-a', 'B');
    const foreign = await entity(mem, 'agent-b', 'F');
    const base: RelationInput = { agentId: 'agent-a', source: a, relation: 'related_to', target: b };
    const bad: unknown[] = [
      null,
      { ...base, target: 'missing' },
      { ...base, source: 'missing' },
      { ...base, target: foreign },
      { ...base, source: foreign },
      { ...base, agentId: 'agent-b' },
      { ...base, agentId: '' },
      { ...base, relation: 'no spaces' },
      { ...base, relation: '' },
      { ...base, relation: 'r'.repeat(65) },
      { ...base, confidence: 1.5 },
      { ...base, confidence: -0.1 },
      { ...base, confidence: NaN },
      { ...base, properties: [] },
      { ...base, properties: { f: () => 1 } },
    ];
    for (const input of bad) {
      await expect(mem.knowledge.addRelation(input as RelationInput)).rejects.toMatchObject({ code: 'VALIDATION' });
    }
    expect(await mem.knowledge.queryGraph({ agentId: 'agent-a' })).toEqual([]);
    expect(await mem.knowledge.queryGraph({ agentId: 'agent-b' })).toEqual([]);
    // Boundary confidences are accepted.
    await mem.knowledge.addRelation({ ...base, confidence: 0 });
    await mem.knowledge.addRelation({ ...base, confidence: 1 });
    expect((await mem.knowledge.queryGraph({ agentId: 'agent-a' })).map((m) => m.relation.confidence)).toEqual([0, 1]);
  });

  it('deleteEntity removes the entity and every relation touching it', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    const ids = await chain(mem, clock);
    expect(await mem.knowledge.deleteEntity(ids.B)).toBe(true);
    expect(await mem.knowledge.getEntity(ids.B)).toBeUndefined();
    expect(edges(await mem.knowledge.queryGraph({ agentId: 'agent-a', maxDepth: 3 }))).toEqual(['C-related_to->D@1']);
    expect(await mem.knowledge.deleteEntity(ids.B)).toBe(false);
    expect(await mem.knowledge.deleteEntity('never-existed')).toBe(false);
    // Relations to a deleted entity cannot be added any more.
    await expect(mem.knowledge.addRelation({ agentId: 'agent-a', source: ids.A, relation: 'uses', target: ids.B })).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('follows a chain A→B→C→D to exactly maxDepth hops', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    const ids = await chain(mem, clock);
    expect(edges(await mem.knowledge.queryGraph({ agentId: 'agent-a', source: 'A' }))).toEqual(['A-related_to->B@1']);
    expect(edges(await mem.knowledge.queryGraph({ agentId: 'agent-a', source: 'A', maxDepth: 1 }))).toEqual(['A-related_to->B@1']);
    expect(edges(await mem.knowledge.queryGraph({ agentId: 'agent-a', source: 'A', maxDepth: 2 }))).toEqual(['A-related_to->B@1', 'B-related_to->C@2']);
    expect(edges(await mem.knowledge.queryGraph({ agentId: 'agent-a', source: ids.A, maxDepth: 3 }))).toEqual([
      'A-related_to->B@1', 'B-related_to->C@2', 'C-related_to->D@3',
    ]);
    expect(edges(await mem.knowledge.queryGraph({ agentId: 'agent-a', source: 'A', maxDepth: 16 }))).toHaveLength(3);
    expect(edges(await mem.knowledge.queryGraph({ agentId: 'agent-a', source: 'C', maxDepth: 5 }))).toEqual(['C-related_to->D@1']);
    expect(await mem.knowledge.queryGraph({ agentId: 'agent-a', source: 'D', maxDepth: 5 })).toEqual([]);
    expect(await mem.knowledge.queryGraph({ agentId: 'agent-a', source: 'nobody' })).toEqual([]);
  });

  it('without a source every relation of the agent is a depth-1 match', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    await chain(mem, clock);
    expect(edges(await mem.knowledge.queryGraph({ agentId: 'agent-a', maxDepth: 3 }))).toEqual([
      'A-related_to->B@1', 'B-related_to->C@1', 'C-related_to->D@1',
    ]);
  });

  it('terminates on cycles and reports each relation once at its smallest depth', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    const [a, b, c] = [await entity(mem, 'agent-a', 'A'), await entity(mem, 'agent-a', 'B'), await entity(mem, 'agent-a', 'C')];
    for (const [s, t] of [[a, b], [b, c], [c, a], [a, a]] as const) {
      clock.advance(1000);
      await mem.knowledge.addRelation({ agentId: 'agent-a', source: s, relation: 'related_to', target: t });
    }
    expect(edges(await mem.knowledge.queryGraph({ agentId: 'agent-a', source: 'A', maxDepth: 16 }))).toEqual([
      'A-related_to->B@1', 'A-related_to->A@1', 'B-related_to->C@2', 'C-related_to->A@3',
    ]);
    expect(edges(await mem.knowledge.queryGraph({ agentId: 'agent-a', source: 'B', maxDepth: 16 }))).toEqual([
      'B-related_to->C@1', 'C-related_to->A@2', 'A-related_to->B@3', 'A-related_to->A@3',
    ]);
  });

  // 10 entities joined both ways (90 relations) have about 9^16 paths of up to 16 hops: a walk that
  // enumerated paths would neither finish nor report each relation once. The test's timeout only
  // guards against such a hang; what is checked is the result.
  it('walks a complete 10-entity graph to depth 16: all 90 relations, each once, at its smallest depth (1 or 2)', async () => {
    const mem = (await open()).mem;
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push(await entity(mem, 'agent-a', `n${i}`));
    for (const s of ids) for (const t of ids) if (s !== t) await mem.knowledge.addRelation({ agentId: 'agent-a', source: s, relation: 'related_to', target: t });
    const matches = await mem.knowledge.queryGraph({ agentId: 'agent-a', source: 'n0', maxDepth: 16, limit: 10_000 });
    expect(matches).toHaveLength(90);
    expect(new Set(matches.map((m) => m.relation.id)).size).toBe(90);
    // Depth 1: the 9 edges out of n0; depth 2: the 81 edges out of the others (each reached in one hop).
    const depth1 = matches.filter((m) => m.depth === 1);
    const depth2 = matches.filter((m) => m.depth === 2);
    expect(depth1).toHaveLength(9);
    expect(depth1.every((m) => m.source.name === 'n0')).toBe(true);
    expect(depth2).toHaveLength(81);
    expect(depth2.every((m) => m.source.name !== 'n0')).toBe(true);
  }, 60_000);

  it('uses the shortest hop when an edge is reachable along paths of different length', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    const [a, b, c, d] = [await entity(mem, 'agent-a', 'A'), await entity(mem, 'agent-a', 'B'), await entity(mem, 'agent-a', 'C'), await entity(mem, 'agent-a', 'D')];
    for (const [s, t] of [[a, b], [b, c], [c, d], [a, c]] as const) {
      clock.advance(1000);
      await mem.knowledge.addRelation({ agentId: 'agent-a', source: s, relation: 'related_to', target: t });
    }
    expect(edges(await mem.knowledge.queryGraph({ agentId: 'agent-a', source: 'A', maxDepth: 3 }))).toEqual([
      'A-related_to->B@1', 'A-related_to->C@1', 'B-related_to->C@2', 'C-related_to->D@2',
    ]);
  });

  it('applies the relation filter on every hop', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    const [a, b, c, d, e] = await Promise.all(['A', 'B', 'C', 'D', 'E'].map((n) => entity(mem, 'agent-a', n)));
    const links = [[a, 'uses', b], [b, 'uses', c], [b, 'part_of', d], [d, 'uses', e], [a, 'part_of', e]] as const;
    for (const [s, relation, t] of links) {
      clock.advance(1000);
      await mem.knowledge.addRelation({ agentId: 'agent-a', source: s!, relation, target: t! });
    }
    expect(edges(await mem.knowledge.queryGraph({ agentId: 'agent-a', source: 'A', relation: 'uses', maxDepth: 3 }))).toEqual([
      'A-uses->B@1', 'B-uses->C@2',
    ]);
    expect(edges(await mem.knowledge.queryGraph({ agentId: 'agent-a', source: 'A', relation: 'part_of', maxDepth: 3 }))).toEqual(['A-part_of->E@1']);
    expect(edges(await mem.knowledge.queryGraph({ agentId: 'agent-a', relation: 'part_of' }))).toEqual(['B-part_of->D@1', 'A-part_of->E@1']);
    expect(edges(await mem.knowledge.queryGraph({ agentId: 'agent-a', source: 'A', maxDepth: 3 }))).toEqual([
      'A-uses->B@1', 'A-part_of->E@1', 'B-uses->C@2', 'B-part_of->D@2', 'D-uses->E@3',
    ]);
  });

  it('keeps only edges ending at the target (by id or name)', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    const ids = await chain(mem, clock);
    expect(edges(await mem.knowledge.queryGraph({ agentId: 'agent-a', source: 'A', target: 'D', maxDepth: 3 }))).toEqual(['C-related_to->D@3']);
    expect(edges(await mem.knowledge.queryGraph({ agentId: 'agent-a', source: 'A', target: ids.C, maxDepth: 3 }))).toEqual(['B-related_to->C@2']);
    expect(await mem.knowledge.queryGraph({ agentId: 'agent-a', source: 'A', target: 'D', maxDepth: 2 })).toEqual([]);
    expect(edges(await mem.knowledge.queryGraph({ agentId: 'agent-a', target: 'B' }))).toEqual(['A-related_to->B@1']);
  });

  it('applies limit after ordering by depth, creation time and id', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    await chain(mem, clock);
    expect(edges(await mem.knowledge.queryGraph({ agentId: 'agent-a', source: 'A', maxDepth: 3, limit: 2 }))).toEqual([
      'A-related_to->B@1', 'B-related_to->C@2',
    ]);
    expect(edges(await mem.knowledge.queryGraph({ agentId: 'agent-a', limit: 1 }))).toEqual(['A-related_to->B@1']);
    // Same creation time: ordered by relation id.
    const a = await entity(mem, 'agent-b', 'A');
    const b = await entity(mem, 'agent-b', 'B');
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await mem.knowledge.addRelation({ agentId: 'agent-b', source: a, relation: 'knows_about', target: b }));
    expect((await mem.knowledge.queryGraph({ agentId: 'agent-b', source: 'A' })).map((m) => m.relation.id)).toEqual([...ids].sort());
  });

  it('returns more than 100 matches when asked (no silent cap)', async () => {
    const mem = (await open()).mem;
    const hub = await entity(mem, 'agent-a', 'hub');
    const leaf = await entity(mem, 'agent-a', 'leaf');
    for (let i = 0; i < 120; i++) await mem.knowledge.addRelation({ agentId: 'agent-a', source: hub, relation: 'uses', target: leaf });
    expect(await mem.knowledge.queryGraph({ agentId: 'agent-a', source: 'hub' })).toHaveLength(100);
    expect(await mem.knowledge.queryGraph({ agentId: 'agent-a', source: 'hub', limit: 10_000 })).toHaveLength(120);
  });

  it('rejects out-of-range maxDepth/limit and bad patterns with VALIDATION', async () => {
    const mem = (await open()).mem;
    const bad: unknown[] = [
      null,
      { agentId: '' },
      { agentId: 'agent-a', maxDepth: 0 },
      { agentId: 'agent-a', maxDepth: 17 },
      { agentId: 'agent-a', maxDepth: 1.5 },
      { agentId: 'agent-a', maxDepth: '2' },
      { agentId: 'agent-a', limit: 0 },
      { agentId: 'agent-a', limit: 10_001 },
      { agentId: 'agent-a', limit: -1 },
      { agentId: 'agent-a', relation: 'bad type' },
      { agentId: 'agent-a', relation: 'uses', relationFilter: 'first_hop' },
      { agentId: 'agent-a', relationFilter: 'every hop' },
      { agentId: 'agent-a', source: '' },
      { agentId: 'agent-a', target: 3 },
    ];
    for (const pattern of bad) {
      await expect(mem.knowledge.queryGraph(pattern as never)).rejects.toMatchObject({ code: 'VALIDATION' });
    }
    expect(await mem.knowledge.queryGraph({ agentId: 'agent-a', maxDepth: 16, limit: 10_000 })).toEqual([]);
  });

  it('isolates agents: queries never cross into another agent’s graph', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    await chain(mem, clock, 'agent-a');
    const bx = await entity(mem, 'agent-b', 'A');
    const by = await entity(mem, 'agent-b', 'Y');
    await mem.knowledge.addRelation({ agentId: 'agent-b', source: bx, relation: 'uses', target: by });
    expect(edges(await mem.knowledge.queryGraph({ agentId: 'agent-b', source: 'A', maxDepth: 3 }))).toEqual(['A-uses->Y@1']);
    expect(edges(await mem.knowledge.queryGraph({ agentId: 'agent-a', source: 'A', maxDepth: 3 }))).toHaveLength(3);
    expect(await mem.knowledge.queryGraph({ agentId: 'agent-c', source: 'A' })).toEqual([]);
    const aIds = (await mem.knowledge.queryGraph({ agentId: 'agent-a' })).flatMap((m) => [m.source.agentId, m.target.agentId, m.relation.agentId]);
    expect(new Set(aIds)).toEqual(new Set(['agent-a']));
  });

  itIf('rawSql', 'fails closed instead of returning another agent’s entity from a tampered graph', async () => {
    const inst = await open();
    const a = await entity(inst.mem, 'agent-a', 'A');
    const b = await entity(inst.mem, 'agent-a', 'B');
    const foreign = await entity(inst.mem, 'agent-b', 'Secret');
    await inst.mem.knowledge.addRelation({ agentId: 'agent-a', source: a, relation: 'uses', target: b });
    await inst.rawSql(
      "insert into relations (id, agent_id, source_entity, relation_type, target_entity, properties, confidence, created_at) values ('tampered', 'agent-a', ?, 'uses', ?, '{}', 1, 0)",
      b,
      foreign,
    );
    await expect(inst.mem.knowledge.queryGraph({ agentId: 'agent-a', source: 'A', maxDepth: 2 })).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(edges(await inst.mem.knowledge.queryGraph({ agentId: 'agent-a', source: 'A', maxDepth: 1 }))).toEqual(['A-uses->B@1']);
  });

  it('the facade addEntity/addRelation/queryGraph use the same store', async () => {
    const mem = (await open()).mem;
    const a = await mem.addEntity({ agentId: 'agent-a', entityType: 'project', name: 'P' });
    const b = await mem.addEntity({ agentId: 'agent-a', entityType: 'tool', name: 'T' });
    const r = await mem.addRelation({ agentId: 'agent-a', source: a, relation: 'uses', target: b });
    expect((await mem.queryGraph({ agentId: 'agent-a', source: 'P' })).map((m) => m.relation.id)).toEqual([r]);
    expect((await mem.knowledge.getEntity(a))?.entityType).toBe('project');
  });

  it('entity and relation types are open strings (1..64 of letters, digits, _ . : -); the OpenFang names stay constants', async () => {
    const mem = (await open()).mem;
    expect(ENTITY_TYPES).toContain('person');
    expect(RELATION_TYPES).toContain('works_at');
    const lib = await mem.knowledge.addEntity({ agentId: 'agent-a', entityType: 'software:library', name: 'zod' });
    const dev = await mem.knowledge.addEntity({ agentId: 'agent-a', entityType: 'T'.repeat(64), name: 'Colin' });
    await mem.knowledge.addRelation({ agentId: 'agent-a', source: lib, relation: 'maintained-by.v2', target: dev });
    expect(edges(await mem.knowledge.queryGraph({ agentId: 'agent-a', relation: 'maintained-by.v2' }))).toEqual(['zod-maintained-by.v2->Colin@1']);
    expect(await mem.knowledge.getEntity(lib)).toMatchObject({ entityType: 'software:library' });
    expect(await mem.knowledge.queryGraph({ agentId: 'agent-a', relation: 'works_at' })).toEqual([]);
  });

  it('entities are unique per (agent, type, name): a second addEntity is a CONFLICT and writes nothing', async () => {
    const mem = (await open()).mem;
    const ada = await mem.knowledge.addEntity({ agentId: 'agent-a', entityType: 'person', name: 'Ada', properties: { v: 1 } });
    const dup = mem.knowledge.addEntity({ agentId: 'agent-a', entityType: 'person', name: 'Ada', properties: { v: 2 } });
    await expect(dup).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(dup).rejects.toThrow(/upsertEntity/);
    // Another type, another agent, another case: other entities.
    const tool = await mem.knowledge.addEntity({ agentId: 'agent-a', entityType: 'tool', name: 'Ada' });
    const other = await mem.knowledge.addEntity({ agentId: 'agent-b', entityType: 'person', name: 'Ada' });
    const lower = await mem.knowledge.addEntity({ agentId: 'agent-a', entityType: 'person', name: 'ada' });
    expect(new Set([ada, tool, other, lower]).size).toBe(4);
    // Replacing by id onto a taken (type, name) is a CONFLICT too; the entity stays as it was.
    await expect(mem.knowledge.addEntity({ id: tool, agentId: 'agent-a', entityType: 'person', name: 'Ada' })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await mem.knowledge.getEntity(tool)).toMatchObject({ entityType: 'tool', name: 'Ada' });
    expect(await mem.knowledge.getEntity(ada)).toMatchObject({ properties: { v: 1 } });
    // Replacing an entity by id with its own (type, name) is fine.
    expect(await mem.knowledge.addEntity({ id: ada, agentId: 'agent-a', entityType: 'person', name: 'Ada', properties: { v: 3 } })).toBe(ada);
    expect((await mem.knowledge.listEntities({ agentId: 'agent-a' })).items.map((e) => e.id)).toEqual([ada, tool, lower]);
  });

  it('upsertEntity finds by (agent, type, name) and merges properties, or creates', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    const created = clock.now;
    const first = await mem.knowledge.upsertEntity({ agentId: 'agent-a', entityType: 'person', name: 'Ada', properties: { a: 1, b: 1 } });
    expect(first.created).toBe(true);
    clock.advance(1000);
    expect(await mem.knowledge.upsertEntity({ agentId: 'agent-a', entityType: 'person', name: 'Ada', properties: { b: 2, c: [3] } })).toEqual({ id: first.id, created: false });
    expect(await mem.knowledge.getEntity(first.id)).toStrictEqual({
      id: first.id, agentId: 'agent-a', entityType: 'person', name: 'Ada', properties: { a: 1, b: 2, c: [3] }, createdAt: created, updatedAt: created + 1000,
    });
    clock.advance(1000);
    // Without properties: found, properties unchanged, updatedAt bumped.
    expect(await mem.knowledge.upsertEntity({ agentId: 'agent-a', entityType: 'person', name: 'Ada' })).toEqual({ id: first.id, created: false });
    expect(await mem.knowledge.getEntity(first.id)).toMatchObject({ properties: { a: 1, b: 2, c: [3] }, updatedAt: created + 2000 });
    // Another type or case is another entity; a new one without properties gets {}.
    const tool = await mem.knowledge.upsertEntity({ agentId: 'agent-a', entityType: 'tool', name: 'ada' });
    expect(tool.created).toBe(true);
    expect(await mem.knowledge.getEntity(tool.id)).toMatchObject({ entityType: 'tool', name: 'ada', properties: {} });
    // Merged properties over the limit are refused; nothing changes.
    await mem.knowledge.upsertEntity({ agentId: 'agent-a', entityType: 'person', name: 'Ada', properties: { big1: 'x'.repeat(40_000) } });
    await expect(mem.knowledge.upsertEntity({ agentId: 'agent-a', entityType: 'person', name: 'Ada', properties: { big2: 'x'.repeat(40_000) } })).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(Object.keys((await mem.knowledge.getEntity(first.id))?.properties ?? {})).toEqual(['a', 'b', 'c', 'big1']);
    const bad: unknown[] = [
      null,
      { agentId: 'agent-a', entityType: 'person', name: 'Ada', id: 'x' },
      { agentId: 'agent-a', entityType: 'person', name: '' },
      { agentId: 'agent-a', entityType: 'bad type', name: 'Ada' },
      { agentId: 'agent-a', entityType: 'person', name: 'Ada', properties: [] },
    ];
    for (const input of bad) await expect(mem.knowledge.upsertEntity(input as never)).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('concurrent upserts of one new name create exactly one entity', async () => {
    const mem = (await open()).mem;
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => mem.knowledge.upsertEntity({ agentId: 'agent-a', entityType: 'concept', name: 'Shared', properties: { [`k${i}`]: i } })),
    );
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const [entity] = (await mem.knowledge.listEntities({ agentId: 'agent-a' })).items;
    expect(Object.keys(entity?.properties ?? {}).sort()).toEqual(['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7']);
  });

  it('findEntities: exact name, or ASCII letters folded (the same on every backend), optionally by type', async () => {
    const mem = (await open()).mem;
    const ada = await mem.knowledge.addEntity({ agentId: 'agent-a', entityType: 'person', name: 'Ada Lovelace' });
    const adaTool = await mem.knowledge.addEntity({ agentId: 'agent-a', entityType: 'tool', name: 'ADA LOVELACE' });
    const emile = await mem.knowledge.addEntity({ agentId: 'agent-a', entityType: 'person', name: 'Émile' });
    await mem.knowledge.addEntity({ agentId: 'agent-b', entityType: 'person', name: 'Ada Lovelace' });
    const ids = async (lookup: Parameters<typeof mem.knowledge.findEntities>[0]) => (await mem.knowledge.findEntities(lookup)).map((e) => e.id);
    expect(await ids({ agentId: 'agent-a', name: 'Ada Lovelace' })).toEqual([ada]);
    expect(await ids({ agentId: 'agent-a', name: 'ada lovelace' })).toEqual([]);
    // Ordered by type, then name, then id.
    expect(await ids({ agentId: 'agent-a', name: 'ada lovelace', caseInsensitive: true })).toEqual([ada, adaTool]);
    expect(await ids({ agentId: 'agent-a', name: 'aDA lOVELACE', caseInsensitive: true, entityType: 'tool' })).toEqual([adaTool]);
    expect(await ids({ agentId: 'agent-a', name: 'ada lovelace', caseInsensitive: true, limit: 1 })).toEqual([ada]);
    // Only ASCII letters fold: É and é stay different on every engine.
    expect(await ids({ agentId: 'agent-a', name: 'ÉMILE', caseInsensitive: true })).toEqual([emile]);
    expect(await ids({ agentId: 'agent-a', name: 'émile', caseInsensitive: true })).toEqual([]);
    expect(await ids({ agentId: 'agent-a', name: 'éMILE', caseInsensitive: true })).toEqual([]);
    expect((await mem.knowledge.findEntities({ agentId: 'agent-a', name: 'Émile' }))[0]).toMatchObject({ id: emile, name: 'Émile', entityType: 'person' });
    const bad: unknown[] = [
      null,
      { agentId: 'agent-a' },
      { agentId: 'agent-a', name: '' },
      { agentId: 'agent-a', name: 'x', caseInsensitive: 'yes' },
      { agentId: 'agent-a', name: 'x', entityType: 'no spaces' },
      { agentId: 'agent-a', name: 'x', limit: 0 },
      { agentId: 'agent-a', name: 'x', limit: 1001 },
      { agentId: 'agent-a', name: 'x', nmae: 'typo' },
    ];
    for (const lookup of bad) await expect(mem.knowledge.findEntities(lookup as never)).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.knowledge.findEntities({ agentId: 'agent-a', name: 'x', nmae: 'typo' } as never)).rejects.toThrow(/nmae/);
  });

  it('relations name their endpoints by id, { id } or { name, entityType? }; a name matching several entities is refused, listing them', async () => {
    const mem = (await open()).mem;
    const ada = await mem.knowledge.addEntity({ agentId: 'agent-a', entityType: 'person', name: 'Ada' });
    const acme = await mem.knowledge.addEntity({ agentId: 'agent-a', entityType: 'organization', name: 'Acme' });
    const acmeTool = await mem.knowledge.addEntity({ agentId: 'agent-a', entityType: 'tool', name: 'Acme' });
    await mem.knowledge.addEntity({ agentId: 'agent-b', entityType: 'person', name: 'Bob' });
    const r1 = await mem.knowledge.addRelationFor({ agentId: 'agent-a', source: { name: 'Ada' }, relation: 'works_at', target: { name: 'Acme', entityType: 'organization' } });
    expect(r1).toMatchObject({ agentId: 'agent-a', source: ada, relation: 'works_at', target: acme, properties: {}, confidence: 1 });
    const r2 = await mem.knowledge.addRelation({ agentId: 'agent-a', source: { id: ada }, relation: 'uses', target: { name: 'Acme', entityType: 'tool' } });
    expect((await mem.knowledge.listRelations({ agentId: 'agent-a' })).items.map((r) => [r.id, r.source, r.target])).toEqual([[r1.id, ada, acme], [r2, ada, acmeTool]]);
    const ambiguous = mem.knowledge.addRelation({ agentId: 'agent-a', source: ada, relation: 'knows_about', target: { name: 'Acme' } });
    await expect(ambiguous).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(ambiguous).rejects.toThrow(new RegExp(`organization ${acme}.*tool ${acmeTool}`));
    const bad: unknown[] = [
      { source: { name: 'Nobody' } },
      { source: { name: 'ada' } },
      { source: { name: 'Ada', entityType: 'tool' } },
      { source: { name: 'Bob' } },
      { source: { id: 'missing' } },
      { source: { name: 'Ada', nmae: 'x' } },
      { source: { id: ada, name: 'Ada' } },
      { source: { name: '' } },
      { source: { entityType: 'person' } },
      { source: {} },
      { source: 5 },
      { target: { name: 'Acme', entityType: 'bad type' } },
    ];
    for (const patch of bad) {
      await expect(mem.knowledge.addRelation({ agentId: 'agent-a', source: ada, relation: 'uses', target: acme, ...(patch as object) })).rejects.toMatchObject({ code: 'VALIDATION' });
    }
    await expect(mem.knowledge.addRelation({ agentId: 'agent-a', source: { name: 'Ada', nmae: 'x' } as never, relation: 'uses', target: acme })).rejects.toThrow(/source\.nmae/);
    expect((await mem.knowledge.listRelations({ agentId: 'agent-a' })).items).toHaveLength(2);
  });

  it('audit entries name a relation\'s resolved entity ids and whether an upsert created', async () => {
    const mem = (await open()).mem;
    const { id: ada } = await mem.knowledge.upsertEntity({ agentId: 'agent-a', entityType: 'person', name: 'Ada' });
    await mem.knowledge.upsertEntity({ agentId: 'agent-a', entityType: 'person', name: 'Ada', properties: { x: 1 } });
    const acme = await mem.knowledge.addEntity({ agentId: 'agent-a', entityType: 'organization', name: 'Acme' });
    const rel = await mem.knowledge.addRelation({ agentId: 'agent-a', source: { name: 'Ada' }, relation: 'works_at', target: { name: 'Acme', entityType: 'organization' } });
    const entries = (await mem.audit.entries({ agentId: 'agent-a' })).map((e) => [e.action, JSON.parse(e.detail)]);
    expect(entries).toEqual([
      ['knowledge.upsert_entity', { id: ada, entityType: 'person', created: true }],
      ['knowledge.upsert_entity', { id: ada, entityType: 'person', created: false }],
      ['knowledge.add_entity', { id: acme, entityType: 'organization' }],
      ['knowledge.add_relation', { id: rel, relation: 'works_at', source: ada, target: acme }],
    ]);
  });

  it('listEntities pages by creation time then id with an opaque cursor; inserts while paging neither repeat nor skip rows', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      clock.advance(10);
      ids.push(await mem.knowledge.addEntity({ agentId: 'agent-a', entityType: i % 2 === 0 ? 'person' : 'tool', name: `e${i}` }));
    }
    // Same creation time: ordered by id.
    const tied = [await mem.knowledge.addEntity({ id: 'z-tied', agentId: 'agent-a', entityType: 'person', name: 'tz' }), await mem.knowledge.addEntity({ id: 'a-tied', agentId: 'agent-a', entityType: 'person', name: 'ta' })];
    await mem.knowledge.addEntity({ agentId: 'agent-b', entityType: 'person', name: 'other agent' });
    const page1 = await mem.knowledge.listEntities({ agentId: 'agent-a', limit: 3 });
    expect(page1.items.map((e) => e.id)).toEqual(ids.slice(0, 3));
    expect(typeof page1.nextCursor).toBe('string');
    // Inserted between pages: a later entity appears at the end, once.
    clock.advance(10);
    const late = await mem.knowledge.addEntity({ agentId: 'agent-a', entityType: 'person', name: 'late' });
    const page2 = await mem.knowledge.listEntities({ agentId: 'agent-a', limit: 3, cursor: page1.nextCursor });
    expect(page2.items.map((e) => e.id)).toEqual(ids.slice(3, 6));
    const page3 = await mem.knowledge.listEntities({ agentId: 'agent-a', limit: 3, cursor: page2.nextCursor });
    expect(page3.items.map((e) => e.id)).toEqual([ids[6], ...[...tied].sort()]);
    const page4 = await mem.knowledge.listEntities({ agentId: 'agent-a', limit: 3, cursor: page3.nextCursor });
    expect(page4).toEqual({ items: [expect.objectContaining({ id: late, name: 'late' })] });
    // Exactly `limit` rows left: the last page has no cursor.
    expect((await mem.knowledge.listEntities({ agentId: 'agent-a', limit: 10 })).nextCursor).toBeUndefined();
    expect((await mem.knowledge.listEntities({ agentId: 'agent-a', limit: 9 })).nextCursor).toBeDefined();
    // By type; default limit 100; 1000 accepted.
    expect((await mem.knowledge.listEntities({ agentId: 'agent-a', entityType: 'tool' })).items.map((e) => e.id)).toEqual([ids[1], ids[3], ids[5]]);
    expect((await mem.knowledge.listEntities({ agentId: 'agent-a', limit: 1000 })).items).toHaveLength(10);
    expect(await mem.knowledge.listEntities({ agentId: 'agent-c' })).toEqual({ items: [] });
    const relationCursor = (await mem.knowledge.listRelations({ agentId: 'agent-a', limit: 1 })).nextCursor;
    const bad: unknown[] = [
      null,
      { agentId: '' },
      { agentId: 'agent-a', limit: 0 },
      { agentId: 'agent-a', limit: 1001 },
      { agentId: 'agent-a', limit: 2.5 },
      { agentId: 'agent-a', cursor: 'not a cursor' },
      { agentId: 'agent-a', cursor: '' },
      { agentId: 'agent-a', cursor: Buffer.from('["r",1,"x"]').toString('base64url') },
      { agentId: 'agent-a', cursor: Buffer.from('{"a":1}').toString('base64url') },
      { agentId: 'agent-a', entityType: 'bad type' },
      { agentId: 'agent-a', nextCursor: page1.nextCursor },
    ];
    expect(relationCursor).toBeUndefined();
    for (const query of bad) await expect(mem.knowledge.listEntities(query as never)).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('listRelations pages by creation time then id, filtered by relation type, source and target (by id or name)', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    const [a, b, c] = [await entity(mem, 'agent-a', 'A'), await entity(mem, 'agent-a', 'B'), await entity(mem, 'agent-a', 'C')];
    const bTool = await mem.knowledge.addEntity({ agentId: 'agent-a', entityType: 'tool', name: 'B' });
    const rel: string[] = [];
    for (const [s, r, t] of [[a, 'uses', b], [a, 'part_of', c], [b, 'uses', c], [bTool, 'uses', a], [a, 'uses', bTool]] as const) {
      clock.advance(10);
      rel.push(await mem.knowledge.addRelation({ agentId: 'agent-a', source: s, relation: r, target: t }));
    }
    const ids = async (query: Omit<Parameters<typeof mem.knowledge.listRelations>[0], 'agentId'>) => (await mem.knowledge.listRelations({ agentId: 'agent-a', ...query })).items.map((r) => r.id);
    expect(await ids({})).toEqual(rel);
    expect(await ids({ relation: 'uses' })).toEqual([rel[0], rel[2], rel[3], rel[4]]);
    expect(await ids({ source: a })).toEqual([rel[0], rel[1], rel[4]]);
    expect(await ids({ source: { id: a }, relation: 'uses' })).toEqual([rel[0], rel[4]]);
    // A name filter matches every entity of the agent with that name (of the type when given).
    expect(await ids({ source: { name: 'B' } })).toEqual([rel[2], rel[3]]);
    expect(await ids({ source: { name: 'B', entityType: 'tool' } })).toEqual([rel[3]]);
    expect(await ids({ target: { name: 'C' } })).toEqual([rel[1], rel[2]]);
    expect(await ids({ source: { name: 'A' }, target: { name: 'B' } })).toEqual([rel[0], rel[4]]);
    expect(await ids({ source: { name: 'Nobody' } })).toEqual([]);
    expect(await ids({ target: 'missing-id' })).toEqual([]);
    const first = await mem.knowledge.listRelations({ agentId: 'agent-a', relation: 'uses', limit: 3 });
    expect(first.items.map((r) => r.id)).toEqual([rel[0], rel[2], rel[3]]);
    expect(first.items[0]).toStrictEqual({ id: rel[0], agentId: 'agent-a', source: a, relation: 'uses', target: b, properties: {}, confidence: 1, createdAt: expect.any(Number) });
    clock.advance(10);
    const late = await mem.knowledge.addRelation({ agentId: 'agent-a', source: c, relation: 'uses', target: a });
    const second = await mem.knowledge.listRelations({ agentId: 'agent-a', relation: 'uses', limit: 3, cursor: first.nextCursor });
    expect(second).toEqual({ items: [expect.objectContaining({ id: rel[4] }), expect.objectContaining({ id: late })] });
    expect(await mem.knowledge.listRelations({ agentId: 'agent-b' })).toEqual({ items: [] });
    const entityCursor = (await mem.knowledge.listEntities({ agentId: 'agent-a', limit: 1 })).nextCursor;
    const bad: unknown[] = [
      null,
      { agentId: 'agent-a', limit: 0 },
      { agentId: 'agent-a', limit: 1001 },
      { agentId: 'agent-a', cursor: entityCursor },
      { agentId: 'agent-a', relation: 'bad type' },
      { agentId: 'agent-a', source: '' },
      { agentId: 'agent-a', source: { name: 'A', typo: 1 } },
      { agentId: 'agent-a', sources: a },
    ];
    for (const query of bad) await expect(mem.knowledge.listRelations(query as never)).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('queryGraph relationFilter: every_hop (the default) follows only that relation; last_hop follows any and returns only it', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    const [a, b, c, d, e] = [await entity(mem, 'agent-a', 'A'), await entity(mem, 'agent-a', 'B'), await entity(mem, 'agent-a', 'C'), await entity(mem, 'agent-a', 'D'), await entity(mem, 'agent-a', 'E')];
    for (const [s, relation, t] of [[a, 'uses', b], [b, 'uses', c], [b, 'part_of', d], [d, 'uses', e], [a, 'part_of', e]] as const) {
      clock.advance(1000);
      await mem.knowledge.addRelation({ agentId: 'agent-a', source: s, relation, target: t });
    }
    const q = (relation: string, relationFilter?: 'every_hop' | 'last_hop') =>
      mem.knowledge.queryGraph({ agentId: 'agent-a', source: 'A', relation, maxDepth: 3, ...(relationFilter ? { relationFilter } : {}) }).then(edges);
    expect(await q('part_of')).toEqual(['A-part_of->E@1']);
    expect(await q('part_of', 'every_hop')).toEqual(['A-part_of->E@1']);
    expect(await q('part_of', 'last_hop')).toEqual(['A-part_of->E@1', 'B-part_of->D@2']);
    expect(await q('uses', 'every_hop')).toEqual(['A-uses->B@1', 'B-uses->C@2']);
    expect(await q('uses', 'last_hop')).toEqual(['A-uses->B@1', 'B-uses->C@2', 'D-uses->E@3']);
    // The target filter still applies to the returned edge.
    expect(edges(await mem.knowledge.queryGraph({ agentId: 'agent-a', source: 'A', relation: 'uses', relationFilter: 'last_hop', target: 'E', maxDepth: 3 }))).toEqual(['D-uses->E@3']);
    // Without a relation it changes nothing; without a source every match is depth 1 either way.
    expect(edges(await mem.knowledge.queryGraph({ agentId: 'agent-a', source: 'A', relationFilter: 'last_hop', maxDepth: 3 }))).toEqual(edges(await mem.knowledge.queryGraph({ agentId: 'agent-a', source: 'A', maxDepth: 3 })));
    expect(edges(await mem.knowledge.queryGraph({ agentId: 'agent-a', relation: 'part_of', relationFilter: 'last_hop' }))).toEqual(['B-part_of->D@1', 'A-part_of->E@1']);
  });

  it('keeps entities and relations across a restart', async () => {
    const clock = new ManualClock();
    const inst = await open({ clock: clock.fn });
    const ids = await chain(inst.mem, clock);
    const before = await inst.mem.knowledge.queryGraph({ agentId: 'agent-a', source: 'A', maxDepth: 3 });
    await inst.reopen();
    expect(await inst.mem.knowledge.queryGraph({ agentId: 'agent-a', source: 'A', maxDepth: 3 })).toStrictEqual(before);
    expect(await inst.mem.knowledge.getEntity(ids.D)).toMatchObject({ id: ids.D, name: 'D', agentId: 'agent-a' });
  });
});
