import type { EpochMs, JsonObject } from './types.js';

/**
 * The entity types of the OpenFang knowledge graph: documented constants, not a closed set. Any
 * string matching GRAPH_TYPE_PATTERN (1..64 characters of letters, digits and `_ . : -`) is an
 * entity type.
 */
export const ENTITY_TYPES = [
  'person', 'organization', 'project', 'concept', 'event', 'location', 'document', 'tool', 'custom',
] as const;
export type KnownEntityType = (typeof ENTITY_TYPES)[number];
/** An open string (see GRAPH_TYPE_PATTERN); the known OpenFang types are offered for completion. */
export type EntityType = KnownEntityType | (string & {});

/** The relation types of the OpenFang knowledge graph: documented constants, not a closed set. */
export const RELATION_TYPES = [
  'works_at', 'knows_about', 'related_to', 'depends_on', 'owned_by', 'created_by', 'located_in',
  'part_of', 'uses', 'produces', 'custom',
] as const;
export type KnownRelationType = (typeof RELATION_TYPES)[number];
/** An open string (see GRAPH_TYPE_PATTERN); the known OpenFang types are offered for completion. */
export type RelationType = KnownRelationType | (string & {});

/** What an entity or relation type must match: 1..64 ASCII letters, digits, `_`, `.`, `:` or `-`. */
export const GRAPH_TYPE_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Default and largest page of listEntities / listRelations / findEntities. */
export const GRAPH_PAGE_DEFAULT = 100;
export const GRAPH_PAGE_MAX = 1000;

export interface EntityInput {
  /**
   * Give to create the entity with this id or to replace the entity with this id (type, name and
   * properties; createdAt is kept); omit for a new time-ordered UUID.
   */
  id?: string;
  agentId: string;
  entityType: EntityType;
  /** Unique per (agentId, entityType): adding a second entity with the same triple is a CONFLICT. */
  name: string;
  properties?: JsonObject;
}

/** An entity found or created by (agentId, entityType, name). */
export interface EntityUpsert {
  agentId: string;
  entityType: EntityType;
  name: string;
  /**
   * Merged into an existing entity's properties key by key (top-level keys given here replace the
   * stored ones; the others are kept); omitted = unchanged. A new entity gets exactly these (or `{}`).
   */
  properties?: JsonObject;
}

