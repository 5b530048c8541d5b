import { Type, type TSchema } from '@sinclair/typebox';
import { Localized, Nullable, Obj } from './types';

const PerKind = (description: string) =>
  Obj({
    education_sms: Type.Number({ minimum: 0, description }),
    voice_guidance: Type.Number({ minimum: 0, description }),
    nudge: Type.Number({ minimum: 0, description }),
    save: Type.Number({ minimum: 0, description }),
    winback: Type.Number({ minimum: 0, description }),
    welcome: Type.Number({ minimum: 0, description }),
    onboarding_followup: Type.Number({ minimum: 0, description }),
    exit_guidance: Type.Number({ minimum: 0, description }),
    exit_offer: Type.Number({ minimum: 0, description }),
    save_call: Type.Number({ minimum: 0, description }),
  });

/** One value per exit reason (issue 15, exit reasons). */
const PerReason = <T extends TSchema>(t: T) =>
  Obj({ too_expensive: t, not_useful: t, hard_to_use: t, poor_network: t, other: t });
const FollowUp = Nullable(Type.Union([Type.Literal('exit_guidance'), Type.Literal('exit_offer')]), 'no follow-up');

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
      welcome: Localized,
      onboarding_followup: Localized,
      exit_offer: Localized,
    }),
  }),
  packageFit: Obj({
    dailyFrom: Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'package fit: a subscriber active on at least this share of the days of their history is a daily user' }),
    weeklyFrom: Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'package fit: at least this share (and below dailyFrom) is a weekly user; below it, seasonal' }),
    lapsedAfterDays: Type.Integer({ minimum: 1, description: 'package fit: no activity in this many days before the subscription ended (or before today) is lapsed' }),
  }),
  onboarding: Obj({
    enabled: Type.Boolean({ description: 'false: no new_subscriber / first_sessions_stuck findings (no welcome, no follow-up)' }),
    newWithinDays: Type.Number({ exclusiveMinimum: 0, description: 'a subscriber who joined (first session or first subscription) this recently is new; older joins a pass finds in history are not welcomed' }),
    firstSessions: Type.Integer({ minimum: 1, description: 'follow-up: a stuck session among their first this many sessions...' }),
    stuckWithinDays: Type.Number({ exclusiveMinimum: 0, description: '...within this many days of joining' }),
    followupAfterHours: Type.Number({ minimum: 0, description: 'the follow-up goes no sooner than this after the welcome' }),
    retentionDays: Type.Integer({ minimum: 1, description: 'retention is measured this many days after joining' }),
    activeWithinDays: Type.Integer({ minimum: 1, description: 'retained: a live subscription then, or activity within this many days before the end of the retention window (or later)' }),
    shortcuts: Type.Integer({ minimum: 1, maximum: 5, description: 'at most this many shortcuts in the welcome (fewer when one more would add an SMS part)' }),
    shortcutWindowDays: Type.Integer({ minimum: 1, description: 'shortcuts are ranked by first-go reaches over this many days' }),
    minGroupReaches: Type.Integer({ minimum: 1, description: 'a region+crop (or region) group with fewer first-go reaches borrows from the broader group' }),
  }),
  exitReasons: Obj({
    enabled: Type.Boolean({ description: 'false: no exit question is asked' }),
    replyWindowHours: Type.Number({ exclusiveMinimum: 0, description: 'an SMS reply after this is routed as any other message' }),
    ussdPoll: Type.String({ minLength: 1, description: 'poll key of the in-session question in flows (a poll node with the five reasons in order)' }),
    question: Localized,
    thanks: Localized,
    labels: PerReason(Localized),
    words: PerReason(Type.Array(Type.String({ minLength: 1 }), { description: 'replies (any language) that mean this reason besides its number' })),
    followUps: PerReason(FollowUp),
  }),
  tiers: Obj({
    coreShare: Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'share of the ranked subscribers with the highest residual value that are core (0.1: the top decile)' }),
    growthShare: Type.Number({ minimum: 0, maximum: 1, description: 'the next share below core is growth; the rest is base' }),
    minTenureDays: Type.Integer({ minimum: 0, description: 'subscribers younger than this are `new` and not ranked' }),
    saveCallFlow: Nullable(Type.String({ minLength: 1 }), 'crm.interventions.voiceFlow'),
    coreMaxHoldoutPercent: Type.Number({ minimum: 0, maximum: 100, description: 'core customers are held out of a discount offer at most this often' }),
    discountKinds: Type.Array(Type.String({ minLength: 1 }), { description: 'intervention kinds whose holdout is capped for core customers' }),
  }),
  costs: Obj({
    currency: Type.String({ minLength: 3, maxLength: 3 }),
    smsPart: Type.Number({ minimum: 0, description: 'what one SMS part costs us' }),
    call: Type.Number({ minimum: 0, description: 'what one outbound guidance call costs us' }),
  }),
  menuRecommendations: Obj({
    minSample: Type.Integer({ minimum: 1, description: 'no suggestion on fewer choices, views or arrivals than this' }),
    rareOptionShare: Type.Number({ minimum: 0, maximum: 1, description: "rarely picked: the 95% interval's top below this share of the menu's choices" }),
    invalidRate: Type.Number({ minimum: 0, maximum: 1, description: "unclear prompt: the 95% interval's bottom of views with an invalid input above this" }),
    detourRate: Type.Number({ minimum: 0, maximum: 1, description: "buried content: the 95% interval's bottom of arrivals after a back, home or revisit above this" }),
    shortcutShare: Type.Number({ minimum: 0, maximum: 1, description: "content missing from the menu: the 95% interval's bottom of arrivals by shortcut dial above this" }),
    pagingRate: Type.Number({ minimum: 0, maximum: 1, description: "too long a screen: the 95% interval's bottom of views that asked for the next page above this" }),
  }),
});
