import { sql } from 'kysely';
import {
  ENTITY_TYPES,
  RELATION_TYPES,
  type Entity,
  type EntityInput,
  type EntityType,
  type GraphMatch,
  type GraphPattern,
  type Relation,
  type RelationInput,
  type RelationType,
} from '../../contracts/knowledge-store.js';
import type { BackendKnowledgeStore, Owner } from '../../contracts/main-backend.js';
import type { JsonObject } from '../../contracts/types.js';
import { LIMITS } from '../../core/limits.js';
import { newId } from '../../core/ids.js';
import { ConflictError, InternalError } from '../../errors.js';
import { num, SqlStore } from './context.js';
import type { EntitiesTable } from './schema.js';

/** Longest entity name (characters and UTF-8 bytes); also bounds the id-or-name graph filters. */
const NAME_BYTES = 1024;

function toEntity(row: EntitiesTable): Entity {
  return {
    id: row.id,
    agentId: row.agent_id,
    entityType: row.entity_type as EntityType,
    name: row.name,
    properties: JSON.parse(row.properties) as JsonObject,
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
  };
}

/**
 * Entities and relations on a SQL engine, scoped per agent. Relations must join two entities of
 * their agent; graph queries walk outgoing edges with a depth-bounded recursive CTE.
 */
export class SqlKnowledgeStore extends SqlStore implements BackendKnowledgeStore {
  /**
   * Creates an entity (new time-ordered id) or, when `id` is given, upserts it: an existing entity
   * gets the new type, name and properties (omitted properties become `{}`) and keeps its creation time.
   * @throws ValidationError for a bad agent id or id, an unknown entityType, an empty or over-long
   *   name (1024), or properties that are not a JSON object within LIMITS.metadataBytes.
   * @throws ConflictError when `id` belongs to another agent's entity. Nothing is written on error.
   */
  async addEntity(entity: EntityInput): Promise<string> {
    if (typeof entity !== 'object' || entity === null) this.v.fail('entity must be an object');
    const agentId = this.v.id('agentId', entity.agentId);
    const id = entity.id === undefined ? newId() : this.v.id('id', entity.id);
    const entityType = this.v.oneOf('entityType', entity.entityType, ENTITY_TYPES);
    const name = this.v.text('name', entity.name, NAME_BYTES);
    const properties = this.v.jsonObject('properties', entity.properties, LIMITS.metadataBytes).text;
    const now = this.clock();
    const row = await this.guard('entity add', () =>
      this.engine.first(
        this.engine.db
          .insertInto('entities')
          .values({ id, agent_id: agentId, entity_type: entityType, name, properties, created_at: now, updated_at: now })
          .onConflict((oc) =>
            oc
              .column('id')
              .doUpdateSet((eb) => ({
                entity_type: eb.ref('excluded.entity_type'),
                name: eb.ref('excluded.name'),
                properties: eb.ref('excluded.properties'),
                updated_at: eb.ref('excluded.updated_at'),
              }))
              .where('entities.agent_id', '=', agentId),
          )
          .returning('id')
          .compile(),
      ),
    );
    if (row === undefined) {
      throw new ConflictError(`entity ${id} belongs to another agent`, { backend: this.engine.backendName });
    }
    return id;
  }

  /**
   * Adds a relation (always a new id) between two existing entities of the agent.
   * @throws ValidationError for an unknown relation type, confidence outside [0, 1] (default 1),
   *   bad properties, or an endpoint that is not an entity of the agent; nothing is written.
   */
  async addRelation(relation: RelationInput): Promise<string> {
    if (typeof relation !== 'object' || relation === null) this.v.fail('relation must be an object');
    const agentId = this.v.id('agentId', relation.agentId);
    const source = this.v.id('source', relation.source);
    const target = this.v.id('target', relation.target);
    const relationType = this.v.oneOf('relation', relation.relation, RELATION_TYPES);
    const properties = this.v.jsonObject('properties', relation.properties, LIMITS.metadataBytes).text;
    const confidence = relation.confidence === undefined ? 1 : this.v.number('confidence', relation.confidence, 0, 1);
    const id = newId();
    const db = this.engine.db;
    const findEndpoints = db
      .selectFrom('entities')
      .select('id')
      .where('agent_id', '=', agentId)
      .where('id', 'in', [source, target])
      .modifyEnd(sql.raw(this.engine.forUpdate))
      .compile();
    const insert = db
      .insertInto('relations')
      .values({
        id,
        agent_id: agentId,
        source_entity: source,
        relation_type: relationType,
        target_entity: target,
        properties,
        confidence,
        created_at: this.clock(),
      })
      .compile();
    await this.guard('relation add', () =>
      this.engine.transaction(async (tx) => {
        const found = new Set((await tx.rows(findEndpoints)).map((r) => r.id));
        for (const [field, value] of [['source', source], ['target', target]] as const) {
          if (!found.has(value)) this.v.fail(`${field} ${value} is not an entity of agent ${agentId}`);
        }
        await tx.run(insert);
      }),
    );
    return id;
  }

