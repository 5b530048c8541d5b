import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Core } from '../core';
import { REPORTS, type ReportQuery } from '../reports';

const Query = Type.Object(
  {
    from: Type.Optional(Type.String({ maxLength: 40 })),
    to: Type.Optional(Type.String({ maxLength: 40 })),
    channel: Type.Optional(Type.String({ maxLength: 10 })),
    flow: Type.Optional(Type.String({ maxLength: 100 })),
    by: Type.Optional(Type.String({ maxLength: 40 })),
    field: Type.Optional(Type.String({ maxLength: 40 })),
    service: Type.Optional(Type.String({ maxLength: 100 })),
    kind: Type.Optional(Type.String({ maxLength: 30 })),
    windows: Type.Optional(Type.String({ maxLength: 10 })),
    state: Type.Optional(Type.String({ maxLength: 20 })),
    limit: Type.Optional(Type.String({ maxLength: 6 })),
  },
  { additionalProperties: false },
);

/** GET /api/v1/reports (the list) and /api/v1/reports/:name (JSON, with from/to and channel/flow filters). */
export function reportRoutes(app: FastifyInstance, core: Core): void {
  app.get('/reports', async () => ({ reports: Object.entries(REPORTS).map(([name, description]) => ({ name, path: `/api/v1/reports/${name}`, description })) }));
  app.get<{ Params: { name: string }; Querystring: ReportQuery }>('/reports/:name', { schema: { querystring: Query } }, async (req) => core.reports.run(req.params.name, req.query));
}
