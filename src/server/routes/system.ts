/** Substrate-level routes: `/v1/health`, `/v1/info` and the OpenAPI document itself. */
import { z } from 'zod';
import type { MemorySubstrate } from '../../assembly/substrate.js';
import { buildOpenApiDocument } from '../openapi.js';
import type { RouteTable } from '../route.js';
import { named } from '../../wire/common.js';
import { HealthReport, SubstrateInfo, WIRE_FEATURES } from '../../wire/system.js';

const TAG = 'system';
const OpenApiDocument = named('OpenApiDocument', z.looseObject({ openapi: z.string() }), 'This document.');

export function systemRoutes(table: RouteTable, mem: MemorySubstrate): void {
  table.add({
    method: 'GET',
    url: '/v1/health',
    access: { scope: 'read', agents: () => undefined },
    operationId: 'healthReport',
    tag: TAG,
    summary: 'Health of each backend (503 with the same report when one is down).',
    status: 200,
    response: HealthReport,
    errors: [503],
    async handler(_input, _request, reply) {
      const report = await mem.health();
      if (!report.ok) reply.code(503);
      return report;
    },
  });

  table.add({
    method: 'GET',
    url: '/v1/info',
    access: { scope: 'read', agents: () => undefined },
    operationId: 'info',
    tag: TAG,
    summary: 'What the substrate is: backends, schema version, embedding provider, model and dimensions.',
    status: 200,
    response: SubstrateInfo,
    async handler() {
      return { ...mem.info, wireFeatures: WIRE_FEATURES };
    },
  });

  let document: Record<string, unknown> | undefined;
  table.add({
    method: 'GET',
    url: '/v1/openapi.json',
    access: { scope: 'read', agents: () => undefined },
    operationId: 'openapi',
    tag: TAG,
    summary: 'This API as an OpenAPI 3.1 document, generated from the schemas that validate requests.',
    status: 200,
    response: OpenApiDocument,
    async handler() {
      document ??= buildOpenApiDocument(table.routes);
      return document;
    },
  });
}
