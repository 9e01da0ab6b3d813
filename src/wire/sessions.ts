/** Schemas of the session store: regular sessions and the canonical cross-channel session. */
import { z } from 'zod';
import type * as C from '../contracts/session-store.js';
import { EpochMs, Id, intQuery, JsonValue, named } from './common.js';

export const ContentBlock = named(
  'ContentBlock',
  z.discriminatedUnion('type', [
    z.looseObject({ type: z.literal('text'), text: z.string() }),
    z.looseObject({ type: z.literal('image'), mediaType: z.string(), data: z.string().optional() }),
    z.looseObject({ type: z.literal('tool_use'), id: z.string(), name: z.string(), input: JsonValue }),
    z.looseObject({ type: z.literal('tool_result'), toolUseId: z.string(), toolName: z.string().optional(), content: z.string(), isError: z.boolean().optional() }),
    z.looseObject({ type: z.literal('thinking'), thinking: z.string() }),
  ]) satisfies z.ZodType<C.ContentBlock>,
);

export const Message = named(
  'Message',
  z.looseObject({ role: z.enum(['system', 'user', 'assistant']), content: z.union([z.string(), z.array(ContentBlock)]) }) satisfies z.ZodType<C.Message>,
);

export const Session = named(
  'Session',
  z.object({
    id: z.string(),
    agentId: z.string(),
    messages: z.array(Message),
    contextWindowTokens: z.int(),
    label: z.string().optional(),
    createdAt: EpochMs,
    updatedAt: EpochMs,
  }) satisfies z.ZodType<C.Session>,
);

export const SessionSave = named(
  'SessionSave',
  z.strictObject({
    id: Id.optional().describe('Must equal the path id when given.'),
    agentId: Id,
    messages: z.array(Message),
    contextWindowTokens: z.int().min(0),
    label: z.string().nullish(),
    createdAt: EpochMs,
    updatedAt: EpochMs.optional().describe('Ignored: the store sets it.'),
  }) satisfies z.ZodType<Omit<C.Session, 'id' | 'label' | 'updatedAt'> & { id?: string; label?: string | null; updatedAt?: number }>,
  'The whole session (upsert).',
);

export const SessionCreate = named('SessionCreate', z.strictObject({ agentId: Id, label: z.string().optional() }));

export const SessionSummary = named(
  'SessionSummary',
  z.object({ id: z.string(), agentId: z.string(), label: z.string().optional(), messageCount: z.int(), createdAt: EpochMs, updatedAt: EpochMs }) satisfies z.ZodType<C.SessionSummary>,
);
export const SessionList = named('SessionList', z.object({ sessions: z.array(SessionSummary) }));
export const LabelBody = named('LabelBody', z.strictObject({ label: z.string().nullable().describe('null clears the label.') }));
export const LabelParams = z.strictObject({ agentId: Id, label: z.string().min(1) });

export const CanonicalSession = named(
  'CanonicalSession',
  z.object({
    agentId: z.string(),
    messages: z.array(Message),
    compactionCursor: z.int(),
    compactedSummary: z.string().optional(),
    updatedAt: EpochMs,
  }) satisfies z.ZodType<C.CanonicalSession>,
);

export const CanonicalSave = named(
  'CanonicalSave',
  z.strictObject({
    agentId: Id.optional().describe('Must equal the path agent when given.'),
    messages: z.array(Message),
    compactionCursor: z.int().min(0).optional(),
    compactedSummary: z.string().nullish(),
    updatedAt: EpochMs.optional().describe('Ignored: the store sets it.'),
  }) satisfies z.ZodType<Partial<Omit<C.CanonicalSession, 'compactedSummary'>> & Pick<C.CanonicalSession, 'messages'> & { compactedSummary?: string | null }>,
);

export const CanonicalAppend = named(
  'CanonicalAppend',
  z.strictObject({
    messages: z.array(Message),
    threshold: z.int().min(1).optional().describe('Compact once the window exceeds this many messages (default 100).'),
  }),
);

export const CanonicalContextQuery = z.strictObject({ window: intQuery(1, Number.MAX_SAFE_INTEGER, 'Messages to return (default 50).').optional() });
export const CanonicalContext = named('CanonicalContext', z.object({ summary: z.string().optional(), messages: z.array(Message) }) satisfies z.ZodType<C.CanonicalContext>);
export const CanonicalSummary = named(
  'CanonicalSummary',
  z.strictObject({ summary: z.string(), keptMessages: z.array(Message) }),
  'An LLM-written summary replacing the compacted part, and the messages kept after it.',
);
