/**
 * OpenFang's memory-api wire shapes (reference spec §8.4). Unknown fields are ignored and `null`
 * counts as absent, so an OpenFang daemon pointed at this server works unchanged.
 */
import { z } from 'zod';
import { LIMITS } from '../core/limits.js';
import { EpochMs, named } from './common.js';

export const OpenFangStore = named(
  'OpenFangStoreRequest',
  z.looseObject({
    content: z.string(),
    category: z.string().nullish().describe('Becomes the memory scope; default `general`.'),
    agentId: z.string().min(1).max(LIMITS.idLength).nullish()
      .describe('The owning agent; absent = the shared nil agent 00000000-0000-0000-0000-000000000000.'),
    source: z.string().nullish().describe('OpenFang source name (`conversation`, `userprovided`, …); unknown = `conversation`.'),
    importance: z.number().nullish().describe('Kept in metadata.importance (OpenFang sends 0..10).'),
    tags: z.array(z.string()).nullish().describe('Kept in metadata.tags.'),
  }),
);

export const OpenFangStoreResponse = named(
  'OpenFangStoreResponse',
  z.object({
    id: z.string().describe('The UUID the memory is stored under (the existing one when deduplicated).'),
    deduplicated: z.boolean().describe('True when identical content already existed for this agent and category.'),
    created: z.boolean().describe('True when a new memory was stored (HTTP 201); false when deduplicated (HTTP 200). memstrate addition; the opposite of deduplicated.'),
  }),
);

export const OpenFangSearch = named(
  'OpenFangSearchRequest',
  z.looseObject({
    query: z.string(),
    limit: z.int().min(1).max(LIMITS.maxRecallLimit).nullish().describe(`1..${LIMITS.maxRecallLimit}, default 10.`),
    category: z.string().nullish(),
    agentId: z.string().min(1).max(LIMITS.idLength).nullish()
      .describe('Only this agent\'s memories; absent = only memories stored without an agentId.'),
  }),
);

export const OpenFangSearchResponse = named(
  'OpenFangSearchResponse',
  z.object({
    results: z.array(
      z.object({
        id: z.string(),
        content: z.string(),
        category: z.string(),
        score: z.number(),
        createdAt: EpochMs,
      }),
    ),
    count: z.int(),
  }),
);

export const OpenFangHealth = named(
  'OpenFangHealth',
  z.object({
    status: z.enum(['ok', 'degraded']),
    backends: z.array(z.object({ name: z.string(), ok: z.boolean(), latencyMs: z.number() })),
  }),
  '`ok` (200) when every backend answers, else `degraded` (503); each backend by name (no details: this route needs no token).',
);
