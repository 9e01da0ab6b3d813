/** Schemas of the knowledge graph: entities, relations and graph queries. */
import { z } from 'zod';
import * as C from '../contracts/knowledge-store.js';
import { LIMITS } from '../core/limits.js';
import { EpochMs, Id, intQuery, JsonObject, named } from './common.js';

export const EntityType = named(
  'EntityType',
  z.string().regex(C.GRAPH_TYPE_PATTERN),
  `An open entity type: 1..64 ASCII letters, digits, '_', '.', ':' or '-'. The OpenFang types: ${C.ENTITY_TYPES.join(', ')}.`,
);
export const RelationType = named(
  'RelationType',
  z.string().regex(C.GRAPH_TYPE_PATTERN),
  `An open relation type: 1..64 ASCII letters, digits, '_', '.', ':' or '-'. The OpenFang types: ${C.RELATION_TYPES.join(', ')}.`,
);
const EntityName = z.string().min(1).max(1024);
const PageLimit = z.int().min(1).max(C.GRAPH_PAGE_MAX).describe(`1..${C.GRAPH_PAGE_MAX} (default ${C.GRAPH_PAGE_DEFAULT}).`);
const Cursor = z.string().min(1).max(4096).describe('nextCursor of the previous page, unchanged.');

export const EntityRef = named(
  'EntityRef',
  z.union([Id, z.strictObject({ id: Id }), z.strictObject({ name: EntityName, entityType: EntityType.optional() })]) satisfies z.ZodType<C.EntityRef>,
  'An entity of the same agent: its id (a string or { id }), or { name, entityType? } — the exact name, which must match exactly one entity (give entityType when several types share it).',
);

export const EntityInput = named(
  'EntityInput',
  z.strictObject({
    id: Id.optional().describe('Give to create with this id or replace the entity with this id; omit for a new id.'),
    agentId: Id,
    entityType: EntityType,
    name: EntityName.describe('Unique per agent and entityType (a second one is a 409).'),
    properties: JsonObject.optional(),
  }) satisfies z.ZodType<C.EntityInput>,
);

export const EntityUpsert = named(
  'EntityUpsert',
  z.strictObject({
    agentId: Id,
    entityType: EntityType,
    name: EntityName,
    properties: JsonObject.optional().describe('Merged key by key into an existing entity\'s properties (omitted: unchanged); a new entity gets exactly these.'),
  }) satisfies z.ZodType<C.EntityUpsert>,
);

export const UpsertResult = named('UpsertResult', z.object({ id: z.string(), created: z.boolean() }) satisfies z.ZodType<C.UpsertResult>);

export const EntityLookup = named(
  'EntityLookup',
  z.strictObject({
    agentId: Id,
    name: EntityName,
    entityType: EntityType.optional(),
    caseInsensitive: z.boolean().optional().describe('Fold ASCII letters A-Z/a-z (nothing else) before comparing; default false.'),
    limit: PageLimit.optional(),
  }) satisfies z.ZodType<C.EntityLookup>,
);

/** GET /v1/entities query string. */
export const EntityListQuery = z.strictObject({
  agentId: Id,
  entityType: EntityType.optional(),
  limit: intQuery(1, C.GRAPH_PAGE_MAX, `1..${C.GRAPH_PAGE_MAX} (default ${C.GRAPH_PAGE_DEFAULT}).`).optional(),
  cursor: Cursor.optional(),
}) satisfies z.ZodType<C.EntityListQuery>;

/** GET /v1/relations query string: endpoints by id here (by name through the library). */
export const RelationListQuery = z.strictObject({
  agentId: Id,
  relation: RelationType.optional(),
  source: Id.optional().describe('Only relations out of this entity id.'),
  target: Id.optional().describe('Only relations into this entity id.'),
  limit: intQuery(1, C.GRAPH_PAGE_MAX, `1..${C.GRAPH_PAGE_MAX} (default ${C.GRAPH_PAGE_DEFAULT}).`).optional(),
  cursor: Cursor.optional(),
}) satisfies z.ZodType<C.RelationListQuery>;

export const Entity = named(
  'Entity',
  z.object({ id: z.string(), agentId: z.string(), entityType: EntityType, name: z.string(), properties: JsonObject, createdAt: EpochMs, updatedAt: EpochMs }) satisfies z.ZodType<C.Entity>,
);

export const RelationInput = named(
  'RelationInput',
  z.strictObject({
    agentId: Id,
    source: EntityRef,
    relation: RelationType,
    target: EntityRef,
    properties: JsonObject.optional(),
    confidence: z.number().min(0).max(1).optional(),
  }) satisfies z.ZodType<C.RelationInput>,
);

export const Relation = named(
  'Relation',
  z.object({
    id: z.string(),
    agentId: z.string(),
    source: z.string(),
    relation: RelationType,
    target: z.string(),
    properties: JsonObject,
    confidence: z.number(),
    createdAt: EpochMs,
  }) satisfies z.ZodType<C.Relation>,
);

