import { sql } from 'kysely';
import {
  DUPLICATE_RELATIONS,
  GRAPH_BATCH_MAX,
  GRAPH_PAGE_DEFAULT,
  NAME_TAKEN,
  OBSERVATIONS_PROPERTY,
  GRAPH_PAGE_MAX,
  GRAPH_TYPE_PATTERN,
  RELATION_FILTERS,
  type Entity,
  type EntityBatch,
  type EntityDeletion,
  type EntityInput,
  type EntityListQuery,
  type EntityLookup,
  type EntityRef,
  type EntityType,
  type EntityUpsert,
  type GraphMatch,
  type GraphPattern,
  type ObservationBatch,
  type ObservationResult,
  type Page,
  type Relation,
  type RelationBatch,
  type RelationDeletion,
  type RelationInput,
  type RelationListQuery,
  type RelationType,
  type UpsertResult,
} from '../../contracts/knowledge-store.js';
import type { BackendKnowledgeStore, Owner } from '../../contracts/main-backend.js';
import type { JsonObject } from '../../contracts/types.js';
import { LIMITS } from '../../core/limits.js';
import { newId } from '../../core/ids.js';
import { ConflictError, InternalError, MemoryError, NotFoundError } from '../../errors.js';
import { num, SqlStore } from './context.js';
import type { SqlExecutor } from './engine.js';
import type { EntitiesTable, RelationsTable } from './schema.js';
import { decodeCursor, encodeCursor, type KeysetPosition } from '../../core/keyset-cursor.js';

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

/**
 * The case-insensitive lookup key of a name: ASCII A-Z folded to a-z and nothing else, so it is the
 * same on every engine and locale (migration 0005 fills it with the same folding in SQL).
 */
