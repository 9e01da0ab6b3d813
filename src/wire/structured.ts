/** Schemas of the structured store: per-agent key/value and the agent registry. */
import { z } from 'zod';
import type * as C from '../contracts/structured-store.js';
import { LIMITS } from '../core/limits.js';
import { EpochMs, Id, JsonField, JsonValue, named } from './common.js';

export const KvParams = z.strictObject({ agentId: Id, key: z.string().min(1).max(LIMITS.keyLength) });
export const KvPut = named(
  'KvPut',
  z.strictObject({
    value: JsonValue,
    ttlMs: z.int().min(1).optional().describe('Milliseconds from now after which the entry reads as absent.'),
    expiresAt: EpochMs.optional().describe('Epoch ms after which the entry reads as absent (not with ttlMs).'),
  }),
  'The new value (any JSON, including null), optionally expiring.',
);
export const KvValue = named('KvValue', z.object({ key: z.string(), value: JsonValue }));
export const KvEntry = named('KvEntry', z.object({ key: z.string(), value: JsonValue, version: z.int(), updatedAt: EpochMs }) satisfies z.ZodType<C.KvEntry>);
export const KvList = named('KvList', z.object({ entries: z.array(KvEntry) }));

/** An agent registry entry; every field is kept exactly as saved (any other field is passed through). */
export const AgentEntry = named(
  'AgentEntry',
  z.object({ id: Id, name: z.string() }).catchall(JsonField) satisfies z.ZodType<C.AgentEntry>,
  'A registered agent: `id` and `name` plus any other JSON fields, all persisted.',
);
export const AgentPut = named(
  'AgentPut',
  z.strictObject({ id: Id.optional().describe('Must equal the path id when given.'), name: z.string() }).catchall(JsonField) satisfies z.ZodType<
    Partial<C.AgentEntry> & Pick<C.AgentEntry, 'name'>
  >,
  'The whole entry (replaces the stored one).',
);
export const AgentList = named('AgentList', z.object({ agents: z.array(AgentEntry) }));
