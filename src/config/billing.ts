import { Type } from '@sinclair/typebox';
import { Localized, Obj } from './types';

/** Subscription lifecycle windows, operator subscription APIs and subscriber texts (issue 5). */
export const BillingSection = Obj({
  graceDays: Type.Number({ minimum: 0, default: 3, description: 'after a failed renewal: access kept while the operator retries' }),
  suspendDays: Type.Number({ minimum: 0, default: 27, description: 'after grace: no access while retries go on; then expired' }),
  missedRenewalHours: Type.Number({ minimum: 0, default: 24, description: 'an expected renewal with no notification this long after counts as missed' }),
  jobIntervalSeconds: Type.Number({ exclusiveMinimum: 0, default: 60 }),
  sdp: Obj({
    feeDivisor: Type.Number({ exclusiveMinimum: 0, default: 100, description: 'extensionInfo fee is in minor units; divide by this' }),
  }),
  africastalking: Obj({
    enabled: Type.Boolean({ default: false }),
    apiBaseUrl: Type.String({ default: 'https://api.africastalking.com' }),
    contentBaseUrl: Type.String({ default: 'https://content.africastalking.com' }),
    username: Type.String({ default: 'sandbox' }),
    apiKey: Type.String({ default: '' }),
    timeoutMs: Type.Integer({ minimum: 100, default: 10_000 }),
  }),
  requests: Obj({
    maxAttempts: Type.Integer({ minimum: 1, default: 5 }),
    retryBaseSeconds: Type.Number({ exclusiveMinimum: 0, default: 30 }),
  }),
  texts: Obj({
    subscribeRequested: Localized,
    alreadySubscribed: Localized,
    unsubscribeRequested: Localized,
    notSubscribed: Localized,
    periodNames: Obj({ daily: Localized, weekly: Localized, monthly: Localized }),
  }),
});