export function foldName(name: string): string {
  return name.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** A resolved-or-not endpoint: an entity id, or a name (and type) to look up. */
type Ref = { id: string } | { name: string; entityType: string | undefined };

/** How an endpoint is described in a message: its id, or its (type and) name. */
function describeRef(ref: Ref): string {
  return 'id' in ref ? ref.id : `${ref.entityType === undefined ? '' : `${ref.entityType} `}named ${JSON.stringify(ref.name)}`;
}

/** Endpoints a name may match before a list filter refuses it (entities of one name, all types). */
const NAME_MATCHES_MAX = 1000;


function toRelation(row: RelationsTable): Relation {
  return {
    id: row.id,
    agentId: row.agent_id,
    source: row.source_entity,
    relation: row.relation_type,
    target: row.target_entity,
    properties: JSON.parse(row.properties) as JsonObject,
    confidence: num(row.confidence),
    createdAt: num(row.created_at),
  };
}

function toEntity(row: Omit<EntitiesTable, 'name_folded'>): Entity {
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
   * Creates an entity (new time-ordered id) or, when `id` is given, creates it with that id or
   * replaces the entity with that id: an existing entity gets the new type, name and properties
   * (omitted properties become `{}`) and keeps its creation time.
   * @throws ValidationError for a bad agent id or id, an entityType not matching GRAPH_TYPE_PATTERN,
   *   an empty or over-long name (1024), or properties that are not a JSON object within
   *   LIMITS.metadataBytes.
   * @throws ConflictError when `id` belongs to another agent's entity, or when another entity of the
   *   agent already has this (entityType, name) — upsertEntity finds-or-creates by name. Nothing is
   *   written on error.
   */
  async addEntity(entity: EntityInput): Promise<string> {
    if (typeof entity !== 'object' || entity === null) this.v.fail('entity must be an object');
    this.v.knownKeys('', entity, ['id', 'agentId', 'entityType', 'name', 'properties']);
    const agentId = this.v.id('agentId', entity.agentId);
    const id = entity.id === undefined ? newId() : this.v.id('id', entity.id);
    const entityType = this.graphType('entityType', entity.entityType);
    const name = this.v.text('name', entity.name, NAME_BYTES);
    const properties = this.v.jsonObject('properties', entity.properties, LIMITS.metadataBytes).text;
    const now = this.clock();
    const row = await this.guard('entity add', () =>
      this.engine.first(
        this.engine.db
          .insertInto('entities')
          .values({ id, agent_id: agentId, entity_type: entityType, name, name_folded: foldName(name), properties, created_at: now, updated_at: now })
          .onConflict((oc) =>
            oc
              .column('id')
              .doUpdateSet((eb) => ({
                entity_type: eb.ref('excluded.entity_type'),
                name: eb.ref('excluded.name'),
                name_folded: eb.ref('excluded.name_folded'),
                properties: eb.ref('excluded.properties'),
                updated_at: eb.ref('excluded.updated_at'),
              }))
              .where('entities.agent_id', '=', agentId),
          )
          .returning('id')
          .compile(),
      ),
    ).catch((error: unknown) => {
      // The id conflict is handled above; this is the (agent, type, name) index (PostgreSQL names it, SQLite its columns).
      if (MemoryError.is(error) && error.code === 'CONFLICT' && /entities_agent_type_name|entities\.entity_type/.test(error.message)) {
        throw new ConflictError(`agent ${agentId} already has a ${entityType} entity named ${JSON.stringify(name)} (upsertEntity finds or creates it by name)`, {
          backend: this.engine.backendName,
          cause: error,
        });
      }
      throw error;
    });
    if (row === undefined) {
      throw new ConflictError(`entity ${id} belongs to another agent`, { backend: this.engine.backendName });
    }
    return id;
  }

  /**
   * Finds the agent's entity by (entityType, exact name) and merges `properties` into it (top-level
   * keys given replace the stored ones, the others stay; omitted = unchanged; updatedAt is bumped),
   * or creates it (new time-ordered id, exactly these properties). One transaction; concurrent
   * upserts of one name create it once.
   * @throws ValidationError as addEntity, or when the merged properties exceed LIMITS.metadataBytes.
   */
  async upsertEntity(entity: EntityUpsert): Promise<UpsertResult> {
    if (typeof entity !== 'object' || entity === null) this.v.fail('entity must be an object');
    this.v.knownKeys('', entity, ['agentId', 'entityType', 'name', 'properties']);
    const agentId = this.v.id('agentId', entity.agentId);
    const entityType = this.graphType('entityType', entity.entityType);
    const name = this.v.text('name', entity.name, NAME_BYTES);
    const given = entity.properties === undefined ? undefined : this.v.jsonObject('properties', entity.properties, LIMITS.metadataBytes);
    const id = newId();
    const now = this.clock();
    const db = this.engine.db;
    const insert = db
      .insertInto('entities')
      .values({ id, agent_id: agentId, entity_type: entityType, name, name_folded: foldName(name), properties: given?.text ?? '{}', created_at: now, updated_at: now })
      .onConflict((oc) => oc.columns(['agent_id', 'entity_type', 'name']).doNothing())
      .returning('id')
      .compile();
    const existing = db
      .selectFrom('entities')
      .select(['id', 'properties'])
      .where('agent_id', '=', agentId)
      .where('entity_type', '=', entityType)
      .where('name', '=', name)
      .modifyEnd(sql.raw(this.engine.forUpdate))
      .compile();
    return this.guard('entity upsert', () =>
      this.engine.transaction(async (tx) => {
        if ((await tx.first(insert)) !== undefined) return { id, created: true };
        const row = await tx.first(existing);
        if (row === undefined) {
          throw new ConflictError(`the ${entityType} entity ${JSON.stringify(name)} of agent ${agentId} was deleted while being upserted; retry`, { backend: this.engine.backendName });
        }
        const merged = given === undefined ? row.properties : this.v.json('properties', { ...(JSON.parse(row.properties) as JsonObject), ...given.object }, LIMITS.metadataBytes);
        await tx.run(db.updateTable('entities').set({ properties: merged, updated_at: now }).where('id', '=', row.id).compile());
        return { id: row.id, created: false };
      }),
    );
  }

  /**
   * Adds a relation (always a new id) between two existing entities of the agent, each named by id
   * or by name (and type); returns its id.
   * @throws ValidationError for a relation type not matching GRAPH_TYPE_PATTERN, confidence outside
   *   [0, 1] (default 1), bad properties, an endpoint that is not an entity of the agent, or a name
   *   matching several entities (listed); nothing is written.
   */
  async addRelation(relation: RelationInput): Promise<string> {
    return (await this.addRelationFor(relation)).id;
  }

  /** `addRelation`, returning the created relation (endpoints as entity ids). */
  async addRelationFor(relation: RelationInput): Promise<Relation> {
    if (typeof relation !== 'object' || relation === null) this.v.fail('relation must be an object');
    this.v.knownKeys('', relation, ['agentId', 'source', 'relation', 'target', 'properties', 'confidence']);
    const agentId = this.v.id('agentId', relation.agentId);
    const sourceRef = this.entityRef('source', relation.source);
    const targetRef = this.entityRef('target', relation.target);
    const relationType = this.graphType('relation', relation.relation);
    const properties = this.v.jsonObject('properties', relation.properties, LIMITS.metadataBytes);
    const confidence = relation.confidence === undefined ? 1 : this.v.number('confidence', relation.confidence, 0, 1);
    const id = newId();
    const createdAt = this.clock();
    return this.guard('relation add', () =>
      this.engine.transaction(async (tx) => {
        const source = await this.resolveOne(tx, agentId, 'source', sourceRef);
        const target = await this.resolveOne(tx, agentId, 'target', targetRef);
        await tx.run(
          this.engine.db
            .insertInto('relations')
            .values({ id, agent_id: agentId, source_entity: source, relation_type: relationType, target_entity: target, properties: properties.text, confidence, created_at: createdAt })
            .compile(),
        );
        return { id, agentId, source, relation: relationType, target, properties: properties.object, confidence, createdAt };
      }),
    );
  }

  /** The entity, or `undefined`. @throws ValidationError for a bad id. */
  async getEntity(id: string): Promise<Entity | undefined> {
    this.v.id('id', id);
    return this.guard('entity get', async () => {
      const row = await this.engine.first(this.engine.db.selectFrom('entities').selectAll().where('id', '=', id).compile());
      return row === undefined ? undefined : toEntity(row);
    });
  }

  /**
   * The agent's entities named `name` (exactly, or with ASCII letters folded when caseInsensitive),
   * of `entityType` when given; ordered by entity type, name, id; at most `limit` (1..1000, default 100).
   * @throws ValidationError for bad input.
   */
  async findEntities(lookup: EntityLookup): Promise<Entity[]> {
    if (typeof lookup !== 'object' || lookup === null) this.v.fail('lookup must be an object');
    this.v.knownKeys('', lookup, ['agentId', 'name', 'entityType', 'caseInsensitive', 'limit']);
    const agentId = this.v.id('agentId', lookup.agentId);
    const name = this.v.text('name', lookup.name, NAME_BYTES);
    const entityType = lookup.entityType === undefined ? undefined : this.graphType('entityType', lookup.entityType);
    if (lookup.caseInsensitive !== undefined && typeof lookup.caseInsensitive !== 'boolean') this.v.fail('caseInsensitive must be a boolean');
    const limit = this.pageLimit(lookup.limit);
    const q = this.engine.db
      .selectFrom('entities')
      .selectAll()
      .where('agent_id', '=', agentId)
      .$if(lookup.caseInsensitive === true, (b) => b.where('name_folded', '=', foldName(name)))
      .$if(lookup.caseInsensitive !== true, (b) => b.where('name', '=', name))
      .$if(entityType !== undefined, (b) => b.where('entity_type', '=', entityType as string))
      .orderBy('entity_type')
      .orderBy('name')
      .orderBy('id')
      .limit(limit)
      .compile();
    return this.guard('entity find', async () => (await this.engine.rows(q)).map(toEntity));
  }

  /**
   * One page of the agent's entities (of `entityType` when given), ordered by creation time then id.
   * @throws ValidationError for bad input, a limit outside 1..1000 or a cursor not from listEntities.
   */
  async listEntities(query: EntityListQuery): Promise<Page<Entity>> {
    if (typeof query !== 'object' || query === null) this.v.fail('query must be an object');
    this.v.knownKeys('', query, ['agentId', 'entityType', 'limit', 'cursor']);
    const agentId = this.v.id('agentId', query.agentId);
    const entityType = query.entityType === undefined ? undefined : this.graphType('entityType', query.entityType);
    const limit = this.pageLimit(query.limit);
    const after = this.decodeCursor('e', query.cursor);
    const q = this.engine.db
      .selectFrom('entities')
      .selectAll()
      .where('agent_id', '=', agentId)
      .$if(entityType !== undefined, (b) => b.where('entity_type', '=', entityType as string))
      .$if(after !== undefined, (b) => b.where((eb) => eb.or([eb('created_at', '>', after!.createdAt), eb.and([eb('created_at', '=', after!.createdAt), eb('id', '>', after!.id)])])))
      .orderBy('created_at')
      .orderBy('id')
      .limit(limit + 1)
      .compile();
    return this.guard('entity list', async () => this.page('e', (await this.engine.rows(q)).map(toEntity), limit));
  }

  /**
   * One page of the agent's relations, ordered by creation time then id, filtered by relation type
   * and by source / target entity (an id, or a name: every entity of the agent with that name, of
   * the type when given; a name matching none gives an empty page).
   * @throws ValidationError for bad input, a limit outside 1..1000 or a cursor not from listRelations.
   */
  async listRelations(query: RelationListQuery): Promise<Page<Relation>> {
    if (typeof query !== 'object' || query === null) this.v.fail('query must be an object');
    this.v.knownKeys('', query, ['agentId', 'relation', 'source', 'target', 'limit', 'cursor']);
    const agentId = this.v.id('agentId', query.agentId);
    const relation = query.relation === undefined ? undefined : this.graphType('relation', query.relation);
    const sourceRef = query.source === undefined ? undefined : this.entityRef('source', query.source);
    const targetRef = query.target === undefined ? undefined : this.entityRef('target', query.target);
    const limit = this.pageLimit(query.limit);
    const after = this.decodeCursor('r', query.cursor);
    return this.guard('relation list', async () => {
      const sources = sourceRef === undefined ? undefined : await this.resolveAll(agentId, 'source', sourceRef);
      const targets = targetRef === undefined ? undefined : await this.resolveAll(agentId, 'target', targetRef);
      if (sources?.length === 0 || targets?.length === 0) return { items: [] };
      const q = this.engine.db
        .selectFrom('relations')
        .selectAll()
        .where('agent_id', '=', agentId)
        .$if(relation !== undefined, (b) => b.where('relation_type', '=', relation as string))
        .$if(sources !== undefined, (b) => b.where('source_entity', 'in', sources as string[]))
        .$if(targets !== undefined, (b) => b.where('target_entity', 'in', targets as string[]))
        .$if(after !== undefined, (b) => b.where((eb) => eb.or([eb('created_at', '>', after!.createdAt), eb.and([eb('created_at', '=', after!.createdAt), eb('id', '>', after!.id)])])))
        .orderBy('created_at')
        .orderBy('id')
        .limit(limit + 1)
        .compile();
      return this.page('r', (await this.engine.rows(q)).map(toRelation), limit);
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
   * reached target, up to `maxDepth` hops. `relation` filters every hop (`relationFilter:
   * 'every_hop'`, the default: only `relation` edges are followed) or only the last one
   * (`'last_hop'`: edges of every type are followed, only `relation` edges are returned); `target` keeps only edges
   * ending at a matching entity (id or exact name). Each relation appears once, at the smallest hop
   * that reaches it. Ordered by depth, relation creation time, relation id; at most `limit` matches.
   * @throws ValidationError unless maxDepth is in 1..LIMITS.maxGraphDepth (default 1) and limit in
   *   1..LIMITS.maxGraphLimit (default 100) — nothing is capped silently.
   * @throws InternalError (fail closed) if the stored graph links to another agent's entities.
   */
  async queryGraph(pattern: GraphPattern): Promise<GraphMatch[]> {
    if (typeof pattern !== 'object' || pattern === null) this.v.fail('pattern must be an object');
    this.v.knownKeys('', pattern, ['agentId', 'source', 'relation', 'relationFilter', 'target', 'maxDepth', 'limit']);
    const agentId = this.v.id('agentId', pattern.agentId);
    const source = this.v.optionalText('source', pattern.source, NAME_BYTES);
    const target = this.v.optionalText('target', pattern.target, NAME_BYTES);
    const relation = pattern.relation === undefined ? undefined : this.graphType('relation', pattern.relation);
    const relationFilter = pattern.relationFilter === undefined ? 'every_hop' : this.v.oneOf('relationFilter', pattern.relationFilter, RELATION_FILTERS);
    const maxDepth = pattern.maxDepth === undefined ? 1 : this.v.int('maxDepth', pattern.maxDepth, 1, LIMITS.maxGraphDepth);
    const limit = pattern.limit === undefined ? 100 : this.v.int('limit', pattern.limit, 1, LIMITS.maxGraphLimit);
    return this.guard('graph query', async () => {
      // Without a start entity every relation of the agent is a depth-1 match; walking further adds nothing.
      const rows = source === undefined ? await this.agentEdges(agentId, relation, target, limit) : await this.walk(agentId, source, relation, relationFilter === 'every_hop', target, maxDepth, limit);
      if (rows.some((r) => r.r_agent_id !== agentId || r.s_agent_id !== agentId || r.t_agent_id !== agentId)) {
        throw new InternalError(`graph of agent ${agentId} links to another agent's data`, { backend: this.engine.backendName });
      }
      return rows.map((r) => ({
        depth: num(r.depth),
        relation: toRelation({
          id: r.r_id, agent_id: r.r_agent_id, source_entity: r.r_source, relation_type: r.r_type, target_entity: r.r_target,
          properties: r.r_properties, confidence: r.r_confidence, created_at: r.r_created_at,
        }),
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
   * targets of the edges out of each level (only `relation` edges when `everyHop`), every entity kept at the first depth it is reached
   * (so each is expanded once, whatever the graph's cycles). Each level is a few indexed statements
   * of at most IN_CHUNK ids, awaited one by one, so other requests keep being served between them; a
   * walk that reaches more than LIMITS.maxGraphVisited entities stops with VALIDATION. Then the
   * edges out of each level, in depth order, until `limit` matches.
   */
  private async walk(agentId: string, source: string, relation: RelationType | undefined, everyHop: boolean, target: string | undefined, hops: number, limit: number): Promise<GraphRow[]> {
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
            .$if(everyHop && relation !== undefined, (q) => q.where('r.relation_type', '=', relation as RelationType))
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

  /**
   * Creates the batch's entities in one transaction (new time-ordered ids, one creation time, batch
   * order kept), all or none; returns the created ones. With `onNameTaken: 'skip'` an entity whose
   * name the agent already has (any type), or an earlier one of the batch has, is skipped; the
   * name check and the inserts hold a per-agent lock (PostgreSQL advisory; SQLite's writer lock),
   * so concurrent batches of one agent never create one name twice.
   * @throws ValidationError for bad input (as addEntity; 1..GRAPH_BATCH_MAX entities).
   * @throws ConflictError (default `conflict`) when an entity of the same type and name exists or
   *   the batch repeats one; nothing is written.
   */
  async addEntities(batch: EntityBatch): Promise<Entity[]> {
    if (typeof batch !== 'object' || batch === null) this.v.fail('batch must be an object');
    this.v.knownKeys('', batch, ['agentId', 'entities', 'onNameTaken']);
    const agentId = this.v.id('agentId', batch.agentId);
    const onNameTaken = batch.onNameTaken === undefined ? 'conflict' : this.v.oneOf('onNameTaken', batch.onNameTaken, NAME_TAKEN);
    const now = this.clock();
    const wanted = this.batchItems('entities', batch.entities).map((entity, i) => {
      const field = `entities[${i}]`;
      if (typeof entity !== 'object' || entity === null) this.v.fail(`${field} must be an object`);
      this.v.knownKeys(`${field}.`, entity, ['entityType', 'name', 'properties']);
      const properties = this.v.jsonObject(`${field}.properties`, entity.properties, LIMITS.metadataBytes);
      return {
        entityType: this.graphType(`${field}.entityType`, entity.entityType),
        name: this.v.text(`${field}.name`, entity.name, NAME_BYTES),
        properties,
      };
    });
    const db = this.engine.db;
    return this.guard('entity batch add', () =>
      this.engine.transaction(async (tx) => {
        const taken = new Set<string>();
        if (onNameTaken === 'skip') {
          const names = [...new Set(wanted.map((e) => e.name))];
          for (let i = 0; i < names.length; i += IN_CHUNK) {
            const rows = await tx.rows(db.selectFrom('entities').select('name').where('agent_id', '=', agentId).where('name', 'in', names.slice(i, i + IN_CHUNK)).compile());
            for (const row of rows) taken.add(row.name);
          }
        }
        const created: Entity[] = [];
        const rows: EntitiesTable[] = [];
        for (const e of wanted) {
          if (onNameTaken === 'skip') {
            if (taken.has(e.name)) continue;
            taken.add(e.name);
          }
          const id = newId();
          created.push({ id, agentId, entityType: e.entityType, name: e.name, properties: e.properties.object, createdAt: now, updatedAt: now });
          rows.push({ id, agent_id: agentId, entity_type: e.entityType, name: e.name, name_folded: foldName(e.name), properties: e.properties.text, created_at: now, updated_at: now });
        }
        for (let i = 0; i < rows.length; i += IN_CHUNK) {
          await tx.run(db.insertInto('entities').values(rows.slice(i, i + IN_CHUNK)).compile()).catch((error: unknown) => {
            throw this.nameConflict(this.engine.mapError(error, 'entity batch add'), agentId);
          });
        }
        return created;
      }, { lock: `knowledge-names:${agentId}` }),
    );
  }

  /**
   * Adds the batch's relations in one transaction (new time-ordered ids, one creation time, batch
   * order kept), all or none; returns the added ones. With `onDuplicate: 'skip'` a relation is
   * skipped when the agent already has one with the same source, relation type and target, or an
   * earlier one of the batch has.
   * @throws ValidationError as addRelation (each endpoint must name exactly one entity of the
   *   agent), or for 0 or more than GRAPH_BATCH_MAX relations; nothing is written.
   */
  async addRelations(batch: RelationBatch): Promise<Relation[]> {
    if (typeof batch !== 'object' || batch === null) this.v.fail('batch must be an object');
    this.v.knownKeys('', batch, ['agentId', 'relations', 'onDuplicate']);
    const agentId = this.v.id('agentId', batch.agentId);
    const onDuplicate = batch.onDuplicate === undefined ? 'add' : this.v.oneOf('onDuplicate', batch.onDuplicate, DUPLICATE_RELATIONS);
    const wanted = this.batchItems('relations', batch.relations).map((relation, i) => {
      const field = `relations[${i}]`;
      if (typeof relation !== 'object' || relation === null) this.v.fail(`${field} must be an object`);
      this.v.knownKeys(`${field}.`, relation, ['source', 'relation', 'target', 'properties', 'confidence']);
      return {
        source: this.entityRef(`${field}.source`, relation.source),
        relation: this.graphType(`${field}.relation`, relation.relation),
        target: this.entityRef(`${field}.target`, relation.target),
        properties: this.v.jsonObject(`${field}.properties`, relation.properties, LIMITS.metadataBytes),
        confidence: relation.confidence === undefined ? 1 : this.v.number(`${field}.confidence`, relation.confidence, 0, 1),
      };
    });
    const createdAt = this.clock();
    const db = this.engine.db;
    return this.guard('relation batch add', () =>
      this.engine.transaction(async (tx) => {
        const resolved = new Map<string, string>();
        const resolve = async (field: string, ref: Ref) => {
          const key = JSON.stringify(ref);
          let id = resolved.get(key);
          if (id === undefined) resolved.set(key, (id = await this.resolveOne(tx, agentId, field, ref)));
          return id;
        };
        const seen = new Set<string>();
        const added: Relation[] = [];
        for (const [i, r] of wanted.entries()) {
          const source = await resolve(`relations[${i}].source`, r.source);
          const target = await resolve(`relations[${i}].target`, r.target);
          if (onDuplicate === 'skip') {
            const key = JSON.stringify([source, r.relation, target]);
            if (seen.has(key)) continue;
            seen.add(key);
            const existing = await tx.first(
              db.selectFrom('relations').select('id').where('source_entity', '=', source).where('relation_type', '=', r.relation).where('target_entity', '=', target).where('agent_id', '=', agentId).limit(1).compile(),
            );
            if (existing !== undefined) continue;
          }
          const relation: Relation = { id: newId(), agentId, source, relation: r.relation, target, properties: r.properties.object, confidence: r.confidence, createdAt };
          await tx.run(
            db.insertInto('relations')
              .values({ id: relation.id, agent_id: agentId, source_entity: source, relation_type: r.relation, target_entity: target, properties: r.properties.text, confidence: r.confidence, created_at: createdAt })
              .compile(),
          );
          added.push(relation);
        }
        return added;
      }),
    );
  }

  /**
   * Appends observations to entities' OBSERVATIONS_PROPERTY in one transaction, in order; an
   * observation the entity already has (or one repeated in the change) is not added again. Other
   * properties are kept; updatedAt is bumped on each entity that changed. One result per change.
   * @throws NotFoundError when an entity does not exist (nothing written).
   * @throws ValidationError for bad input, a name matching several entities, an entity whose
   *   observations property is not an array of strings, or properties growing past
   *   LIMITS.metadataBytes (nothing written).
   */
  async addObservations(batch: ObservationBatch): Promise<ObservationResult[]> {
    const { agentId, changes } = this.observationBatch(batch);
    return this.guard('observations add', () =>
      this.engine.transaction(async (tx) => {
        const entities = new Map<string, { name: string; properties: JsonObject; observations: string[] }>();
        const results: ObservationResult[] = [];
        for (const [i, change] of changes.entries()) {
          const entity = await this.observed(tx, agentId, `changes[${i}].entity`, change.entity, entities);
          if (entity === undefined) throw new NotFoundError(`changes[${i}].entity ${describeRef(change.entity)} is not an entity of agent ${agentId}`, { backend: this.engine.backendName });
          const added: string[] = [];
          for (const o of change.observations) {
            if (entity.value.observations.includes(o)) continue;
            entity.value.observations.push(o);
            added.push(o);
          }
          results.push({ entityId: entity.id, name: entity.value.name, observations: added });
        }
        await this.saveObservations(tx, entities, results);
        return results;
      }),
    );
  }

  /**
   * Removes observations (every copy) from entities' OBSERVATIONS_PROPERTY in one transaction, in
   * order; a change naming no entity is ignored. One result per change that removed something.
   * @throws ValidationError as addObservations.
   */
  async deleteObservations(batch: ObservationBatch): Promise<ObservationResult[]> {
    const { agentId, changes } = this.observationBatch(batch);
    return this.guard('observations delete', () =>
      this.engine.transaction(async (tx) => {
        const entities = new Map<string, { name: string; properties: JsonObject; observations: string[] }>();
        const results: ObservationResult[] = [];
        for (const [i, change] of changes.entries()) {
          const entity = await this.observed(tx, agentId, `changes[${i}].entity`, change.entity, entities);
          if (entity === undefined) continue;
          const gone = new Set(change.observations);
          const removed = [...new Set(entity.value.observations.filter((o) => gone.has(o)))];
          if (removed.length === 0) continue;
          entity.value.observations = entity.value.observations.filter((o) => !gone.has(o));
          results.push({ entityId: entity.id, name: entity.value.name, observations: removed });
        }
        await this.saveObservations(tx, entities, results);
        return results;
      }),
    );
  }

  /**
   * Deletes relations in one transaction: by id (of this agent), or by source, relation type and
   * target (a name matches every entity of the agent with it); one naming nothing is ignored.
   * Returns the removed ids in order.
   * @throws ValidationError for bad input (1..GRAPH_BATCH_MAX relations).
   */
  async deleteRelations(deletion: RelationDeletion): Promise<string[]> {
    if (typeof deletion !== 'object' || deletion === null) this.v.fail('deletion must be an object');
    this.v.knownKeys('', deletion, ['agentId', 'relations']);
    const agentId = this.v.id('agentId', deletion.agentId);
    const refs = this.batchItems('relations', deletion.relations).map((ref, i): { id: string } | { source: Ref; relation: string; target: Ref } => {
      const field = `relations[${i}]`;
      if (typeof ref === 'string') return { id: this.v.id(field, ref) };
      if (typeof ref !== 'object' || ref === null) this.v.fail(`${field} must be a relation id or { id } or { source, relation, target }`);
      if ('id' in ref && ref.id !== undefined) {
        this.v.knownKeys(`${field}.`, ref, ['id']);
        return { id: this.v.id(`${field}.id`, ref.id) };
      }
      this.v.knownKeys(`${field}.`, ref, ['source', 'relation', 'target']);
      const triple = ref as { source?: EntityRef; relation?: unknown; target?: EntityRef };
      return { source: this.entityRef(`${field}.source`, triple.source), relation: this.graphType(`${field}.relation`, triple.relation), target: this.entityRef(`${field}.target`, triple.target) };
    });
    const db = this.engine.db;
    return this.guard('relation batch delete', () =>
      this.engine.transaction(async (tx) => {
        const removed: string[] = [];
        for (const ref of refs) {
          let ids: string[];
          if ('id' in ref) {
            ids = [ref.id];
          } else {
            const sources = await this.resolveAllIn(tx, agentId, ref.source);
            const targets = await this.resolveAllIn(tx, agentId, ref.target);
            if (sources.length === 0 || targets.length === 0) continue;
            ids = (
              await tx.rows(
                db.selectFrom('relations').select('id').where('agent_id', '=', agentId).where('relation_type', '=', ref.relation)
                  .where('source_entity', 'in', sources).where('target_entity', 'in', targets).orderBy('created_at').orderBy('id').compile(),
              )
            ).map((r) => r.id);
          }
          for (let i = 0; i < ids.length; i += IN_CHUNK) {
            const rows = await tx.rows(db.deleteFrom('relations').where('agent_id', '=', agentId).where('id', 'in', ids.slice(i, i + IN_CHUNK)).returning('id').compile());
            const gone = new Set(rows.map((r) => r.id));
            removed.push(...ids.slice(i, i + IN_CHUNK).filter((id) => gone.has(id)));
          }
        }
        return removed;
      }),
    );
  }

  /**
   * Deletes entities and every relation touching them in one transaction: by id (of this agent),
   * or by name (every entity of the agent with it, of the type when given); one naming nothing is
   * ignored. Returns the removed entity ids in order.
   * @throws ValidationError for bad input (1..GRAPH_BATCH_MAX entities), or a name matching more
   *   than 1000 entities.
   */
  async deleteEntities(deletion: EntityDeletion): Promise<string[]> {
    if (typeof deletion !== 'object' || deletion === null) this.v.fail('deletion must be an object');
    this.v.knownKeys('', deletion, ['agentId', 'entities']);
    const agentId = this.v.id('agentId', deletion.agentId);
    const refs = this.batchItems('entities', deletion.entities).map((ref, i) => this.entityRef(`entities[${i}]`, ref));
    const db = this.engine.db;
    return this.guard('entity batch delete', () =>
      this.engine.transaction(async (tx) => {
        const ids: string[] = [];
        for (const ref of refs) for (const id of await this.resolveAllIn(tx, agentId, ref)) if (!ids.includes(id)) ids.push(id);
        const removed = new Set<string>();
        for (let i = 0; i < ids.length; i += IN_CHUNK) {
          const chunk = ids.slice(i, i + IN_CHUNK);
          await tx.run(db.deleteFrom('relations').where('agent_id', '=', agentId).where((eb) => eb.or([eb('source_entity', 'in', chunk), eb('target_entity', 'in', chunk)])).compile());
          for (const row of await tx.rows(db.deleteFrom('entities').where('agent_id', '=', agentId).where('id', 'in', chunk).returning('id').compile())) removed.add(row.id);
        }
        return ids.filter((id) => removed.has(id));
      }),
    );
  }

  /** A batch's items: an array of 1..GRAPH_BATCH_MAX. */
  private batchItems<T>(field: string, value: T[] | undefined): T[] {
    if (!Array.isArray(value)) this.v.fail(`${field} must be an array`);
    if (value.length === 0 || value.length > GRAPH_BATCH_MAX) this.v.fail(`${field} must hold 1..${GRAPH_BATCH_MAX} items`);
    return value;
  }

  /** The (agent, type, name) index refusing an insert, as the CONFLICT addEntity reports; other errors unchanged. */
  private nameConflict(error: Error, agentId: string): Error {
    if (MemoryError.is(error) && error.code === 'CONFLICT' && /entities_agent_type_name|entities\.entity_type/.test(error.message)) {
      return new ConflictError(`agent ${agentId} already has an entity of one of these types and names, or the batch repeats one (onNameTaken: 'skip' skips taken names)`, {
        backend: this.engine.backendName,
        cause: error,
      });
    }
    return error;
  }

  /** A validated observation batch. */
  private observationBatch(batch: ObservationBatch): { agentId: string; changes: { entity: Ref; observations: string[] }[] } {
    if (typeof batch !== 'object' || batch === null) this.v.fail('batch must be an object');
    this.v.knownKeys('', batch, ['agentId', 'changes']);
    const agentId = this.v.id('agentId', batch.agentId);
    const changes = this.batchItems('changes', batch.changes).map((change, i) => {
      const field = `changes[${i}]`;
      if (typeof change !== 'object' || change === null) this.v.fail(`${field} must be an object`);
      this.v.knownKeys(`${field}.`, change, ['entity', 'observations']);
      if (!Array.isArray(change.observations)) this.v.fail(`${field}.observations must be an array of strings`);
      return {
        entity: this.entityRef(`${field}.entity`, change.entity),
        observations: change.observations.map((o, j) => this.v.text(`${field}.observations[${j}]`, o, LIMITS.textLength, { allowEmpty: true })),
      };
    });
    return { agentId, changes };
  }

  /**
   * The entity a change names with its observations, read (and locked) once per transaction and
   * cached in `entities`; undefined when it names none. @throws ValidationError when it names
   * several, or its observations property is not an array of strings.
   */
  private async observed(
    tx: SqlExecutor,
    agentId: string,
    field: string,
    ref: Ref,
    entities: Map<string, { name: string; properties: JsonObject; observations: string[] }>,
  ): Promise<{ id: string; value: { name: string; properties: JsonObject; observations: string[] } } | undefined> {
    const matches = await tx.rows(this.matches(agentId, ref, 11));
    if (matches.length === 0) return undefined;
    const id = matches.length === 1 ? (matches[0] as { id: string }).id : await this.resolveOne(tx, agentId, field, ref);
    let value = entities.get(id);
    if (value === undefined) {
      const row = await tx.first(this.engine.db.selectFrom('entities').select(['name', 'properties']).where('id', '=', id).compile());
      if (row === undefined) return undefined;
      const properties = JSON.parse(row.properties) as JsonObject;
      const stored = properties[OBSERVATIONS_PROPERTY] ?? [];
      if (!Array.isArray(stored) || !stored.every((o) => typeof o === 'string')) {
        this.v.fail(`${field}: the ${OBSERVATIONS_PROPERTY} property of entity ${id} is not an array of strings`);
      }
      value = { name: row.name, properties, observations: [...(stored as string[])] };
      entities.set(id, value);
    }
    return { id, value };
  }

  /** Writes back the observations of every entity a result names (updatedAt bumped). */
  private async saveObservations(tx: SqlExecutor, entities: Map<string, { properties: JsonObject; observations: string[] }>, results: ObservationResult[]): Promise<void> {
    const now = this.clock();
    for (const id of new Set(results.filter((r) => r.observations.length > 0).map((r) => r.entityId))) {
      const value = entities.get(id) as { properties: JsonObject; observations: string[] };
      const properties = this.v.json('properties', { ...value.properties, [OBSERVATIONS_PROPERTY]: value.observations }, LIMITS.metadataBytes);
      await tx.run(this.engine.db.updateTable('entities').set({ properties, updated_at: now }).where('id', '=', id).compile());
    }
  }

  /** resolveAll inside a transaction (rows locked on PostgreSQL). */
  private async resolveAllIn(tx: SqlExecutor, agentId: string, ref: Ref): Promise<string[]> {
    const rows = await tx.rows(this.matches(agentId, ref, NAME_MATCHES_MAX + 1));
    if (rows.length > NAME_MATCHES_MAX) this.v.fail(`the entity ${describeRef(ref)} matches more than ${NAME_MATCHES_MAX} entities; give its entityType or id`);
    return rows.map((r) => r.id);
  }

  /** An entity or relation type: an open string matching GRAPH_TYPE_PATTERN. */
  private graphType(field: string, value: unknown): string {
    if (typeof value !== 'string' || !GRAPH_TYPE_PATTERN.test(value)) {
      this.v.fail(`${field} must be 1..64 characters of ASCII letters, digits, '_', '.', ':' or '-' (e.g. ${field === 'entityType' ? 'person' : 'works_at'})`);
    }
    return value;
  }

  private pageLimit(value: unknown): number {
    return value === undefined ? GRAPH_PAGE_DEFAULT : this.v.int('limit', value, 1, GRAPH_PAGE_MAX);
  }

  /** The position after which a page starts, from a cursor this list handed out. */
  private decodeCursor(kind: 'e' | 'r', cursor: unknown): KeysetPosition | undefined {
    return cursor === undefined ? undefined : decodeCursor(this.v, cursor, kind, kind === 'e' ? 'listEntities' : 'listRelations');
  }

  /** The first `limit` rows (fetched: limit + 1) and the cursor after them when more follow. */
  private page<T extends { createdAt: number; id: string }>(kind: 'e' | 'r', rows: T[], limit: number): Page<T> {
    if (rows.length <= limit) return { items: rows };
    const items = rows.slice(0, limit);
    const last = items[items.length - 1] as T;
    return { items, nextCursor: encodeCursor(kind, { createdAt: last.createdAt, id: last.id }) };
  }

  /** Validates an endpoint: a string or `{ id }` is an entity id, `{ name, entityType? }` a name. */
  private entityRef(field: string, value: EntityRef | undefined): Ref {
    if (typeof value === 'string') return { id: this.v.id(field, value) };
    if (typeof value !== 'object' || value === null) this.v.fail(`${field} must be an entity id or { id } or { name, entityType? }`);
    if ('id' in value && value.id !== undefined) {
      this.v.knownKeys(`${field}.`, value, ['id']);
      return { id: this.v.id(`${field}.id`, value.id) };
    }
    this.v.knownKeys(`${field}.`, value, ['name', 'entityType']);
    const byName = value as { name?: unknown; entityType?: unknown };
    return {
      name: this.v.text(`${field}.name`, byName.name, NAME_BYTES),
      entityType: byName.entityType === undefined ? undefined : this.graphType(`${field}.entityType`, byName.entityType),
    };
  }

  /** Entities of the agent an endpoint names, locked for the transaction on PostgreSQL. */
  private matches(agentId: string, ref: Ref, max: number) {
    return this.engine.db
      .selectFrom('entities')
      .select(['id', 'entity_type'])
      .where('agent_id', '=', agentId)
      .$if('id' in ref, (b) => b.where('id', '=', (ref as { id: string }).id))
      .$if('name' in ref, (b) => b.where('name', '=', (ref as { name: string }).name))
      .$if('name' in ref && (ref as { entityType?: string }).entityType !== undefined, (b) => b.where('entity_type', '=', (ref as { entityType: string }).entityType))
      .orderBy('entity_type')
      .orderBy('id')
      .limit(max)
      .modifyEnd(sql.raw(this.engine.forUpdate))
      .compile();
  }

  /** The one entity an endpoint names. @throws ValidationError when it names none or several (listed). */
  private async resolveOne(tx: SqlExecutor, agentId: string, field: string, ref: Ref): Promise<string> {
    const rows = await tx.rows(this.matches(agentId, ref, 11));
    const described = 'id' in ref ? ref.id : `${ref.entityType === undefined ? '' : `${ref.entityType} `}named ${JSON.stringify(ref.name)}`;
    if (rows.length === 0) this.v.fail(`${field} ${described} is not an entity of agent ${agentId}`);
    if (rows.length > 1) {
      const listed = rows.slice(0, 10).map((r) => `${r.entity_type} ${r.id}`).join(', ');
      this.v.fail(`${field} ${described} matches several entities of agent ${agentId}: ${listed}${rows.length > 10 ? ', …' : ''}; give its entityType or id`);
    }
    return (rows[0] as { id: string }).id;
  }

  /** Every entity id an endpoint filter names (a name: all of the agent's entities with it). */
  private async resolveAll(agentId: string, field: string, ref: Ref): Promise<string[]> {
    if ('id' in ref) return [ref.id];
    const rows = await this.engine.rows(this.matches(agentId, ref, NAME_MATCHES_MAX + 1));
    if (rows.length > NAME_MATCHES_MAX) this.v.fail(`${field} named ${JSON.stringify(ref.name)} matches more than ${NAME_MATCHES_MAX} entities; give its entityType or id`);
    return rows.map((r) => r.id);
  }
}
