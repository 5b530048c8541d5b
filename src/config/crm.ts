import { Type } from '@sinclair/typebox';
import { Localized, Nullable, Obj } from './types';

const PerKind = (description: string) =>
  Obj({
    education_sms: Type.Number({ minimum: 0, description }),
    voice_guidance: Type.Number({ minimum: 0, description }),
    nudge: Type.Number({ minimum: 0, description }),
    save: Type.Number({ minimum: 0, description }),
    winback: Type.Number({ minimum: 0, description }),
  });

/** Detectors, scores, interventions and experiments (issue 6); the defaults, in config/default.yaml, follow docs/domain.md. */
export const CrmSection = Obj({
  schedule: Type.String({ description: 'cron expression of the detector passes' }),
  holdoutPercent: Type.Number({ minimum: 0, maximum: 100, description: 'randomized holdout per intervention kind' }),
  enabled: Type.Boolean({ description: 'false: no scheduled passes (vasgw detect still runs one)' }),
  act: Type.Boolean({ description: 'false: findings are recorded but no message or call goes out' }),
  experimentSalt: Type.String({ minLength: 1, description: 'changing it reshuffles who is in each holdout' }),
  leaseSeconds: Type.Number({ exclusiveMinimum: 0, description: 'a pass claimed by a process that died is taken over after this' }),
  episodeGapMinutes: Type.Number({ exclusiveMinimum: 0, description: 'discovery: sessions of a subscriber this close together (any channel) are one episode' }),
  ivrContentHeardSeconds: Type.Number({ minimum: 0, description: 'discovery: a caller who hangs up on content after this long has heard it to the end' }),
  stuck: Obj({
    invalidInputs: Type.Integer({ minimum: 1, description: 'friction: this many invalid inputs in a session' }),
    revisits: Type.Integer({ minimum: 1, description: 'friction: this many returns to screens already seen' }),
    backs: Type.Integer({ minimum: 1, description: 'friction: this many presses of 0 (back)' }),
    deepExitDepth: Type.Integer({ minimum: 1, description: 'friction: a timeout or hang-up this many menus deep' }),
    longMenuSeconds: Type.Number({ exclusiveMinimum: 0, description: 'friction: this long in menus without content' }),
    minStuckSessions: Type.Integer({ minimum: 1, description: 'flag a subscriber after this many stuck sessions in the window' }),
    windowDays: Type.Number({ exclusiveMinimum: 0 }),
    lowDiscoveryRate: Type.Number({ minimum: 0, maximum: 1, description: 'or: share of sessions in the window that found content at the first go below this' }),
    minSessionsForRate: Type.Integer({ minimum: 1, description: '...over at least this many sessions' }),
  }),
  passive: Obj({
    minRenewals: Type.Integer({ minimum: 1, description: 'successful renewals in the window with no content reached' }),
    windowDays: Obj({
      daily: Type.Number({ exclusiveMinimum: 0 }),
      weekly: Type.Number({ exclusiveMinimum: 0 }),
      monthly: Type.Number({ exclusiveMinimum: 0 }),
    }),
  }),
  lapsing: Obj({
    consecutiveFailures: Type.Integer({ minimum: 1, description: 'renewal failures in a row' }),
    states: Type.Array(Type.String()),
    chargeWindowDays: Type.Number({ exclusiveMinimum: 0 }),
    minChargeAttempts: Type.Integer({ minimum: 1 }),
    chargeSuccessBelow: Type.Number({ minimum: 0, maximum: 1, description: 'charge success in the window below this (docs/domain.md: ~84% is normal)' }),
    pAliveBelow: Type.Number({ minimum: 0, maximum: 1, description: 'BG/BB probability of still being an active user below this' }),
    minActiveDays: Type.Integer({ minimum: 1, description: 'the P(alive) rule applies to regulars only' }),
  }),
  churned: Obj({
    winbackDays: Type.Number({ exclusiveMinimum: 0, description: 'a churned subscriber is eligible for win-back this long' }),
    minContentSessions: Type.Integer({ minimum: 0, description: '"having used the service"' }),
  }),
  scores: Obj({
    cohort: Type.Union([Type.Literal('week'), Type.Literal('month')]),
    minCohortSize: Type.Optional(Type.Integer({ minimum: 10, deprecated: true, description: 'deprecated: use crm.fits.minCohortSize (when an older config sets this, it wins)' })),
    refitHours: Type.Number({ exclusiveMinimum: 0 }),
    annualDiscountRate: Type.Number({ minimum: 0 }),
    horizonDays: Type.Integer({ minimum: 1, description: 'residual lifetime and value are counted up to this far ahead' }),
    riskTop: Type.Integer({ minimum: 1, description: 'how many of the highest values at risk each ranking (lapse, disengagement) keeps' }),
    atRiskFrom: Type.Number({ minimum: 0, maximum: 1, description: 'a subscription enters a risk ranking when that risk is at least this (0.5: more likely than not)' }),
  }),
  fits: Obj({
    minCohortSize: Type.Integer({ minimum: 10, description: 'smaller cohorts show the pooled fit (all cohorts together) and say so' }),
    minAgeDays: Type.Integer({ minimum: 1, description: 'a cohort observed for fewer days shows the pooled fit' }),
    minEvents: Type.Integer({ minimum: 0, description: 'renewals: a cohort with fewer lapses shows the pooled fit' }),
    minPeriods: Type.Integer({ minimum: 1, description: 'renewals: so does a cohort observed for fewer billing periods than this (for a monthly service: 90 days)' }),
    priorSd: Type.Number({ exclusiveMinimum: 0, description: 'weak prior centred on the pooled fit: standard deviation of ln(parameter); smaller pulls harder' }),
    minParam: Type.Number({ exclusiveMinimum: 0, description: 'no fitted parameter goes below this' }),
    maxParam: Type.Number({ exclusiveMinimum: 0, description: 'no fitted parameter goes above this' }),
  }),
  bestChannel: Obj({
    responseHours: Type.Number({ exclusiveMinimum: 0, description: 'an answer this long after a delivered SMS counts as a response to it' }),
    minAttempts: Type.Integer({ minimum: 1, description: "a channel needs this many attempts before it can be a subscriber's best" }),
    prior: Type.Number({ minimum: 0, description: 'pulls each rate towards the base rate of the channel, as if this many attempts at it' }),
  }),
  interventions: Obj({
    cooldownDays: PerKind('no second intervention of a kind to a subscriber within this'),
    maxPerPass: Type.Integer({ minimum: 1, description: 'interventions per pass; a larger backlog is spread over later passes' }),
    findingTtlDays: Type.Number({ exclusiveMinimum: 0, description: 'a finding not acted on within this expires' }),
    outcomeDays: Type.Number({ exclusiveMinimum: 0, description: 'outcomes (content reached, renewed, returned) are counted within this' }),
    from: Nullable(Type.String({ minLength: 1 }), "the bind's default short code"),
    voiceFlow: Type.String({ description: 'flow of the guidance call; the first flow with a USSD code if absent' }),
    bestChannel: Type.Array(Type.String({ minLength: 1 }), { description: "SMS intervention kinds that follow the subscriber's best channel (best = call: a guidance call instead)" }),
    templates: Obj({
      education_sms: Localized,
      nudge: Localized,
      save_billing: Localized,
      save_usage: Localized,
      winback: Localized,
    }),
  }),
  costs: Obj({
    currency: Type.String({ minLength: 3, maxLength: 3 }),
    smsPart: Type.Number({ minimum: 0, description: 'what one SMS part costs us' }),
    call: Type.Number({ minimum: 0, description: 'what one outbound guidance call costs us' }),
  }),
});
