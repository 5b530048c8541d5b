import { Type } from '@sinclair/typebox';
import { Localized, Nullable, Obj } from './types';

const PerKind = (defaults: Record<string, number>, description: string) =>
  Obj({
    education_sms: Type.Number({ minimum: 0, default: defaults.education_sms, description }),
    voice_guidance: Type.Number({ minimum: 0, default: defaults.voice_guidance, description }),
    nudge: Type.Number({ minimum: 0, default: defaults.nudge, description }),
    save: Type.Number({ minimum: 0, default: defaults.save, description }),
    winback: Type.Number({ minimum: 0, default: defaults.winback, description }),
  });

/** Detectors, scores, interventions and experiments (issue 6). Defaults follow shared/DOMAIN.md. */
export const CrmSection = Obj({
  schedule: Type.String({ default: '0 * * * *', description: 'cron expression of the detector passes' }),
  holdoutPercent: Type.Number({ minimum: 0, maximum: 100, default: 10, description: 'randomized holdout per intervention kind' }),
  enabled: Type.Boolean({ default: true, description: 'false: no scheduled passes (vasgw detect still runs one)' }),
  act: Type.Boolean({ default: true, description: 'false: findings are recorded but no message or call goes out' }),
  experimentSalt: Type.String({ minLength: 1, default: 'vasgw-crm', description: 'changing it reshuffles who is in each holdout' }),
  leaseSeconds: Type.Number({ exclusiveMinimum: 0, default: 900, description: 'a pass claimed by a process that died is taken over after this' }),
  episodeGapMinutes: Type.Number({ exclusiveMinimum: 0, default: 30, description: 'discovery: sessions of a subscriber this close together (any channel) are one episode' }),
  ivrContentHeardSeconds: Type.Number({ minimum: 0, default: 20, description: 'discovery: a caller who hangs up on content after this long has heard it to the end' }),
  stuck: Obj({
    invalidInputs: Type.Integer({ minimum: 1, default: 2, description: 'friction: this many invalid inputs in a session' }),
    revisits: Type.Integer({ minimum: 1, default: 2, description: 'friction: this many returns to screens already seen' }),
    backs: Type.Integer({ minimum: 1, default: 3, description: 'friction: this many presses of 0 (back)' }),
    deepExitDepth: Type.Integer({ minimum: 1, default: 2, description: 'friction: a timeout or hang-up this many menus deep' }),
    longMenuSeconds: Type.Number({ exclusiveMinimum: 0, default: 90, description: 'friction: this long in menus without content' }),
    minStuckSessions: Type.Integer({ minimum: 1, default: 2, description: 'flag a subscriber after this many stuck sessions in the window' }),
    windowDays: Type.Number({ exclusiveMinimum: 0, default: 7 }),
    lowDiscoveryRate: Type.Number({ minimum: 0, maximum: 1, default: 0.25, description: 'or: share of sessions in the window that found content at the first go below this' }),
    minSessionsForRate: Type.Integer({ minimum: 1, default: 4, description: '...over at least this many sessions' }),
  }),
  passive: Obj({
    minRenewals: Type.Integer({ minimum: 1, default: 2, description: 'successful renewals in the window with no content reached' }),
    windowDays: Obj({
      daily: Type.Number({ exclusiveMinimum: 0, default: 7 }),
      weekly: Type.Number({ exclusiveMinimum: 0, default: 28 }),
      monthly: Type.Number({ exclusiveMinimum: 0, default: 90 }),
    }),
  }),
  lapsing: Obj({
    consecutiveFailures: Type.Integer({ minimum: 1, default: 1, description: 'renewal failures in a row' }),
    states: Type.Array(Type.String(), { default: ['grace', 'suspended'] }),
    chargeWindowDays: Type.Number({ exclusiveMinimum: 0, default: 14 }),
    minChargeAttempts: Type.Integer({ minimum: 1, default: 3 }),
    chargeSuccessBelow: Type.Number({ minimum: 0, maximum: 1, default: 0.5, description: 'charge success in the window below this (DOMAIN: ~84% is normal)' }),
    pAliveBelow: Type.Number({ minimum: 0, maximum: 1, default: 0.3, description: 'BG/BB probability of still being an active user below this' }),
    minActiveDays: Type.Integer({ minimum: 1, default: 3, description: 'the P(alive) rule applies to regulars only' }),
  }),
  churned: Obj({
    winbackDays: Type.Number({ exclusiveMinimum: 0, default: 30, description: 'a churned subscriber is eligible for win-back this long' }),
    minContentSessions: Type.Integer({ minimum: 0, default: 1, description: '"having used the service"' }),
  }),
  scores: Obj({
    cohort: Type.Union([Type.Literal('week'), Type.Literal('month')], { default: 'month' }),
    minCohortSize: Type.Integer({ minimum: 10, default: 300, description: 'smaller cohorts use the fit of all cohorts together' }),
    refitHours: Type.Number({ exclusiveMinimum: 0, default: 24 }),
    annualDiscountRate: Type.Number({ minimum: 0, default: 0.1 }),
    horizonDays: Type.Integer({ minimum: 1, default: 365, description: 'residual lifetime and value are counted up to this far ahead' }),
    riskTop: Type.Integer({ minimum: 1, default: 10_000, description: 'how many of the highest values at risk the ranking keeps' }),
  }),
  interventions: Obj({
    cooldownDays: PerKind({ education_sms: 14, voice_guidance: 30, nudge: 14, save: 7, winback: 30 }, 'no second intervention of a kind to a subscriber within this'),
    maxPerPass: Type.Integer({ minimum: 1, default: 20_000, description: 'interventions per pass; a larger backlog is spread over later passes' }),
    findingTtlDays: Type.Number({ exclusiveMinimum: 0, default: 7, description: 'a finding not acted on within this expires' }),
    outcomeDays: Type.Number({ exclusiveMinimum: 0, default: 14, description: 'outcomes (content reached, renewed, returned) are counted within this' }),
    from: Nullable(Type.String({ minLength: 1 })),
    voiceFlow: Type.String({ default: 'voice-guide', description: 'flow of the guidance call; the first flow with a USSD code if absent' }),
    templates: Obj({
      education_sms: Localized,
      nudge: Localized,
      save_billing: Localized,
      save_usage: Localized,
      winback: Localized,
    }),
  }),
  costs: Obj({
    currency: Type.String({ minLength: 3, maxLength: 3, default: 'KES' }),
    smsPart: Type.Number({ minimum: 0, default: 0.8, description: 'what one SMS part costs us' }),
    call: Type.Number({ minimum: 0, default: 4, description: 'what one outbound guidance call costs us' }),
  }),
});
