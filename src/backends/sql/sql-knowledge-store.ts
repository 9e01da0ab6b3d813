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
/** One edge of a graph query with both endpoints, as selected. */
interface GraphRow {
  depth: number;
  r_id: string;
  r_agent_id: string;
  r_source: string;
  r_type: string;
  r_target: string;
  r_properties: string;
  r_confidence: number;
  r_created_at: number;
  s_id: string;
  s_agent_id: string;
  s_type: string;
  s_name: string;
  s_properties: string;
  s_created_at: number;
  s_updated_at: number;
  t_id: string;
  t_agent_id: string;
  t_type: string;
  t_name: string;
  t_properties: string;
  t_created_at: number;
  t_updated_at: number;
}

/** Ids per `in (…)` list of a graph walk. */
const IN_CHUNK = 500;

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
    this.v.knownKeys('', entity, ['id', 'agentId', 'entityType', 'name', 'properties']);
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
    this.v.knownKeys('', relation, ['agentId', 'source', 'relation', 'target', 'properties', 'confidence']);
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
    this.v.knownKeys('', pattern, ['agentId', 'source', 'relation', 'target', 'maxDepth', 'limit']);
    const agentId = this.v.id('agentId', pattern.agentId);
    const source = this.v.optionalText('source', pattern.source, NAME_BYTES);
    const target = this.v.optionalText('target', pattern.target, NAME_BYTES);
    const relation =
      pattern.relation === undefined ? undefined : this.v.oneOf('relation', pattern.relation, RELATION_TYPES);
    const maxDepth = pattern.maxDepth === undefined ? 1 : this.v.int('maxDepth', pattern.maxDepth, 1, LIMITS.maxGraphDepth);
    const limit = pattern.limit === undefined ? 100 : this.v.int('limit', pattern.limit, 1, LIMITS.maxGraphLimit);
    return this.guard('graph query', async () => {
      // Without a start entity every relation of the agent is a depth-1 match; walking further adds nothing.
      const rows = source === undefined ? await this.agentEdges(agentId, relation, target, limit) : await this.walk(agentId, source, relation, target, maxDepth, limit);
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
   * Breadth-first, one level at a time: the start entities (`source` by id or exact name), then the
   * targets of matching edges out of each level, every entity kept at the first depth it is reached
   * (so each is expanded once, whatever the graph's cycles). Each level is a few indexed statements
   * of at most IN_CHUNK ids, awaited one by one, so other requests keep being served between them; a
   * walk that reaches more than LIMITS.maxGraphVisited entities stops with VALIDATION. Then the
   * edges out of each level, in depth order, until `limit` matches.
   */
  private async walk(agentId: string, source: string, relation: RelationType | undefined, target: string | undefined, hops: number, limit: number): Promise<GraphRow[]> {
    const db = this.engine.db;
    const start = await this.engine.reader.rows(
      db
        .selectFrom('entities as e')
        .select('e.id')
        // Each branch is one index lookup (primary key; agent + name).
        .where((eb) => eb.or([eb.and([eb('e.id', '=', source), eb('e.agent_id', '=', agentId)]), eb.and([eb('e.agent_id', '=', agentId), eb('e.name', '=', source)])]))
        .compile(),
    );
    const levels: string[][] = [start.map((r) => r.id)];
    const seen = new Set(levels[0]);
    for (let depth = 1; depth < hops; depth++) {
      const frontier = levels[depth - 1] as string[];
      if (frontier.length === 0) break;
      const next: string[] = [];
      for (let i = 0; i < frontier.length; i += IN_CHUNK) {
        const targets = await this.engine.reader.rows(
          db
            .selectFrom('relations as r')
            .select('r.target_entity')
            .where('r.source_entity', 'in', frontier.slice(i, i + IN_CHUNK))
            .$if(relation !== undefined, (q) => q.where('r.relation_type', '=', relation as RelationType))
            .compile(),
        );
        for (const { target_entity: id } of targets) {
          if (seen.has(id)) continue;
          seen.add(id);
          next.push(id);
        }
        if (seen.size > LIMITS.maxGraphVisited) {
          this.v.fail(`the graph query reaches more than ${LIMITS.maxGraphVisited} entities; narrow it (a relation type, a smaller maxDepth)`);
        }
      }
      levels.push(next);
    }
    const out: GraphRow[] = [];
    for (const [depth, nodes] of levels.entries()) {
      const remaining = limit - out.length;
      if (remaining <= 0) break;
      const rows: GraphRow[] = [];
      for (let i = 0; i < nodes.length; i += IN_CHUNK) {
        rows.push(...(await this.engine.reader.rows(this.edgeQuery(relation, target, remaining, depth + 1, { sources: nodes.slice(i, i + IN_CHUNK) }))));
      }
      // Chunks are each ordered and limited; their union holds the level's first `remaining`.
      rows.sort((a, b) => num(a.r_created_at) - num(b.r_created_at) || (a.r_id < b.r_id ? -1 : a.r_id > b.r_id ? 1 : 0));
      out.push(...rows.slice(0, remaining));
    }
    return out;
  }

  /** Every relation of the agent (depth 1), with the filters, in order: one indexed statement. */
  private agentEdges(agentId: string, relation: RelationType | undefined, target: string | undefined, limit: number): Promise<GraphRow[]> {
    return this.engine.reader.rows(this.edgeQuery(relation, target, limit, 1, { agentId }));
  }

  /** Edges with their endpoints, filtered (relation type, target by id or name), ordered by creation time then id. */
  private edgeQuery(
    relation: RelationType | undefined,
    target: string | undefined,
    limit: number,
    depth: number,
    scope: { agentId: string } | { sources: string[] },
  ) {
    const base = this.engine.db
      .selectFrom('relations as r')
      .innerJoin('entities as s', 's.id', 'r.source_entity')
      .innerJoin('entities as t', 't.id', 'r.target_entity')
      .select([
        sql<number>`${sql.lit(depth)}`.as('depth'),
        'r.id as r_id', 'r.agent_id as r_agent_id', 'r.source_entity as r_source', 'r.relation_type as r_type',
        'r.target_entity as r_target', 'r.properties as r_properties', 'r.confidence as r_confidence', 'r.created_at as r_created_at',
        's.id as s_id', 's.agent_id as s_agent_id', 's.entity_type as s_type', 's.name as s_name',
        's.properties as s_properties', 's.created_at as s_created_at', 's.updated_at as s_updated_at',
        't.id as t_id', 't.agent_id as t_agent_id', 't.entity_type as t_type', 't.name as t_name',
        't.properties as t_properties', 't.created_at as t_created_at', 't.updated_at as t_updated_at',
      ]);
    return base
      .$if('agentId' in scope, (q) => q.where('r.agent_id', '=', (scope as { agentId: string }).agentId))
      .$if('sources' in scope, (q) => q.where('r.source_entity', 'in', (scope as { sources: string[] }).sources))
      .$if(relation !== undefined, (q) => q.where('r.relation_type', '=', relation as RelationType))
      .$if(target !== undefined, (q) => q.where((eb) => eb.or([eb('t.id', '=', target as string), eb('t.name', '=', target as string)])))
      .orderBy('r.created_at')
      .orderBy('r.id')
      .limit(limit)
      .compile();
  }
}
