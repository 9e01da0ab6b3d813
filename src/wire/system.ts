/** Schemas of the substrate-level routes: health, info. */
import { z } from 'zod';
import type * as C from '../contracts/health.js';
import { named } from './common.js';

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
  }),
);