export interface UpsertResult {
  id: string;
  /** True when the entity did not exist and was created. */
  created: boolean;
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

/**
 * An entity named in a relation: a string is an entity id; `{ id }` is the same; `{ name,
 * entityType? }` is the agent's entity with exactly this name (case-sensitive) — and this type,
 * when given.
 */
export type EntityRef = string | { id: string } | { name: string; entityType?: EntityType };

export interface RelationInput {
  agentId: string;
  /** The source entity (must exist for the same agent; a name must match exactly one entity). */
  source: EntityRef;
  relation: RelationType;
  /** The target entity (must exist for the same agent; a name must match exactly one entity). */
  target: EntityRef;
  properties?: JsonObject;
  /** In [0, 1]. Default 1. */
  confidence?: number;
}

export interface Relation {
  id: string;
  agentId: string;
  /** Entity id of the source. */
  source: string;
  relation: RelationType;
  /** Entity id of the target. */
  target: string;
  properties: JsonObject;
  confidence: number;
  createdAt: EpochMs;
}

export interface EntityLookup {
  agentId: string;
  name: string;
  entityType?: EntityType;
  /**
   * Compare names with ASCII letters folded (A-Z = a-z), identically on every backend; other
   * characters compare exactly. Default false (exact name).
   */
  caseInsensitive?: boolean;
  /** 1..GRAPH_PAGE_MAX (default GRAPH_PAGE_DEFAULT). */
  limit?: number;
}

export interface EntityListQuery {
  agentId: string;
  entityType?: EntityType;
  /** 1..GRAPH_PAGE_MAX (default GRAPH_PAGE_DEFAULT). */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export interface RelationListQuery {
  agentId: string;
  relation?: RelationType;
  /** Only relations out of this entity (a name matches every entity of the agent with it). */
  source?: EntityRef;
  /** Only relations into this entity (a name matches every entity of the agent with it). */
  target?: EntityRef;
  /** 1..GRAPH_PAGE_MAX (default GRAPH_PAGE_DEFAULT). */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

/**
 * One page of a keyset-paged list, ordered by creation time then id. `nextCursor` (opaque) is
 * present when more rows may follow; rows inserted while paging never make a page repeat or skip
 * a row that existed when paging began.
 */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/** Which hops of a path `GraphPattern.relation` constrains. */
export type RelationFilter = 'every_hop' | 'last_hop';
export const RELATION_FILTERS = ['every_hop', 'last_hop'] as const satisfies readonly RelationFilter[];

export interface GraphPattern {
  agentId: string;
  /** Start entity: id or exact name. */
  source?: string;
  /** Only edges of this relation type (on every hop or on the last one: see relationFilter). */
  relation?: RelationType;
  /**
   * `every_hop` (default, the behaviour before it existed): the walk only follows `relation`
   * edges. `last_hop`: the walk follows edges of every type, and only the returned (last) edge of
   * each path must be a `relation` edge. No effect without `relation`.
   */
  relationFilter?: RelationFilter;
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

/** Most items one batch call (addEntities, addRelations, observations, deletes) may carry. */
export const GRAPH_BATCH_MAX = 1000;

/**
 * The property holding an entity's observations: an array of strings (the facts the MCP
 * knowledge-graph tools read and write). addObservations / deleteObservations maintain it; other
 * properties are left as they are.
 */
export const OBSERVATIONS_PROPERTY = 'observations';

/** What addEntities does with an entity whose name is taken. */
export type NameTaken = 'conflict' | 'skip';
export const NAME_TAKEN = ['conflict', 'skip'] as const satisfies readonly NameTaken[];

export interface EntityBatch {
  agentId: string;
  /** 1..GRAPH_BATCH_MAX entities. */
  entities: { entityType: EntityType; name: string; properties?: JsonObject }[];
  /**
   * `conflict` (default): CONFLICT, nothing written, when the agent already has an entity of the
   * same type and name (or the batch names one twice). `skip`: an entity is skipped when the agent
   * already has an entity with its name, of any type, or an earlier one of the batch has it — names
   * unique per agent, as the MCP knowledge-graph tools have them.
   */
  onNameTaken?: NameTaken;
}

/** What addRelations does with a relation that already exists. */
export type DuplicateRelation = 'add' | 'skip';
export const DUPLICATE_RELATIONS = ['add', 'skip'] as const satisfies readonly DuplicateRelation[];

export interface RelationBatch {
  agentId: string;
  /** 1..GRAPH_BATCH_MAX relations; endpoints as in RelationInput. */
  relations: Omit<RelationInput, 'agentId'>[];
  /**
   * `add` (default): every relation is added. `skip`: a relation is skipped when the agent already
   * has one with the same source, relation type and target (or an earlier one of the batch has).
   */
  onDuplicate?: DuplicateRelation;
}

/** Observations of one entity to add or delete. */
export interface ObservationChange {
  /** The entity (a name must match exactly one entity of the agent). */
  entity: EntityRef;
  /** Strings of at most LIMITS.textLength bytes. */
  observations: string[];
}

export interface ObservationBatch {
  agentId: string;
  /** 1..GRAPH_BATCH_MAX changes, applied in order. */
  changes: ObservationChange[];
}

/** What an observation change did to one entity. */
export interface ObservationResult {
  entityId: string;
  name: string;
  /** The observations added (addObservations) or removed (deleteObservations), in the order given. */
  observations: string[];
}

/** A relation to delete: its id, or its source, relation type and target. */
export type RelationRef = string | { id: string } | { source: EntityRef; relation: RelationType; target: EntityRef };

export interface RelationDeletion {
  agentId: string;
  /** 1..GRAPH_BATCH_MAX relations; one naming nothing is ignored. */
  relations: RelationRef[];
}

export interface EntityDeletion {
  agentId: string;
  /**
   * 1..GRAPH_BATCH_MAX entities; a name deletes every entity of the agent with it (of the type,
   * when given); one naming nothing is ignored.
   */
  entities: EntityRef[];
}

export interface KnowledgeStore {
  /**
   * Creates an entity, or replaces the one with the given `id`. CONFLICT when another entity of
   * the agent already has this (entityType, name) — use upsertEntity to find-or-create by name.
   */
  addEntity(entity: EntityInput): Promise<string>;
  /** Finds the agent's entity by (entityType, exact name) and merges properties, or creates it. */
  upsertEntity(entity: EntityUpsert): Promise<UpsertResult>;
  /** Rejects relations whose endpoints do not resolve to exactly one entity of the agent (ValidationError). */
  addRelation(relation: RelationInput): Promise<string>;
  getEntity(id: string): Promise<Entity | undefined>;
  /** The agent's entities with this name, ordered by entity type then name then id. */
  findEntities(lookup: EntityLookup): Promise<Entity[]>;
  listEntities(query: EntityListQuery): Promise<Page<Entity>>;
  listRelations(query: RelationListQuery): Promise<Page<Relation>>;
  /** Removes the entity and every relation touching it. */
  deleteEntity(id: string): Promise<boolean>;
  /** Ordered by depth, then relation creation time, then id. */
  queryGraph(pattern: GraphPattern): Promise<GraphMatch[]>;
  /**
   * Creates several entities in one transaction (all or none); returns the created ones in batch
   * order (with `onNameTaken: 'skip'`, the skipped ones are not returned).
   */
  addEntities(batch: EntityBatch): Promise<Entity[]>;
  /**
   * Adds several relations in one transaction (all or none; an endpoint naming no entity, or
   * several, is a ValidationError); returns the added ones in batch order.
   */
  addRelations(batch: RelationBatch): Promise<Relation[]>;
  /**
   * Appends observations to entities (OBSERVATIONS_PROPERTY) in one transaction, skipping those the
   * entity already has (and repeats within the change); one result per change, with the added ones.
   * NOT_FOUND (nothing written) when an entity does not exist.
   */
  addObservations(batch: ObservationBatch): Promise<ObservationResult[]>;
  /**
   * Removes observations from entities in one transaction; a change naming no entity is ignored.
   * One result per entity changed, with the removed ones.
   */
  deleteObservations(batch: ObservationBatch): Promise<ObservationResult[]>;
  /** Deletes relations in one transaction; returns the ids removed. */
  deleteRelations(deletion: RelationDeletion): Promise<string[]>;
  /**
   * Deletes entities and every relation touching them in one transaction; returns the entity ids
   * removed, in the order named (the entities of one name by type, then id).
   */
  deleteEntities(deletion: EntityDeletion): Promise<string[]>;
}
