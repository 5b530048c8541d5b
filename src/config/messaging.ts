import { Type } from '@sinclair/typebox';
import { HHMM, Localized, Nullable, Obj } from './types';

/** Outbound policies and MO keywords (issue 3). */
export const MessagingSection = Obj({
  quietHours: Nullable(Obj({ start: HHMM, end: HHMM }), 'no quiet hours'),
  timezone: Type.String(),
  frequencyCap: Obj({
    promotional: Type.Integer({ minimum: 0 }),
    days: Type.Integer({ minimum: 1 }),
  }),
  validityHours: Type.Number({ exclusiveMinimum: 0 }),
  retry: Obj({
    baseSeconds: Type.Number({ exclusiveMinimum: 0 }),
    maxSeconds: Type.Number({ exclusiveMinimum: 0 }),
  }),
  maxParts: Type.Integer({ minimum: 1, maximum: 255, description: 'longest message accepted, in SMS parts' }),
  concatTimeoutSeconds: Type.Number({ exclusiveMinimum: 0, description: 'an incomplete concatenated MO is routed with what arrived after this long' }),
  dispatch: Obj({
    pollMs: Type.Integer({ minimum: 5, description: 'how often deferred and retried messages are looked for' }),
    batch: Type.Integer({ minimum: 1, description: 'outbox rows claimed per operator at a time' }),
    claimLeaseSeconds: Type.Number({
      minimum: 1,
      description: 'messages claimed by a gateway that died are sent by another sharing the database after this; keep it above the binds\' responseTimeoutMs',
    }),
  }),
  readiness: Obj({
    maxOldestDueSeconds: Type.Number({ exclusiveMinimum: 0, description: '/readyz answers 503 once the oldest due message has waited longer than this' }),
  }),
  keywords: Obj({
    optOut: Type.Array(Type.String()),
    optIn: Type.Array(Type.String()),
    help: Type.Array(Type.String()),
  }),
  texts: Obj({
    optOut: Localized,
    optIn: Localized,
    help: Localized,
    defaultReply: Localized,
  }),
});
