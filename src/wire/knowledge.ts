/** Schemas of the knowledge graph: entities, relations and graph queries. */
import { z } from 'zod';
import * as C from '../contracts/knowledge-store.js';
import { LIMITS } from '../core/limits.js';
import { EpochMs, Id, JsonObject, named } from './common.js';

export const EntityType = z.enum(C.ENTITY_TYPES);
export const RelationType = z.enum(C.RELATION_TYPES);

export const EntityInput = named(
  'EntityInput',
  z.strictObject({
    id: Id.optional().describe('Keep to upsert an existing entity; omit for a new id.'),
    agentId: Id,
    entityType: EntityType,
    name: z.string(),
    properties: JsonObject.optional(),
  }) satisfies z.ZodType<C.EntityInput>,
);

export const Entity = named(
  'Entity',
  z.object({ id: z.string(), agentId: z.string(), entityType: EntityType, name: z.string(), properties: JsonObject, createdAt: EpochMs, updatedAt: EpochMs }) satisfies z.ZodType<C.Entity>,
);

export const RelationInput = named(
  'RelationInput',
  z.strictObject({
    agentId: Id,
    source: Id.describe('Entity id of the source; must exist for the same agent.'),
    relation: RelationType,
    target: Id.describe('Entity id of the target; must exist for the same agent.'),
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
    target: z.string().optional().describe('Only edges ending at this entity (id or exact name).'),
    maxDepth: z.int().min(1).max(LIMITS.maxGraphDepth).optional().describe(`Hops from source, 1..${LIMITS.maxGraphDepth} (default 1).`),
    limit: z.int().min(1).max(LIMITS.maxGraphLimit).optional().describe(`1..${LIMITS.maxGraphLimit} (default 100).`),
  }) satisfies z.ZodType<C.GraphPattern>,
);

export const GraphMatches = named(
  'GraphMatches',
  z.object({ matches: z.array(z.object({ source: Entity, relation: Relation, target: Entity, depth: z.int() }) satisfies z.ZodType<C.GraphMatch>) }),
);
