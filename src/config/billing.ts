import { Type } from '@sinclair/typebox';
import { Localized, Obj } from './types';

/** Subscription lifecycle windows, operator subscription APIs and subscriber texts (issue 5). */
export const BillingSection = Obj({
  graceDays: Type.Number({ minimum: 0, description: 'after a failed renewal: access kept while the operator retries' }),
  suspendDays: Type.Number({ minimum: 0, description: 'after grace: no access while retries go on; then expired' }),
  missedRenewalHours: Type.Number({ minimum: 0, description: 'an expected renewal with no notification this long after counts as missed' }),
  jobIntervalSeconds: Type.Number({ exclusiveMinimum: 0 }),
  sdp: Obj({
    feeDivisor: Type.Number({ exclusiveMinimum: 0, description: 'extensionInfo fee is in minor units; divide by this' }),
  }),
  africastalking: Obj({
    enabled: Type.Boolean(),
    apiBaseUrl: Type.String(),
    contentBaseUrl: Type.String(),
    username: Type.String(),
    apiKey: Type.String(),
    timeoutMs: Type.Integer({ minimum: 100 }),
  }),
  requests: Obj({
    maxAttempts: Type.Integer({ minimum: 1 }),
    retryBaseSeconds: Type.Number({ exclusiveMinimum: 0 }),
  }),
  texts: Obj({
    subscribeRequested: Localized,
    alreadySubscribed: Localized,
    unsubscribeRequested: Localized,
    notSubscribed: Localized,
    periodNames: Obj({ daily: Localized, weekly: Localized, monthly: Localized }),
  }),
});
