import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Core } from '../core';
import { REPORTS } from '../reports';
import { errors } from './schemas/common';
import { Report, ReportList, ReportQuery } from './schemas/reports';

/** GET /api/v1/reports (the list) and /api/v1/reports/:name (JSON, with from/to and channel/flow filters). */
export function reportRoutes(app: FastifyInstance, core: Core): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['reports'];
  r.get('/reports', { schema: { tags, summary: 'The reports there are', response: { 200: ReportList, ...errors() } } }, async () => ({
    reports: Object.entries(REPORTS).map(([name, description]) => ({ name, path: `/api/v1/reports/${name}`, description })),
  }));
  r.get(
    '/reports/:name',
    {
      schema: {
        tags,
        summary: 'Run one report',
        description: `Reports: ${Object.keys(REPORTS).join(', ')}.`,
        params: Type.Object({ name: Type.String({ minLength: 1, maxLength: 64, description: 'A name from GET /api/v1/reports.' }) }),
        querystring: ReportQuery,
        response: { 200: Report, ...errors(400, 404) },
      },
    },
    async (req) => core.reports.run(req.params.name, req.query),
  );
}
