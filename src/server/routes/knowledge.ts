/** The knowledge graph: `/v1/entities`, `/v1/relations`, `/v1/graph/query`. */
import { checkOwner, hiddenFrom } from '../access.js';
import type { MemorySubstrate } from '../../assembly/substrate.js';
import { NotFoundError } from '../../errors.js';
import type { RouteTable } from '../route.js';
import { DeletedResponse, IdParams, IdResponse } from '../../wire/common.js';
import { Entity, EntityInput, GraphMatches, GraphPattern, RelationInput } from '../../wire/knowledge.js';

const TAG = 'knowledge';

export function knowledgeRoutes(table: RouteTable, mem: MemorySubstrate): void {
  table.add({
    method: 'POST',
    url: '/v1/entities',
    access: { scope: 'write', agents: ({ body }) => body.agentId },
    operationId: 'addEntity',
    tag: TAG,
    summary: 'Add (or, with an existing id, update) an entity (audited).',
    body: EntityInput,
    status: 201,
    response: IdResponse,
    errors: [409],
    async handler({ body }) {
      return { id: await mem.addEntity(body) };
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
    summary: 'Add a relation between two entities of the same agent (audited).',
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
}