export const GraphPattern = named(
  'GraphPattern',
  z.strictObject({
    agentId: Id,
    source: z.string().optional().describe('Start entity: id or exact name.'),
    relation: RelationType.optional(),
    relationFilter: z.enum(C.RELATION_FILTERS).optional().describe("every_hop (default): only `relation` edges are followed; last_hop: edges of any type are followed and only `relation` edges returned."),
    target: z.string().optional().describe('Only edges ending at this entity (id or exact name).'),
    maxDepth: z.int().min(1).max(LIMITS.maxGraphDepth).optional().describe(`Hops from source, 1..${LIMITS.maxGraphDepth} (default 1).`),
    limit: z.int().min(1).max(LIMITS.maxGraphLimit).optional().describe(`1..${LIMITS.maxGraphLimit} (default 100).`),
  }) satisfies z.ZodType<C.GraphPattern>,
);

export const GraphMatches = named(
  'GraphMatches',
  z.object({ matches: z.array(z.object({ source: Entity, relation: Relation, target: Entity, depth: z.int() }) satisfies z.ZodType<C.GraphMatch>) }),
);

export const Entities = named('Entities', z.object({ entities: z.array(Entity) }));
export const EntityPage = named('EntityPage', z.object({ items: z.array(Entity), nextCursor: z.string().optional() }) satisfies z.ZodType<C.Page<C.Entity>>);
export const RelationPage = named('RelationPage', z.object({ items: z.array(Relation), nextCursor: z.string().optional() }) satisfies z.ZodType<C.Page<C.Relation>>);

const Batch = <T extends z.ZodType>(item: T) => z.array(item).min(1).max(C.GRAPH_BATCH_MAX);

export const EntityBatch = named(
  'EntityBatch',
  z.strictObject({
    agentId: Id,
    entities: Batch(z.strictObject({ entityType: EntityType, name: EntityName, properties: JsonObject.optional() })).describe(`1..${C.GRAPH_BATCH_MAX} entities, created in this order.`),
    onNameTaken: z
      .enum(C.NAME_TAKEN)
      .optional()
      .describe("conflict (default): 409, nothing written, when an entity of the same type and name exists or the batch repeats one; skip: skip an entity whose name the agent has (any type) or the batch already named."),
  }) satisfies z.ZodType<C.EntityBatch>,
);

export const RelationBatch = named(
  'RelationBatch',
  z.strictObject({
    agentId: Id,
    relations: Batch(
      z.strictObject({ source: EntityRef, relation: RelationType, target: EntityRef, properties: JsonObject.optional(), confidence: z.number().min(0).max(1).optional() }),
    ).describe(`1..${C.GRAPH_BATCH_MAX} relations, added in this order.`),
    onDuplicate: z.enum(C.DUPLICATE_RELATIONS).optional().describe('add (default): add every relation; skip: skip one the agent has (same source, type and target) or the batch already named.'),
  }) satisfies z.ZodType<C.RelationBatch>,
);

export const ObservationBatch = named(
  'ObservationBatch',
  z.strictObject({
    agentId: Id,
    changes: Batch(z.strictObject({ entity: EntityRef, observations: z.array(z.string().max(LIMITS.textLength)) })).describe(`1..${C.GRAPH_BATCH_MAX} changes, applied in this order.`),
  }) satisfies z.ZodType<C.ObservationBatch>,
);

export const ObservationResults = named(
  'ObservationResults',
  z.object({ results: z.array(z.object({ entityId: z.string(), name: z.string(), observations: z.array(z.string()) }) satisfies z.ZodType<C.ObservationResult>) }),
);

export const RelationDeletion = named(
  'RelationDeletion',
  z.strictObject({
    agentId: Id,
    relations: Batch(z.union([Id, z.strictObject({ id: Id }), z.strictObject({ source: EntityRef, relation: RelationType, target: EntityRef })])).describe(
      `1..${C.GRAPH_BATCH_MAX} relations: an id, or source, relation type and target (a name matches every entity of the agent with it); one naming nothing is ignored.`,
    ),
  }) satisfies z.ZodType<C.RelationDeletion>,
);

export const EntityDeletion = named(
  'EntityDeletion',
  z.strictObject({
    agentId: Id,
    entities: Batch(z.union([Id, z.strictObject({ id: Id }), z.strictObject({ name: EntityName, entityType: EntityType.optional() })])).describe(
      `1..${C.GRAPH_BATCH_MAX} entities: an id, or a name (every entity of the agent with it, of the type when given); one naming nothing is ignored.`,
    ),
  }) satisfies z.ZodType<C.EntityDeletion>,
);

export const Relations = named('Relations', z.object({ relations: z.array(Relation) }));
export const DeletedIds = named('DeletedIds', z.object({ deleted: z.array(z.string()) }), 'The ids removed.');
