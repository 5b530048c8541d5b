import { Type } from '@sinclair/typebox';
import { INTERVENTION_KINDS } from '../../crm/interventions';
import { MAX_REPORT_LIMIT } from '../../reports';
import { OUTCOME_WINDOWS } from '../../reports/interventions';
import { REPORT_CHANNELS } from '../../reports/range';
import { LIVE_STATES } from '../../reports/risk';
import { ERROR_CODE_KEYWORD, Limit, Open, QueryString, StringEnum } from './common';

// Schemas of /api/v1/reports. One query string serves every report (each reads the parameters it takes and
// ignores the rest); what depends on configuration (`by`/`field`: the profile fields, `service`) and on the
// gateway's days (`from`/`to`) is checked by the report engine, which names the bad value.

/** GET /api/v1/reports/:name query string. */
export const ReportQuery = QueryString(
  {
    from: Type.Optional(Type.String({ maxLength: 40, description: 'Start day (YYYY-MM-DD, from its start) or time, ISO-8601 (default: 30 days before `to`).' })),
    to: Type.Optional(Type.String({ maxLength: 40, description: 'End day (YYYY-MM-DD, to its end) or time, ISO-8601 (default: now).' })),
    channel: Type.Optional(StringEnum(REPORT_CHANNELS, { [ERROR_CODE_KEYWORD]: 'INVALID_CHANNEL', description: 'Only one channel.' })),
    flow: Type.Optional(Type.String({ maxLength: 100, description: 'Only one flow id.' })),
    by: Type.Optional(
      Type.String({
        maxLength: 40,
        description: 'usage: region, crop, language, operator, a profile field or ageBand; discovery: flow, channel, language, cohort, node or a profile field; exit-reasons: cohort, tenure, region, channel.',
      }),
    ),
    field: Type.Optional(Type.String({ maxLength: 40, description: 'content-demography: the profile field (or ageBand) to group by.' })),
    service: Type.Optional(Type.String({ maxLength: 100, description: 'Only one configured service.' })),
    kind: Type.Optional(StringEnum(INTERVENTION_KINDS, { [ERROR_CODE_KEYWORD]: 'INVALID_KIND', description: 'interventions: one intervention kind.' })),
    windows: Type.Optional(
      StringEnum(OUTCOME_WINDOWS, { [ERROR_CODE_KEYWORD]: 'INVALID_WINDOWS', description: 'interventions: closed (default) counts only interventions whose outcome window has closed; all counts every one.' }),
    ),
    state: Type.Optional(StringEnum(LIVE_STATES, { [ERROR_CODE_KEYWORD]: 'INVALID_STATE', description: 'risk: one live subscription state.' })),
    limit: Limit(100, MAX_REPORT_LIMIT),
  },
  { additionalProperties: false },
);

/** GET /api/v1/reports. */
export const ReportList = Type.Object(
  { reports: Type.Array(Type.Object({ name: Type.String(), path: Type.String(), description: Type.String() })) },
  { description: 'Each report with its path and what it answers.' },
);

/** A report: reports grow sections as the CRM learns more, so every field passes through. */
export const Report = Open({}, { description: 'The report: the range it covers, its sections, what is pending and the uncertainty.' });
