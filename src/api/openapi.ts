import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import type { SwaggerOptions } from '@fastify/swagger';
import { Type } from '@sinclair/typebox';
import { Open, errors } from './schemas/common';

const pkg = createRequire(import.meta.url)('../../package.json') as { version: string; description: string };

/** The tag of each /api/v1 domain, in the order the document lists them. */
export const API_TAGS = [
  { name: 'subscribers', description: 'Subscriber profiles, their usage log and CSV imports.' },
  { name: 'messages', description: 'Outbound SMS: send one, follow its delivery.' },
  { name: 'calls', description: 'Outbound IVR calls that run a flow when answered.' },
  { name: 'subscriptions', description: 'Operator-billed subscriptions and their billing events.' },
  { name: 'segments', description: 'Saved subscriber filters with live counts.' },
  { name: 'polls', description: 'Choice and NPS polls over SMS, USSD and voice, with results.' },
  { name: 'campaigns', description: 'Scheduled sends (SMS, polls, calls) to a segment, with runs and results.' },
  { name: 'reports', description: 'CRM and usage reports (JSON, from/to filters).' },
  { name: 'operations', description: 'The running gateway for operators: binds, queues, recent errors, running jobs.' },
  { name: 'meta', description: 'This document.' },
];

/**
 * @fastify/swagger options: an OpenAPI 3.1 document (JSON Schema 2020-12, which TypeBox writes) of the
 * /api/v1 routes only, from their schemas, behind the bearer token. Register before the routes.
 */
export const openApiOptions: SwaggerOptions = {
  openapi: {
    openapi: '3.1.0',
    info: { title: 'vas-crm-gateway API', version: pkg.version, description: pkg.description },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'The token configured as api.token (VASGW_API_TOKEN).' } } },
    security: [{ bearer: [] }],
    tags: API_TAGS,
  },
  // Channel callbacks and /healthz speak their own dialects and are documented with their channels.
  transform: ({ schema, url }) => ({ schema: url.startsWith('/api/v1/') ? schema : { ...schema, hide: true }, url }),
};

/** GET /api/v1/openapi.json: the document generated from the route schemas. */
export function openApiRoutes(app: FastifyInstance): void {
  app.get(
    '/openapi.json',
    {
      schema: {
        tags: ['meta'],
        summary: 'This API described as an OpenAPI 3.1 document',
        response: { 200: Open({ openapi: Type.String(), info: Open({}), paths: Open({}) }, { description: 'The OpenAPI document.' }), ...errors() },
      },
    },
    async () => app.swagger(),
  );
}
