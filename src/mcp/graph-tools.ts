/**
 * The knowledge-graph tools of the reference MCP memory server (@modelcontextprotocol/server-memory)
 * — create_entities, create_relations, add_observations, delete_entities, delete_observations,
 * delete_relations, read_graph, search_nodes, open_nodes — with its names, inputs, outputs (text
 * JSON and structuredContent) and duplicate handling, on memstrate's knowledge store, so an agent
 * configured for that server can switch to memstrate unchanged. The mapping:
 *
 * - An MCP entity is a memstrate entity of the connection's agent: `name` is its name, `entityType`
 *   its type (encoded, below), `observations` the `observations` property (OBSERVATIONS_PROPERTY).
 *   MCP names are unique per agent: create_entities skips a name the agent has with any type, and
 *   the other tools look entities up by exact name across types (a name two memstrate entities of
 *   different types share — made through another API — is a VALIDATION error where one is needed,
 *   and both are deleted by delete_entities, as the reference deletes every entity of a name).
 * - An MCP relation is a memstrate relation: `from` / `to` are its endpoints' names, `relationType`
 *   its type (encoded). create_relations skips one the agent already has.
 * - Types: memstrate types are 1..64 of `[A-Za-z0-9_.:-]`; an MCP type is stored with every other
 *   character (and `:`) written as `:` and two hex digits per UTF-8 byte (`works at` is stored as
 *   `works:20at`), and decoded back — lossless. A type longer than 64 once encoded, or empty, is a
 *   VALIDATION error.
 *
 * Differences from the reference, all refusals where it would store something odd: an empty name
 * or type is refused; a relation whose endpoint is not an entity is refused (the reference stores a
 * dangling relation); repeats within one call are stored once (the reference stores a name or
 * relation twice when one call repeats it, and an observation twice when one change repeats it);
 * one call takes at most GRAPH_BATCH_MAX items. Every mutation is one transaction and one audit entry.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { MemorySubstrate } from '../assembly/substrate.js';
import { GRAPH_PAGE_MAX, GRAPH_TYPE_PATTERN, OBSERVATIONS_PROPERTY, type Entity as StoredEntity, type EntityRef } from '../contracts/knowledge-store.js';
import { ValidationError } from '../errors.js';

/** An entity as the reference server has it. */
export interface GraphEntity {
  name: string;
  entityType: string;
  observations: string[];
}

/** A relation as the reference server has it. */
export interface GraphRelation {
  from: string;
  to: string;
  relationType: string;
}

export interface KnowledgeGraph {
  entities: GraphEntity[];
  relations: GraphRelation[];
}

/** Runs a tool body under a scope (read / write): a MemoryError becomes an MCP tool error. */
export type ToolRunner = (scope: 'read' | 'write', fn: () => Promise<CallToolResult>) => Promise<CallToolResult>;

const TYPE_CHAR = /[A-Za-z0-9_.-]/;

/** An MCP type as a memstrate type: every character outside `[A-Za-z0-9_.-]` as `:hh` per UTF-8 byte. */
export function encodeGraphType(type: string): string {
  let out = '';
  for (const char of type) {
    out += TYPE_CHAR.test(char) ? char : [...Buffer.from(char, 'utf8')].map((b) => `:${b.toString(16).padStart(2, '0')}`).join('');
  }
  return out;
}

/** A memstrate type as an MCP type (encodeGraphType undone; a type not made by it comes back unchanged where it has no `:hh`). */
export function decodeGraphType(type: string): string {
  return type.replace(/(?::[0-9a-f]{2})+/g, (run) => {
    const bytes = Buffer.from(run.split(':').slice(1).map((h) => parseInt(h, 16)));
    const text = bytes.toString('utf8');
    return Buffer.from(text, 'utf8').equals(bytes) ? text : run;
  });
}

/** The stored type of an MCP type. @throws ValidationError when it is empty or too long once encoded. */
function storedType(field: string, type: string): string {
  const encoded = encodeGraphType(type);
  if (!GRAPH_TYPE_PATTERN.test(encoded)) {
    throw new ValidationError(`${field} ${JSON.stringify(type)} must be 1..64 characters once stored (${JSON.stringify(encoded)}: characters other than ASCII letters, digits, '_', '.' and '-' take 3 each)`, { backend: 'mcp' });
  }
  return encoded;
}

const observationsOf = (e: StoredEntity): string[] => {
  const stored = e.properties[OBSERVATIONS_PROPERTY];
  return Array.isArray(stored) ? stored.filter((o): o is string => typeof o === 'string') : [];
};

const toGraphEntity = (e: StoredEntity): GraphEntity => ({ name: e.name, entityType: decodeGraphType(e.entityType), observations: observationsOf(e) });

