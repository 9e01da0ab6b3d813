/** Schemas of the substrate-level routes: health, info. */
import { z } from 'zod';
import { KEYWORD_RANKINGS, VECTOR_SEARCH_KINDS } from '../contracts/capabilities.js';
import type * as P from '../contracts/capabilities.js';
import type * as C from '../contracts/health.js';
import type * as S from '../contracts/substrate-info.js';
import { named } from './common.js';

export const MainCapabilities = named(
  'MainCapabilities',
  z.object({ multiProcess: z.boolean(), transactions: z.boolean(), skipLockedClaims: z.boolean() }) satisfies z.ZodType<P.MainCapabilities>,
  'What the main backend can do, as its definition declares.',
);

export const SemanticCapabilities = named(
  'SemanticCapabilities',
  z.object({
    vectorSearch: z.enum(VECTOR_SEARCH_KINDS),
    keywordRanking: z.enum(KEYWORD_RANKINGS),
    hybridInEngine: z.boolean(),
    sharedTransactions: z.boolean(),
    multiProcess: z.boolean(),
    maxDimensions: z.int(),
    maxBatch: z.int(),
    vectorSpaceMigration: z.boolean().optional(),
  }) satisfies z.ZodType<P.SemanticCapabilities>,
  'What the semantic backend can do: declared by its definition, refined by the opened instance.',
);

export const HealthReport = named(
  'HealthReport',
  z.object({
    ok: z.boolean(),
    backends: z.array(z.object({ name: z.string(), ok: z.boolean(), latencyMs: z.number(), detail: z.string().optional() })),
  }) satisfies z.ZodType<C.HealthReport>,
  'Each backend: whether it answered, how fast, and why not.',
);

export const SubstrateInfo = named(
  'SubstrateInfo',
  z.object({
    backend: z.string(),
    semanticBackend: z.string(),
    schemaVersion: z.string(),
    embedding: z.object({ provider: z.string(), model: z.string().optional(), dimensions: z.int().optional() }),
    capabilities: z.object({ main: MainCapabilities, semantic: SemanticCapabilities }),
    wireFeatures: z
      .array(z.string())
      .optional()
      .describe('Optional request encodings the gateway accepts (its own, not the substrate\'s): `embeddingF32` — recall takes the query vector as base64 float32 (RecallQuery.embeddingF32).'),
  }) satisfies z.ZodType<S.SubstrateInfo>,
  'What the substrate runs on and what its backends can do.',
);

/** What this gateway lists in GET /v1/info `wireFeatures`. */
export const WIRE_FEATURES = ['embeddingF32'] as const;
