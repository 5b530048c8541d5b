import { Type } from '@sinclair/typebox';
import { HHMM, Localized, Nullable, Obj } from './types';

/** Outbound policies and MO keywords (issue 3). */
export const MessagingSection = Obj({
  quietHours: Nullable(Obj({ start: HHMM, end: HHMM }), 'no quiet hours'),
  timezone: Type.String({ default: 'Africa/Nairobi' }),
  frequencyCap: Obj({
    promotional: Type.Integer({ minimum: 0, default: 2 }),
    days: Type.Integer({ minimum: 1, default: 7 }),
  }),
  validityHours: Type.Number({ exclusiveMinimum: 0, default: 48 }),
  retry: Obj({
    baseSeconds: Type.Number({ exclusiveMinimum: 0, default: 5 }),
    maxSeconds: Type.Number({ exclusiveMinimum: 0, default: 600 }),
  }),
  maxParts: Type.Integer({ minimum: 1, maximum: 255, default: 10, description: 'longest message accepted, in SMS parts' }),
  concatTimeoutSeconds: Type.Number({ exclusiveMinimum: 0, default: 300, description: 'an incomplete concatenated MO is routed with what arrived after this long' }),
  dispatch: Obj({
    pollMs: Type.Integer({ minimum: 5, default: 250, description: 'how often deferred and retried messages are looked for' }),
    batch: Type.Integer({ minimum: 1, default: 200, description: 'outbox rows claimed per operator at a time' }),
  }),
  keywords: Obj({
    optOut: Type.Array(Type.String(), { default: ['STOP', 'STOP ALL', 'STOPALL', 'UNSUBSCRIBE', 'ACHA', 'SITISHA', 'KOMESHA'] }),
    optIn: Type.Array(Type.String(), { default: ['START', 'ANZA'] }),
    help: Type.Array(Type.String(), { default: ['HELP', 'MSAADA', 'SAIDIA'] }),
  }),
  texts: Obj({
    optOut: Localized,
    optIn: Localized,
    help: Localized,
    defaultReply: Localized,
  }),
});