/** The agent's whole graph in creation order (entities, then relations with their endpoints' names). */
export async function readGraph(mem: MemorySubstrate, agentId: string): Promise<KnowledgeGraph> {
  const stored: StoredEntity[] = [];
  let cursor: string | undefined;
  do {
    const page = await mem.knowledge.listEntities({ agentId, limit: GRAPH_PAGE_MAX, ...(cursor ? { cursor } : {}) });
    stored.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  const names = new Map(stored.map((e) => [e.id, e.name]));
  const relations: GraphRelation[] = [];
  do {
    const page = await mem.knowledge.listRelations({ agentId, limit: GRAPH_PAGE_MAX, ...(cursor ? { cursor } : {}) });
    for (const r of page.items) {
      // An endpoint created after the entities were read: look it up; one deleted since: skip the relation.
      for (const id of [r.source, r.target]) if (!names.has(id)) { const e = await mem.knowledge.getEntity(id); if (e) names.set(id, e.name); }
      const from = names.get(r.source);
      const to = names.get(r.target);
      if (from !== undefined && to !== undefined) relations.push({ from, to, relationType: decodeGraphType(r.relation) });
    }
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return { entities: stored.map(toGraphEntity), relations };
}

/** The entities kept and every relation touching one of them (as the reference's search and open). */
function subgraph(graph: KnowledgeGraph, keep: (e: GraphEntity) => boolean): KnowledgeGraph {
  const entities = graph.entities.filter(keep);
  const names = new Set(entities.map((e) => e.name));
  return { entities, relations: graph.relations.filter((r) => names.has(r.from) || names.has(r.to)) };
}

const EntitySchema = z.strictObject({
  name: z.string().describe('The name of the entity'),
  entityType: z.string().describe('The type of the entity'),
  observations: z.array(z.string()).describe('An array of observation contents associated with the entity'),
});
const RelationSchema = z.strictObject({
  from: z.string().describe('The name of the entity where the relation starts'),
  to: z.string().describe('The name of the entity where the relation ends'),
  relationType: z.string().describe('The type of the relation'),
});
const EntityOut = z.object({ name: z.string(), entityType: z.string(), observations: z.array(z.string()) });
const RelationOut = z.object({ from: z.string(), to: z.string(), relationType: z.string() });
const GraphOut = z.object({ entities: z.array(EntityOut), relations: z.array(RelationOut) });
const DoneOut = z.object({ success: z.boolean(), message: z.string() });

/** The reference's result: the value as indented JSON text, and as structuredContent. */
const result = (text: unknown, structured: Record<string, unknown>): CallToolResult => ({
  content: [{ type: 'text', text: typeof text === 'string' ? text : JSON.stringify(text, null, 2) }],
  structuredContent: structured,
});
const done = (message: string): CallToolResult => result(message, { success: true, message });

const mutating = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false };
const destructive = { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false };
const reading = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

/** An entity named by an MCP name (any type). */
const byName = (name: string): EntityRef => ({ name });

/** Registers the nine knowledge-graph tools on `server`, every one on `agentId`'s graph only. */
export function registerGraphTools(server: McpServer, mem: MemorySubstrate, agentId: string, run: ToolRunner): void {
  server.registerTool(
    'create_entities',
    {
      title: 'Create Entities',
      description: 'Create multiple new entities in the knowledge graph',
      inputSchema: z.strictObject({ entities: z.array(EntitySchema) }),
      outputSchema: z.object({ entities: z.array(EntityOut) }),
      annotations: mutating,
    },
    ({ entities }) =>
      run('write', async () => {
        const created =
          entities.length === 0
            ? []
            : await mem.knowledge.addEntities({
                agentId,
                onNameTaken: 'skip',
                entities: entities.map((e, i) => ({ entityType: storedType(`entities[${i}].entityType`, e.entityType), name: e.name, properties: { [OBSERVATIONS_PROPERTY]: e.observations } })),
              });
        const out = created.map(toGraphEntity);
        return result(out, { entities: out });
      }),
  );

  server.registerTool(
    'create_relations',
    {
      title: 'Create Relations',
      description: 'Create multiple new relations between entities in the knowledge graph. Relations should be in active voice',
      inputSchema: z.strictObject({ relations: z.array(RelationSchema) }),
      outputSchema: z.object({ relations: z.array(RelationOut) }),
      annotations: mutating,
    },
    ({ relations }) =>
      run('write', async () => {
        const added =
          relations.length === 0
            ? []
            : await mem.knowledge.addRelations({
                agentId,
                onDuplicate: 'skip',
                relations: relations.map((r, i) => ({ source: byName(r.from), relation: storedType(`relations[${i}].relationType`, r.relationType), target: byName(r.to) })),
              });
        const names = new Map<string, string>();
        for (const id of new Set(added.flatMap((r) => [r.source, r.target]))) names.set(id, (await mem.knowledge.getEntity(id))?.name ?? id);
        const out = added.map((r) => ({ from: names.get(r.source) as string, to: names.get(r.target) as string, relationType: decodeGraphType(r.relation) }));
        return result(out, { relations: out });
      }),
  );

  server.registerTool(
    'add_observations',
    {
      title: 'Add Observations',
      description: 'Add new observations to existing entities in the knowledge graph',
      inputSchema: z.strictObject({
        observations: z.array(
          z.strictObject({
            entityName: z.string().describe('The name of the entity to add the observations to'),
            contents: z.array(z.string()).describe('An array of observation contents to add'),
          }),
        ),
      }),
      outputSchema: z.object({ results: z.array(z.object({ entityName: z.string(), addedObservations: z.array(z.string()) })) }),
      annotations: mutating,
    },
    ({ observations }) =>
      run('write', async () => {
        const results =
          observations.length === 0
            ? []
            : await mem.knowledge.addObservations({ agentId, changes: observations.map((o) => ({ entity: byName(o.entityName), observations: o.contents })) });
        const out = results.map((r, i) => ({ entityName: observations[i]?.entityName ?? r.name, addedObservations: r.observations }));
        return result(out, { results: out });
      }),
  );

  server.registerTool(
    'delete_entities',
    {
      title: 'Delete Entities',
      description: 'Delete multiple entities and their associated relations from the knowledge graph',
      inputSchema: z.strictObject({ entityNames: z.array(z.string()).describe('An array of entity names to delete') }),
      outputSchema: DoneOut,
      annotations: destructive,
    },
    ({ entityNames }) =>
      run('write', async () => {
        // An empty name names no entity (memstrate names are never empty).
        const names = entityNames.filter((n) => n.length > 0);
        if (names.length > 0) await mem.knowledge.deleteEntities({ agentId, entities: names.map(byName) });
        return done('Entities deleted successfully');
      }),
  );

  server.registerTool(
    'delete_observations',
    {
      title: 'Delete Observations',
      description: 'Delete specific observations from entities in the knowledge graph',
      inputSchema: z.strictObject({
        deletions: z.array(
          z.strictObject({
            entityName: z.string().describe('The name of the entity containing the observations'),
            observations: z.array(z.string()).describe('An array of observations to delete'),
          }),
        ),
      }),
      outputSchema: DoneOut,
      annotations: destructive,
    },
    ({ deletions }) =>
      run('write', async () => {
        const changes = deletions.filter((d) => d.entityName.length > 0).map((d) => ({ entity: byName(d.entityName), observations: d.observations }));
        if (changes.length > 0) await mem.knowledge.deleteObservations({ agentId, changes });
        return done('Observations deleted successfully');
      }),
  );

  server.registerTool(
    'delete_relations',
    {
      title: 'Delete Relations',
      description: 'Delete multiple relations from the knowledge graph',
      inputSchema: z.strictObject({ relations: z.array(RelationSchema).describe('An array of relations to delete') }),
      outputSchema: DoneOut,
      annotations: destructive,
    },
    ({ relations }) =>
      run('write', async () => {
        // A relation with an empty endpoint or a type that cannot be stored names nothing.
        const refs = relations
          .filter((r) => r.from.length > 0 && r.to.length > 0 && GRAPH_TYPE_PATTERN.test(encodeGraphType(r.relationType)))
          .map((r) => ({ source: byName(r.from), relation: encodeGraphType(r.relationType), target: byName(r.to) }));
        if (refs.length > 0) await mem.knowledge.deleteRelations({ agentId, relations: refs });
        return done('Relations deleted successfully');
      }),
  );

  server.registerTool(
    'read_graph',
    { title: 'Read Graph', description: 'Read the entire knowledge graph', inputSchema: z.strictObject({}), outputSchema: GraphOut, annotations: reading },
    () =>
      run('read', async () => {
        const graph = await readGraph(mem, agentId);
        return result(graph, { ...graph });
      }),
  );

  server.registerTool(
    'search_nodes',
    {
      title: 'Search Nodes',
      description: 'Search for nodes in the knowledge graph based on a query',
      inputSchema: z.strictObject({ query: z.string().describe('The search query to match against entity names, types, and observation content') }),
      outputSchema: GraphOut,
      annotations: reading,
    },
    ({ query }) =>
      run('read', async () => {
        const q = query.toLowerCase();
        const graph = subgraph(await readGraph(mem, agentId), (e) => e.name.toLowerCase().includes(q) || e.entityType.toLowerCase().includes(q) || e.observations.some((o) => o.toLowerCase().includes(q)));
        return result(graph, { ...graph });
      }),
  );

  server.registerTool(
    'open_nodes',
    {
      title: 'Open Nodes',
      description: 'Open specific nodes in the knowledge graph by their names',
      inputSchema: z.strictObject({ names: z.array(z.string()).describe('An array of entity names to retrieve') }),
      outputSchema: GraphOut,
      annotations: reading,
    },
    ({ names }) =>
      run('read', async () => {
        const wanted = new Set(names);
        const graph = subgraph(await readGraph(mem, agentId), (e) => wanted.has(e.name));
        return result(graph, { ...graph });
      }),
  );
}
