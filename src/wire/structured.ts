/** Schemas of the structured store: per-agent key/value and the agent registry. */
import { z } from 'zod';
import { LIMITS } from '../core/limits.js';
import { EpochMs, Id, JsonValue, named } from './common.js';

export const KvParams = z.strictObject({ agentId: Id, key: z.string().min(1).max(LIMITS.keyLength) });
export const KvPut = named('KvPut', z.strictObject({ value: JsonValue }), 'The new value (any JSON, including null).');
export const KvValue = named('KvValue', z.object({ key: z.string(), value: JsonValue }));
export const KvEntry = named('KvEntry', z.object({ key: z.string(), value: JsonValue, version: z.int(), updatedAt: EpochMs }));
export const KvList = named('KvList', z.object({ entries: z.array(KvEntry) }));

/** An agent registry entry; every field is kept exactly as saved. */
export const AgentEntry = named(
  'AgentEntry',
  z.looseObject({ id: Id, name: z.string() }),
  'A registered agent: `id` and `name` plus any other JSON fields, all persisted.',
);
export const AgentPut = named(
  'AgentPut',
  z.looseObject({ id: Id.optional().describe('Must equal the path id when given.'), name: z.string() }),
  'The whole entry (replaces the stored one).',
);
export const AgentList = named('AgentList', z.object({ agents: z.array(AgentEntry) }));
