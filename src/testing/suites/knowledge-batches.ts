import { expect, it } from 'vitest';
import type { Entity } from '../../contracts/knowledge-store.js';
import type { MemorySubstrate } from '../../index.js';
import type { SuiteContext } from '../conformance.js';
import { ManualClock } from '../clock.js';

/**
 * The knowledge store's batch methods (what the MCP knowledge-graph tools are made of): entities
 * and relations added several at a time, observations added and removed, relations and entities
 * deleted by id or by name — each one transaction, all or nothing. Declared inside the knowledge
 * suite, so they run on every cell.
 */

const A = 'agent-a';

/** `source-name -relation-> target-name` of every relation of the agent, in creation order. */
async function graph(mem: MemorySubstrate, agentId = A): Promise<{ entities: string[]; relations: string[] }> {
  const entities = (await mem.knowledge.listEntities({ agentId, limit: 1000 })).items;
  const names = new Map(entities.map((e) => [e.id, e.name]));
  const relations = (await mem.knowledge.listRelations({ agentId, limit: 1000 })).items;
  return {
    entities: entities.map((e) => `${e.entityType}:${e.name}`),
    relations: relations.map((r) => `${names.get(r.source)}-${r.relation}->${names.get(r.target)}`),
  };
}

const observations = async (mem: MemorySubstrate, name: string): Promise<unknown> => (await mem.knowledge.findEntities({ agentId: A, name }))[0]?.properties.observations;