  /** The entity, or `undefined`. @throws ValidationError for a bad id. */
  async getEntity(id: string): Promise<Entity | undefined> {
    this.v.id('id', id);
    return this.guard('entity get', async () => {
      const row = await this.engine.first(this.engine.db.selectFrom('entities').selectAll().where('id', '=', id).compile());
      return row === undefined ? undefined : toEntity(row);
    });
  }

  /** Removes the entity and every relation touching it, in one transaction; true when it existed. */
  async deleteEntity(id: string): Promise<boolean> {
    return (await this.deleteEntityFor(id)) !== undefined;
  }

  /** `deleteEntity`, returning the owner of the removed entity (undefined when there was none). */
  async deleteEntityFor(id: string): Promise<Owner | undefined> {
    this.v.id('id', id);
    const db = this.engine.db;
    const deleteRelations = db
      .deleteFrom('relations')
      .where((eb) => eb.or([eb('source_entity', '=', id), eb('target_entity', '=', id)]))
      .compile();
    const deleteEntity = db.deleteFrom('entities').where('id', '=', id).returning('agent_id').compile();
    return this.guard('entity delete', () =>
      this.engine.transaction(async (tx) => {
        await tx.run(deleteRelations);
        const row = await tx.first(deleteEntity);
        return row ? { agentId: row.agent_id } : undefined;
      }),
    );
  }

  /**
   * Walks the agent's graph. Start edges: relations whose source entity matches `source` (id or exact
   * name), or every relation of the agent when `source` is omitted; then outgoing edges of each
   * reached target, up to `maxDepth` hops. `relation` filters every hop; `target` keeps only edges
   * ending at a matching entity (id or exact name). Each relation appears once, at the smallest hop
   * that reaches it. Ordered by depth, relation creation time, relation id; at most `limit` matches.
   * @throws ValidationError unless maxDepth is in 1..LIMITS.maxGraphDepth (default 1) and limit in
   *   1..LIMITS.maxGraphLimit (default 100) — nothing is capped silently.
   * @throws InternalError (fail closed) if the stored graph links to another agent's entities.
   */
  async queryGraph(pattern: GraphPattern): Promise<GraphMatch[]> {
    if (typeof pattern !== 'object' || pattern === null) this.v.fail('pattern must be an object');
    const agentId = this.v.id('agentId', pattern.agentId);
    const source = this.v.optionalText('source', pattern.source, NAME_BYTES);
    const target = this.v.optionalText('target', pattern.target, NAME_BYTES);
    const relation =
      pattern.relation === undefined ? undefined : this.v.oneOf('relation', pattern.relation, RELATION_TYPES);
    const maxDepth = pattern.maxDepth === undefined ? 1 : this.v.int('maxDepth', pattern.maxDepth, 1, LIMITS.maxGraphDepth);
    const limit = pattern.limit === undefined ? 100 : this.v.int('limit', pattern.limit, 1, LIMITS.maxGraphLimit);
    // Without a start entity every relation is already a depth-1 match; walking further adds nothing.
    const query = this.graphQuery(agentId, source, relation, target, source === undefined ? 1 : maxDepth, limit);
    return this.guard('graph query', async () => {
      const rows = await this.engine.rows(query);
      if (rows.some((r) => r.r_agent_id !== agentId || r.s_agent_id !== agentId || r.t_agent_id !== agentId)) {
        throw new InternalError(`graph of agent ${agentId} links to another agent's data`, { backend: this.engine.backendName });
      }
      return rows.map((r) => ({
        depth: num(r.depth),
        relation: {
          id: r.r_id,
          agentId: r.r_agent_id,
          source: r.r_source,
          relation: r.r_type as RelationType,
          target: r.r_target,
          properties: JSON.parse(r.r_properties) as JsonObject,
          confidence: num(r.r_confidence),
          createdAt: num(r.r_created_at),
        } satisfies Relation,
        source: toEntity({
          id: r.s_id, agent_id: r.s_agent_id, entity_type: r.s_type, name: r.s_name,
          properties: r.s_properties, created_at: r.s_created_at, updated_at: r.s_updated_at,
        }),
        target: toEntity({
          id: r.t_id, agent_id: r.t_agent_id, entity_type: r.t_type, name: r.t_name,
          properties: r.t_properties, created_at: r.t_created_at, updated_at: r.t_updated_at,
        }),
      }));
    });
  }

