import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Core } from '../core';
import { REPORTS } from '../reports';
import { Described, Open, errors } from './schemas/common';

// The report engine (src/reports) checks these against what each report allows and names the bad one.
const Query = Type.Object(
  {
    from: Type.Optional(Type.String({ maxLength: 40, description: 'Start day or time, ISO-8601 (default: 30 days back).' })),
    to: Type.Optional(Type.String({ maxLength: 40, description: 'End day or time, ISO-8601 (default: now).' })),
    channel: Type.Optional(Type.String({ maxLength: 10, description: 'Only one channel (ussd, sms, ivr).' })),
    flow: Type.Optional(Type.String({ maxLength: 100, description: 'Only one flow id.' })),
    by: Type.Optional(Type.String({ maxLength: 40, description: 'usage: the dimension to group by (region, crop, language, operator, a profile field, ageBand).' })),
    field: Type.Optional(Type.String({ maxLength: 40, description: 'content-demography: the profile field to group by.' })),
    service: Type.Optional(Type.String({ maxLength: 100, description: 'Only one configured service.' })),
    kind: Type.Optional(Type.String({ maxLength: 30, description: 'interventions: one intervention kind.' })),
    windows: Type.Optional(Type.String({ maxLength: 10 })),
    state: Type.Optional(Type.String({ maxLength: 20 })),
    limit: Type.Optional(Type.String({ maxLength: 6, description: 'Rows in ranked lists (1-10000, default 100).' })),
  },
  { additionalProperties: false },
);

const ReportList = Type.Object({
  reports: Type.Array(Type.Object({ name: Type.String(), path: Type.String(), description: Type.String() })),
});
// Reports grow sections as the CRM learns more: every field passes through.
const Report = Open({}, { description: 'The report: the range it covers, its sections, what is pending and the uncertainty.' });

/** GET /api/v1/reports (the list) and /api/v1/reports/:name (JSON, with from/to and channel/flow filters). */
export function reportRoutes(app: FastifyInstance, core: Core): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['reports'];
  r.get('/reports', { schema: { tags, summary: 'The reports there are', response: { 200: Described(ReportList, 'Each report with its path and what it answers.'), ...errors() } } }, async () => ({
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
        querystring: Query,
        response: { 200: Report, ...errors(400, 404) },
      },
    },
    async (req) => core.reports.run(req.params.name, req.query),
  );
}