export function knowledgeBatchTests({ open }: SuiteContext): void {
  it('addEntities creates a batch in order in one transaction; a taken type and name is a CONFLICT that writes nothing', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    const created = await mem.knowledge.addEntities({
      agentId: A,
      entities: [
        { entityType: 'person', name: 'Ada', properties: { observations: ['writes code'] } },
        { entityType: 'organization', name: 'Acme' },
        { entityType: 'tool', name: 'Loom' },
      ],
    });
    expect(created.map((e) => e.name)).toEqual(['Ada', 'Acme', 'Loom']);
    expect(created[0]).toStrictEqual({ id: created[0]?.id, agentId: A, entityType: 'person', name: 'Ada', properties: { observations: ['writes code'] }, createdAt: clock.now, updatedAt: clock.now });
    expect(await mem.knowledge.getEntity(created[1]?.id as string)).toStrictEqual(created[1]);
    // Listing keeps the batch's order.
    expect((await graph(mem)).entities).toEqual(['person:Ada', 'organization:Acme', 'tool:Loom']);

    await expect(mem.knowledge.addEntities({ agentId: A, entities: [{ entityType: 'concept', name: 'New' }, { entityType: 'person', name: 'Ada' }] })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(mem.knowledge.addEntities({ agentId: A, entities: [{ entityType: 'concept', name: 'Twice' }, { entityType: 'concept', name: 'Twice' }] })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await graph(mem)).entities).toEqual(['person:Ada', 'organization:Acme', 'tool:Loom']);
    // Another type of a taken name is a new entity by default.
    expect(await mem.knowledge.addEntities({ agentId: A, entities: [{ entityType: 'concept', name: 'Ada' }] })).toHaveLength(1);
  });

  it("addEntities with onNameTaken 'skip' skips names the agent has (any type) or the batch repeats", async () => {
    const mem = (await open()).mem;
    await mem.knowledge.addEntity({ agentId: A, entityType: 'person', name: 'Ada' });
    await mem.knowledge.addEntity({ agentId: 'agent-b', entityType: 'person', name: 'Bob' });
    const created = await mem.knowledge.addEntities({
      agentId: A,
      onNameTaken: 'skip',
      entities: [
        { entityType: 'concept', name: 'Ada' },
        { entityType: 'person', name: 'Bob' },
        { entityType: 'tool', name: 'Bob' },
        { entityType: 'tool', name: 'ada' },
      ],
    });
    expect(created.map((e) => `${e.entityType}:${e.name}`)).toEqual(['person:Bob', 'tool:ada']);
    expect(await mem.knowledge.addEntities({ agentId: A, onNameTaken: 'skip', entities: [{ entityType: 'person', name: 'Ada' }] })).toEqual([]);
    expect((await graph(mem)).entities).toEqual(['person:Ada', 'person:Bob', 'tool:ada']);
  });

  it('addEntities rejects bad batches with VALIDATION and writes nothing', async () => {
    const mem = (await open()).mem;
    const ok = { entityType: 'person', name: 'Ok' };
    for (const bad of [
      { agentId: A, entities: [] },
      { agentId: A, entities: Array.from({ length: 1001 }, (_, i) => ({ entityType: 'person', name: `n${i}` })) },
      { agentId: A, entities: [ok, { entityType: 'has space', name: 'x' }] },
      { agentId: A, entities: [ok, { entityType: 'person', name: '' }] },
      { agentId: A, entities: [ok, { entityType: 'person', name: 'x', extra: 1 }] },
      { agentId: A, entities: [ok], onNameTaken: 'merge' },
      { agentId: A, entities: [ok], extra: true },
      { agentId: '', entities: [ok] },
    ]) {
      await expect(mem.knowledge.addEntities(bad as never), JSON.stringify(bad).slice(0, 120)).rejects.toMatchObject({ code: 'VALIDATION' });
    }
    expect((await graph(mem)).entities).toEqual([]);
  });

  it("addRelations adds a batch by id or name, all or nothing; 'skip' skips existing and repeated relations", async () => {
    const mem = (await open()).mem;
    const [ada, acme, loom] = (await mem.knowledge.addEntities({ agentId: A, entities: [{ entityType: 'person', name: 'Ada' }, { entityType: 'organization', name: 'Acme' }, { entityType: 'tool', name: 'Loom' }] })) as [Entity, Entity, Entity];
    const added = await mem.knowledge.addRelations({
      agentId: A,
      relations: [
        { source: ada.id, relation: 'works_at', target: { name: 'Acme' } },
        { source: { name: 'Ada', entityType: 'person' }, relation: 'uses', target: { id: loom.id }, properties: { since: 2020 }, confidence: 0.5 },
      ],
    });
    expect(added).toMatchObject([
      { agentId: A, source: ada.id, relation: 'works_at', target: acme.id, properties: {}, confidence: 1 },
      { agentId: A, source: ada.id, relation: 'uses', target: loom.id, properties: { since: 2020 }, confidence: 0.5 },
    ]);
    expect((await mem.knowledge.listRelations({ agentId: A })).items).toStrictEqual(added);

    // An unknown endpoint refuses the whole batch.
    await expect(mem.knowledge.addRelations({ agentId: A, relations: [{ source: ada.id, relation: 'knows_about', target: loom.id }, { source: ada.id, relation: 'uses', target: { name: 'Nobody' } }] })).rejects.toMatchObject({ code: 'VALIDATION' });
    // By default a duplicate is added; with skip, existing and repeated ones are skipped.
    expect(await mem.knowledge.addRelations({ agentId: A, relations: [{ source: ada.id, relation: 'works_at', target: acme.id }] })).toHaveLength(1);
    const skipped = await mem.knowledge.addRelations({
      agentId: A,
      onDuplicate: 'skip',
      relations: [
        { source: ada.id, relation: 'works_at', target: acme.id },
        { source: acme.id, relation: 'uses', target: loom.id },
        { source: { name: 'Acme' }, relation: 'uses', target: { name: 'Loom' } },
      ],
    });
    expect(skipped.map((r) => [r.source, r.relation, r.target])).toEqual([[acme.id, 'uses', loom.id]]);
    expect((await graph(mem)).relations).toEqual(['Ada-works_at->Acme', 'Ada-uses->Loom', 'Ada-works_at->Acme', 'Acme-uses->Loom']);
    await expect(mem.knowledge.addRelations({ agentId: A, relations: [] })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.knowledge.addRelations({ agentId: A, relations: [{ source: ada.id, relation: 'has space', target: acme.id }] })).rejects.toMatchObject({ code: 'VALIDATION' });
    // Another agent's entity is not an endpoint.
    await expect(mem.knowledge.addRelations({ agentId: 'agent-b', relations: [{ source: ada.id, relation: 'uses', target: loom.id }] })).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('addObservations appends new observations in order, keeps other properties, and writes nothing when an entity is missing', async () => {
    const clock = new ManualClock();
    const mem = (await open({ clock: clock.fn })).mem;
    await mem.knowledge.addEntities({ agentId: A, entities: [{ entityType: 'person', name: 'Ada', properties: { role: 'engineer', observations: ['writes code'] } }, { entityType: 'tool', name: 'Loom' }] });
    clock.advance(1000);
    const results = await mem.knowledge.addObservations({
      agentId: A,
      changes: [
        { entity: { name: 'Ada' }, observations: ['writes code', 'likes tea', 'likes tea'] },
        { entity: { name: 'Loom', entityType: 'tool' }, observations: ['weaves'] },
        { entity: { name: 'Ada' }, observations: ['likes tea', 'reads'] },
      ],
    });
    expect(results.map((r) => [r.name, r.observations])).toEqual([['Ada', ['likes tea']], ['Loom', ['weaves']], ['Ada', ['reads']]]);
    const ada = (await mem.knowledge.findEntities({ agentId: A, name: 'Ada' }))[0];
    expect(ada).toMatchObject({ properties: { role: 'engineer', observations: ['writes code', 'likes tea', 'reads'] }, updatedAt: clock.now });
    expect(results[0]?.entityId).toBe(ada?.id);
    expect(await observations(mem, 'Loom')).toEqual(['weaves']);

    clock.advance(1000);
    await expect(mem.knowledge.addObservations({ agentId: A, changes: [{ entity: { name: 'Loom' }, observations: ['new'] }, { entity: { name: 'Nobody' }, observations: ['x'] }] })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await observations(mem, 'Loom')).toEqual(['weaves']);
    // Nothing new: nothing written (updatedAt unchanged).
    expect(await mem.knowledge.addObservations({ agentId: A, changes: [{ entity: { name: 'Loom' }, observations: ['weaves'] }] })).toMatchObject([{ observations: [] }]);
    expect((await mem.knowledge.findEntities({ agentId: A, name: 'Loom' }))[0]?.updatedAt).toBe(clock.now - 1000);
    // Another agent does not see the entity; a non-array observations property is refused.
    await expect(mem.knowledge.addObservations({ agentId: 'agent-b', changes: [{ entity: { name: 'Ada' }, observations: ['x'] }] })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await mem.knowledge.addEntity({ agentId: A, entityType: 'concept', name: 'Odd', properties: { observations: 'not a list' } });
    await expect(mem.knowledge.addObservations({ agentId: A, changes: [{ entity: { name: 'Odd' }, observations: ['x'] }] })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(mem.knowledge.addObservations({ agentId: A, changes: [{ entity: { name: 'Loom' }, observations: [3] }] } as never)).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('deleteObservations removes every copy, ignores missing entities and reports only what changed', async () => {
    const mem = (await open()).mem;
    await mem.knowledge.addEntities({ agentId: A, entities: [{ entityType: 'person', name: 'Ada', properties: { observations: ['a', 'b', 'a', 'c'] } }] });
    const results = await mem.knowledge.deleteObservations({
      agentId: A,
      changes: [
        { entity: { name: 'Ada' }, observations: ['a', 'zzz'] },
        { entity: { name: 'Nobody' }, observations: ['a'] },
        { entity: { name: 'Ada' }, observations: ['nothing'] },
      ],
    });
    expect(results.map((r) => [r.name, r.observations])).toEqual([['Ada', ['a']]]);
    expect(await observations(mem, 'Ada')).toEqual(['b', 'c']);
    expect(await mem.knowledge.deleteObservations({ agentId: A, changes: [{ entity: { name: 'Ada' }, observations: ['b', 'c'] }] })).toHaveLength(1);
    expect(await observations(mem, 'Ada')).toEqual([]);
  });

  it('deleteRelations deletes by id and by source, type and target (names match every entity), ignoring what names nothing', async () => {
    const mem = (await open()).mem;
    const [ada, acme, loom] = (await mem.knowledge.addEntities({ agentId: A, entities: [{ entityType: 'person', name: 'Ada' }, { entityType: 'organization', name: 'Acme' }, { entityType: 'tool', name: 'Loom' }] })) as [Entity, Entity, Entity];
    const [r1, r2, , r4] = await mem.knowledge.addRelations({
      agentId: A,
      relations: [
        { source: ada.id, relation: 'works_at', target: acme.id },
        { source: ada.id, relation: 'uses', target: loom.id },
        { source: acme.id, relation: 'uses', target: loom.id },
        { source: ada.id, relation: 'uses', target: loom.id },
      ],
    });
    const other = await mem.knowledge.addEntity({ agentId: 'agent-b', entityType: 'person', name: 'Bob' });
    const foreign = await mem.knowledge.addRelation({ agentId: 'agent-b', source: other, relation: 'knows_about', target: other });
    const removed = await mem.knowledge.deleteRelations({
      agentId: A,
      relations: [{ source: { name: 'Ada' }, relation: 'uses', target: { name: 'Loom' } }, { id: r1?.id as string }, foreign, '00000000-0000-4000-8000-000000000000', { source: { name: 'Nobody' }, relation: 'uses', target: loom.id }],
    });
    expect(removed).toEqual([r2?.id, r4?.id, r1?.id]);
    expect((await graph(mem)).relations).toEqual(['Acme-uses->Loom']);
    expect((await mem.knowledge.listRelations({ agentId: 'agent-b' })).items.map((r) => r.id)).toEqual([foreign]);
    await expect(mem.knowledge.deleteRelations({ agentId: A, relations: [{ source: ada.id, relation: 'uses' } as never] })).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('deleteEntities deletes by id and by name (every type) with the relations touching them, all in one transaction', async () => {
    const mem = (await open()).mem;
    const [ada, acme, loom, adaConcept] = (await mem.knowledge.addEntities({
      agentId: A,
      entities: [{ entityType: 'person', name: 'Ada' }, { entityType: 'organization', name: 'Acme' }, { entityType: 'tool', name: 'Loom' }, { entityType: 'concept', name: 'Ada' }],
    })) as [Entity, Entity, Entity, Entity];
    await mem.knowledge.addRelations({
      agentId: A,
      relations: [
        { source: ada.id, relation: 'works_at', target: acme.id },
        { source: acme.id, relation: 'uses', target: loom.id },
        { source: loom.id, relation: 'related_to', target: adaConcept.id },
      ],
    });
    await mem.knowledge.addEntity({ agentId: 'agent-b', entityType: 'person', name: 'Ada' });
    expect(await mem.knowledge.deleteEntities({ agentId: A, entities: [{ name: 'Ada' }, 'no-such-id', { name: 'Nobody' }] })).toEqual([adaConcept.id, ada.id]);
    expect(await graph(mem)).toEqual({ entities: ['organization:Acme', 'tool:Loom'], relations: ['Acme-uses->Loom'] });
    expect(await mem.knowledge.deleteEntities({ agentId: A, entities: [{ id: loom.id }, { name: 'Acme', entityType: 'person' }] })).toEqual([loom.id]);
    expect(await graph(mem)).toEqual({ entities: ['organization:Acme'], relations: [] });
    // Another agent's entities are untouched, by name or by id.
    expect(await mem.knowledge.deleteEntities({ agentId: 'agent-b', entities: [acme.id] })).toEqual([]);
    expect((await graph(mem, 'agent-b')).entities).toEqual(['person:Ada']);
    await expect(mem.knowledge.deleteEntities({ agentId: A, entities: [] })).rejects.toMatchObject({ code: 'VALIDATION' });
  });
}