  /**
   * The portable recursive CTE behind queryGraph. `reach(node, depth)` holds the start entities at
   * depth 0 and every entity reached by following matching edges, each (entity, depth) pair once
   * (UNION, not UNION ALL), so even a dense or cyclic graph yields at most entities × hops rows and
   * the depth bound ends the recursion. `first_hop` keeps each entity's smallest depth; an edge's
   * depth is its source entity's plus one, so each relation appears once, at its smallest hop.
   * Edges are followed by source entity alone, so every join uses the relations_source index or a
   * primary key: a relation's endpoints are always entities of its agent (addRelation checks it and
   * an entity id never changes agent). queryGraph re-checks the owner of every returned row.
   */
  private graphQuery(
    agentId: string,
    source: string | undefined,
    relation: RelationType | undefined,
    target: string | undefined,
    hops: number,
    limit: number,
  ) {
    return this.engine.db
      .withRecursive('reach(node, depth)', (db) =>
        db
          .selectFrom('entities as e')
          .select(['e.id as node', sql.lit(0).as('depth')])
          .where((eb) =>
            source === undefined
              ? eb('e.agent_id', '=', agentId)
              : // Each branch is one index lookup (primary key; agent + name).
                eb.or([
                  eb.and([eb('e.id', '=', source), eb('e.agent_id', '=', agentId)]),
                  eb.and([eb('e.agent_id', '=', agentId), eb('e.name', '=', source)]),
                ]),
          )
          .union(
            db
              .selectFrom('reach')
              .innerJoin('relations as r', 'r.source_entity', 'reach.node')
              .select(['r.target_entity as node', sql<number>`${sql.ref('reach.depth')} + 1`.as('depth')])
              .where('reach.depth', '<', hops - 1)
              .$if(relation !== undefined, (q) => q.where('r.relation_type', '=', relation as RelationType)),
          ),
      )
      .with('first_hop', (db) =>
        db.selectFrom('reach').select(['reach.node', (eb) => eb.fn.min<number>('reach.depth').as('depth')]).groupBy('reach.node'),
      )
      .selectFrom('first_hop')
      .innerJoin('relations as r', 'r.source_entity', 'first_hop.node')
      .innerJoin('entities as s', 's.id', 'r.source_entity')
      .innerJoin('entities as t', 't.id', 'r.target_entity')
      .select([
        sql<number>`${sql.ref('first_hop.depth')} + 1`.as('depth'),
        'r.id as r_id', 'r.agent_id as r_agent_id', 'r.source_entity as r_source', 'r.relation_type as r_type',
        'r.target_entity as r_target', 'r.properties as r_properties', 'r.confidence as r_confidence', 'r.created_at as r_created_at',
        's.id as s_id', 's.agent_id as s_agent_id', 's.entity_type as s_type', 's.name as s_name',
        's.properties as s_properties', 's.created_at as s_created_at', 's.updated_at as s_updated_at',
        't.id as t_id', 't.agent_id as t_agent_id', 't.entity_type as t_type', 't.name as t_name',
        't.properties as t_properties', 't.created_at as t_created_at', 't.updated_at as t_updated_at',
      ])
      .$if(relation !== undefined, (q) => q.where('r.relation_type', '=', relation as RelationType))
      .$if(target !== undefined, (q) =>
        q.where((eb) => eb.or([eb('t.id', '=', target as string), eb('t.name', '=', target as string)])),
      )
      .orderBy('first_hop.depth')
      .orderBy('r.created_at')
      .orderBy('r.id')
      .limit(limit)
      .compile();
  }
}
