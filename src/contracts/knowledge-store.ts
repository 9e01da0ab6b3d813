import type { EpochMs, JsonObject } from './types.js';

export const ENTITY_TYPES = [
  'person', 'organization', 'project', 'concept', 'event', 'location', 'document', 'tool', 'custom',
] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

export const RELATION_TYPES = [
  'works_at', 'knows_about', 'related_to', 'depends_on', 'owned_by', 'created_by', 'located_in',
  'part_of', 'uses', 'produces', 'custom',
] as const;
export type RelationType = (typeof RELATION_TYPES)[number];

export interface EntityInput {
  /** Keep to upsert an existing entity; omit for a new time-ordered UUID. */
  id?: string;
  agentId: string;
  entityType: EntityType;
  name: string;
  properties?: JsonObject;
}

export interface Entity {
  id: string;
  agentId: string;
  entityType: EntityType;
  name: string;
  properties: JsonObject;
  createdAt: EpochMs;
  updatedAt: EpochMs;
}

export interface RelationInput {
  agentId: string;
  /** Entity id of the source; must exist for the same agent. */
  source: string;
  relation: RelationType;
  /** Entity id of the target; must exist for the same agent. */
  target: string;
  properties?: JsonObject;
  /** In [0, 1]. Default 1. */
  confidence?: number;
}

export interface Relation {
  id: string;
  agentId: string;
  source: string;
  relation: RelationType;
  target: string;
  properties: JsonObject;
  confidence: number;
  createdAt: EpochMs;
}

export interface GraphPattern {
  agentId: string;
  /** Start entity: id or exact name. */
  source?: string;
  /** Only follow relations of this type. */
  relation?: RelationType;
  /** Only return edges ending at this entity (id or exact name). */
  target?: string;
  /** Hops to follow from `source`, 1..16 (default 1). */
  maxDepth?: number;
  /** 1..10000 (default 100). */
  limit?: number;
}

export interface GraphMatch {
  source: Entity;
  relation: Relation;
  target: Entity;
  /** Hop at which this edge was first reached (1 = directly from the start). */
  depth: number;
}

export interface KnowledgeStore {
  addEntity(entity: EntityInput): Promise<string>;
  /** Rejects relations whose endpoints do not exist for the agent (ValidationError). */
  addRelation(relation: RelationInput): Promise<string>;
  getEntity(id: string): Promise<Entity | undefined>;
  /** Removes the entity and every relation touching it. */
  deleteEntity(id: string): Promise<boolean>;
  /** Ordered by depth, then relation creation time, then id. */
  queryGraph(pattern: GraphPattern): Promise<GraphMatch[]>;
}
