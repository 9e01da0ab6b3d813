/**
 * The knowledge graph: `/v1/entities`, `/v1/entities/upsert`, `/v1/entities/find`, `/v1/relations`,
 * `/v1/graph/query`, and the batches: `/v1/entities/batch`, `/v1/entities/delete`,
 * `/v1/relations/batch`, `/v1/relations/delete`, `/v1/observations`, `/v1/observations/delete`.
 */
import { checkOwner, hiddenFrom } from '../access.js';
import type { MemorySubstrate } from '../../assembly/substrate.js';
import { NotFoundError } from '../../errors.js';
import type { RouteTable } from '../route.js';
import { DeletedResponse, IdParams, IdResponse } from '../../wire/common.js';
import {
  DeletedIds,
  Entities,
  EntityBatch,
  EntityDeletion,
  Entity,
  EntityInput,
  EntityListQuery,
  EntityLookup,
  EntityPage,
  EntityUpsert,
  GraphMatches,
  GraphPattern,
  ObservationBatch,
  ObservationResults,
  RelationBatch,
  RelationDeletion,
  RelationInput,
  RelationListQuery,
  RelationPage,
  Relations,
  UpsertResult,
} from '../../wire/knowledge.js';

const TAG = 'knowledge';

export function knowledgeRoutes(table: RouteTable, mem: MemorySubstrate): void {
  table.add({
    method: 'POST',
    url: '/v1/entities',
    access: { scope: 'write', agents: ({ body }) => body.agentId },
    operationId: 'addEntity',
    tag: TAG,
    summary: 'Add (or, with an existing id, replace) an entity (audited); 409 when the agent already has one of this type and name.',
    body: EntityInput,
    status: 201,
    response: IdResponse,
    errors: [409],
    async handler({ body }) {
      return { id: await mem.addEntity(body) };
    },
  });

  table.add({
    method: 'POST',
    url: '/v1/entities/upsert',
    access: { scope: 'write', agents: ({ body }) => body.agentId },
    operationId: 'upsertEntity',
    tag: TAG,
    summary: 'Find the entity by agent, type and name and merge its properties, or create it (audited).',
    body: EntityUpsert,
    status: 200,
    response: UpsertResult,
    errors: [409],
    async handler({ body }) {
      return mem.knowledge.upsertEntity(body);
    },
  });

  table.add({
    method: 'POST',
    url: '/v1/entities/find',
    access: { scope: 'read', agents: ({ body }) => body.agentId },
    operationId: 'findEntities',
    tag: TAG,
    summary: 'The agent\'s entities with this name (exact, or ASCII case-insensitive), by type then name then id.',
    body: EntityLookup,
    status: 200,
    response: Entities,
    async handler({ body }) {
      return { entities: await mem.knowledge.findEntities(body) };
    },
  });

  table.add({
    method: 'GET',
    url: '/v1/entities',
    access: { scope: 'read', agents: ({ query }) => query.agentId },
    operationId: 'listEntities',
    tag: TAG,
    summary: 'One page of the agent\'s entities, by creation time then id (keyset cursor).',
    query: EntityListQuery,
    status: 200,
    response: EntityPage,
    async handler({ query }) {
      return mem.knowledge.listEntities(query);
    },
  });

  table.add({
    method: 'GET',
    url: '/v1/relations',
    access: { scope: 'read', agents: ({ query }) => query.agentId },
    operationId: 'listRelations',
    tag: TAG,
    summary: 'One page of the agent\'s relations, by creation time then id (keyset cursor), by type, source and target id.',
    query: RelationListQuery,
    status: 200,
    response: RelationPage,
    async handler({ query }) {
      return mem.knowledge.listRelations(query);
    },
  });

  table.add({
    method: 'GET',
    url: '/v1/entities/:id',
    access: { scope: 'read', owner: true },
    operationId: 'getEntity',
    tag: TAG,
    summary: 'One entity (404 when unknown).',
    params: IdParams,
    status: 200,
    response: Entity,
    errors: [404],
    async handler({ params }, request) {
      const entity = await mem.knowledge.getEntity(params.id);
      if (entity === undefined) throw new NotFoundError(`no entity ${params.id}`, { backend: 'gateway' });
      checkOwner(request, entity.agentId, `entity ${params.id}`);
      return entity;
    },
  });

  table.add({
    method: 'DELETE',
    url: '/v1/entities/:id',
    access: { scope: 'write', owner: true },
    operationId: 'deleteEntity',
    tag: TAG,
    summary: 'Delete an entity and every relation touching it.',
    params: IdParams,
    status: 200,
    response: DeletedResponse,
    async handler({ params }, request) {
      if (await hiddenFrom(request, () => mem.knowledge.getEntity(params.id))) return { deleted: false };
      return { deleted: await mem.knowledge.deleteEntity(params.id) };
    },
  });

  table.add({
    method: 'POST',
    url: '/v1/relations',
    access: { scope: 'write', agents: ({ body }) => body.agentId },
    operationId: 'addRelation',
    tag: TAG,
    summary: 'Add a relation between two entities of the same agent, each named by id or by name (audited).',
    body: RelationInput,
    status: 201,
    response: IdResponse,
    async handler({ body }) {
      return { id: await mem.addRelation(body) };
    },
  });

  table.add({
    method: 'POST',
    url: '/v1/graph/query',
    access: { scope: 'read', agents: ({ body }) => body.agentId },
    operationId: 'queryGraph',
    tag: TAG,
    summary: 'Graph pattern query: edges from a start entity up to maxDepth hops, ordered by depth.',
    body: GraphPattern,
    status: 200,
    response: GraphMatches,
    async handler({ body }) {
      return { matches: await mem.queryGraph(body) };
    },
  });

  table.add({
    method: 'POST',
    url: '/v1/entities/batch',
    access: { scope: 'write', agents: ({ body }) => body.agentId },
    operationId: 'addEntities',
    tag: TAG,
    summary: 'Create several entities in one transaction, all or none (audited once); onNameTaken skip skips names the agent has.',
    body: EntityBatch,
    status: 201,
    response: Entities,
    errors: [409],
    async handler({ body }) {
      return { entities: await mem.knowledge.addEntities(body) };
    },
  });

  table.add({
    method: 'POST',
    url: '/v1/entities/delete',
    access: { scope: 'write', agents: ({ body }) => body.agentId },
    operationId: 'deleteEntities',
    tag: TAG,
    summary: 'Delete entities by id or name, with every relation touching them, in one transaction (audited once).',
    body: EntityDeletion,
    status: 200,
    response: DeletedIds,
    async handler({ body }) {
      return { deleted: await mem.knowledge.deleteEntities(body) };
    },
  });

  table.add({
    method: 'POST',
    url: '/v1/relations/batch',
    access: { scope: 'write', agents: ({ body }) => body.agentId },
    operationId: 'addRelations',
    tag: TAG,
    summary: 'Add several relations in one transaction, all or none (audited once); onDuplicate skip skips existing ones.',
    body: RelationBatch,
    status: 201,
    response: Relations,
    async handler({ body }) {
      return { relations: await mem.knowledge.addRelations(body) };
    },
  });

  table.add({
    method: 'POST',
    url: '/v1/relations/delete',
    access: { scope: 'write', agents: ({ body }) => body.agentId },
    operationId: 'deleteRelations',
    tag: TAG,
    summary: 'Delete relations by id or by source, type and target, in one transaction (audited once).',
    body: RelationDeletion,
    status: 200,
    response: DeletedIds,
    async handler({ body }) {
      return { deleted: await mem.knowledge.deleteRelations(body) };
    },
  });

  table.add({
    method: 'POST',
    url: '/v1/observations',
    access: { scope: 'write', agents: ({ body }) => body.agentId },
    operationId: 'addObservations',
    tag: TAG,
    summary: "Append observations to entities' observations property in one transaction (audited once); 404, nothing written, when an entity is missing.",
    body: ObservationBatch,
    status: 200,
    response: ObservationResults,
    errors: [404],
    async handler({ body }) {
      return { results: await mem.knowledge.addObservations(body) };
    },
  });

  table.add({
    method: 'POST',
    url: '/v1/observations/delete',
    access: { scope: 'write', agents: ({ body }) => body.agentId },
    operationId: 'deleteObservations',
    tag: TAG,
    summary: "Remove observations from entities' observations property in one transaction (audited once); missing entities are ignored.",
    body: ObservationBatch,
    status: 200,
    response: ObservationResults,
    async handler({ body }) {
      return { results: await mem.knowledge.deleteObservations(body) };
    },
  });
}
