/**
 * Migration 0005 (entities unique per agent, type and name) on a store with duplicates, written for
 * both engines: `seedAt0004` migrates a fresh database to 0004 and writes a graph with duplicates
 * straight into its tables; `expectMerged` checks, through the substrate that opened it (and so
 * applied 0005), that each group kept its oldest entity and every relation was re-pointed to it.
 */
import { Migrator, type Kysely, type Migration } from 'kysely';
import { expect } from 'vitest';
import type { MemorySubstrate } from '../../src/index.js';

export async function seedAt0004(db: Kysely<unknown>, all: Record<string, Migration>, migrationTableSchema?: string): Promise<void> {
  const upTo0004 = Object.fromEntries(Object.entries(all).filter(([name]) => name < '0005'));
  expect(Object.keys(upTo0004)).toHaveLength(4);
  const { error } = await new Migrator({ db, provider: { getMigrations: async () => upTo0004 }, ...(migrationTableSchema ? { migrationTableSchema } : {}) }).migrateToLatest();
  if (error) throw error;
  const entity = (id: string, agent: string, type: string, name: string, createdAt: number, properties: object = {}) => ({
    id, agent_id: agent, entity_type: type, name, properties: JSON.stringify(properties), created_at: createdAt, updated_at: createdAt,
  });
  const entities = [
    entity('e1', 'agent-a', 'person', 'Ada', 100, { v: 1 }),
    entity('e0', 'agent-a', 'person', 'Ada', 100, { v: 0 }), // same time as e1, smaller id: the one kept
    entity('e2', 'agent-a', 'person', 'Ada', 200, { v: 2 }),
    entity('t1', 'agent-a', 'tool', 'Ada', 300),
    entity('x1', 'agent-a', 'person', 'ADA', 50),
    entity('o1', 'agent-a', 'organization', 'Acme', 10),
    entity('o2', 'agent-a', 'organization', 'Acme', 5), // older: kept
    entity('u1', 'agent-a', 'concept', 'ÉMILE X', 60),
    entity('b1', 'agent-b', 'person', 'Ada', 400),
  ];
  const relation = (id: string, source: string, type: string, target: string, createdAt: number) => ({
    id, agent_id: 'agent-a', source_entity: source, relation_type: type, target_entity: target, properties: '{}', confidence: 1, created_at: createdAt,
  });
  const relations = [
    relation('r1', 'e1', 'works_at', 'o1', 1),
    relation('r2', 'e2', 'knows_about', 'e1', 2),
    relation('r3', 't1', 'uses', 'e2', 3),
    relation('r4', 'x1', 'related_to', 'o2', 4),
  ];
  await (db as Kysely<{ entities: object }>).insertInto('entities').values(entities).execute();
  await (db as Kysely<{ relations: object }>).insertInto('relations').values(relations).execute();
}

export async function expectMerged(mem: MemorySubstrate): Promise<void> {
  const k = mem.knowledge;
  expect((await k.listEntities({ agentId: 'agent-a' })).items.map((e) => [e.id, e.entityType, e.name])).toEqual([
    ['o2', 'organization', 'Acme'],
    ['x1', 'person', 'ADA'],
    ['u1', 'concept', 'ÉMILE X'],
    ['e0', 'person', 'Ada'],
    ['t1', 'tool', 'Ada'],
  ]);
  expect(await k.getEntity('e0')).toMatchObject({ properties: { v: 0 } });
  for (const gone of ['e1', 'e2', 'o1']) expect(await k.getEntity(gone)).toBeUndefined();
  expect((await k.listEntities({ agentId: 'agent-b' })).items.map((e) => e.id)).toEqual(['b1']);
  expect((await k.listRelations({ agentId: 'agent-a' })).items.map((r) => [r.id, r.source, r.relation, r.target])).toEqual([
    ['r1', 'e0', 'works_at', 'o2'],
    ['r2', 'e0', 'knows_about', 'e0'],
    ['r3', 't1', 'uses', 'e0'],
    ['r4', 'x1', 'related_to', 'o2'],
  ]);
  // name_folded was filled with ASCII-only folding, as the store writes it.
  const ci = async (name: string) => (await k.findEntities({ agentId: 'agent-a', name, caseInsensitive: true })).map((e) => e.id);
  expect(await ci('ada')).toEqual(['x1', 'e0', 't1']);
  expect(await ci('émile x')).toEqual([]);
  expect(await ci('Émile x')).toEqual(['u1']);
  // The unique index is in place.
  await expect(k.addEntity({ agentId: 'agent-a', entityType: 'person', name: 'Ada' })).rejects.toMatchObject({ code: 'CONFLICT' });
  expect(await k.upsertEntity({ agentId: 'agent-a', entityType: 'organization', name: 'Acme' })).toEqual({ id: 'o2', created: false });
}
