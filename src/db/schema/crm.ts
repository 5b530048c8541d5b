import { sql } from 'drizzle-orm';
import { sqliteTable, integer, text, real, blob, index, uniqueIndex, primaryKey } from 'drizzle-orm/sqlite-core';
import { calls } from './calls';
import { messages } from './messaging';
import { subscribers } from './core';

// The CRM's own tables. Detectors read usage_events incrementally (by id) and keep everything they need
// here: per-subscriber activity, daily rollups that reports sum, findings, interventions and model fits.
// Days are whole days in the configured time zone, counted from 1970-01-01 (integers).

/** Cursors, leases and other small pieces of detector state. */
export const crmState = sqliteTable('crm_state', {
  key: text('key').primaryKey(),
  value: text('value', { mode: 'json' }).$type<unknown>(),
  /** Lease holder (the pass lease): claimed atomically so two processes never run a pass at once. */
  owner: text('owner'),
  expiresAt: integer('expires_at'),
  updatedAt: integer('updated_at').notNull(),
});

/** What the detectors know about each subscriber's use of the service (maintained incrementally). */
export const crmSubscribers = sqliteTable(
  'crm_subscribers',
  {
    subscriberId: integer('subscriber_id').primaryKey().references(() => subscribers.id),
    /** First and last day with activity (a session or an SMS keyword), and how many distinct days. */
    firstDay: integer('first_day'),
    lastDay: integer('last_day'),
    activeDays: integer('active_days').notNull().default(0),
    sessions: integer('sessions').notNull().default(0),
    ussdSessions: integer('ussd_sessions').notNull().default(0),
    ivrSessions: integer('ivr_sessions').notNull().default(0),
    contentSessions: integer('content_sessions').notNull().default(0),
    /** Sessions that reached content without friction (the first-attempt successes). */
    cleanSessions: integer('clean_sessions').notNull().default(0),
    stuckSessions: integer('stuck_sessions').notNull().default(0),
    /** Whether the very first session reached content (null before any session). */
    firstContent: integer('first_content'),
    lastSessionAt: integer('last_session_at'),
    lastContentAt: integer('last_content_at'),
    /** Recent stuck sessions: [[endedAt, channel, flowId, soughtNodeId], ...] within the stuck window. */
    stuckRecent: text('stuck_recent', { mode: 'json' }).$type<[number, string, string, string | null][]>(),
    /** Recent charge attempts: [[at, serviceId, ok (1|0), amount], ...] within the billing window. */
    chargesRecent: text('charges_recent', { mode: 'json' }).$type<[number, string, number, number][]>(),
    updatedAt: integer('updated_at').notNull(),
  },
  // The activity history (first day, active days, last day) is what BG/BB scores: fits group by it and
  // the lapsing detector looks subscribers up by it.
  (t) => [index('crm_subscribers_history_idx').on(t.firstDay, t.activeDays, t.lastDay)],
);

/**
 * The day a quiet subscriber's P(alive) falls below the lapsing threshold, per activity history (first
 * day, active days, last day): a few tens of thousands of rows for a million subscribers, recomputed at
 * each refit instead of one value per subscriber.
 */
export const crmLapseDays = sqliteTable(
  'crm_lapse_days',
  {
    firstDay: integer('first_day').notNull(),
    activeDays: integer('active_days').notNull(),
    lastDay: integer('last_day').notNull(),
    lapseDay: integer('lapse_day'),
  },
  (t) => [primaryKey({ columns: [t.firstDay, t.activeDays, t.lastDay] }), index('crm_lapse_days_day_idx').on(t.lapseDay)],
);

/** Sessions seen but not yet ended when a pass finished: their running classification. */
export const crmOpenSessions = sqliteTable('crm_open_sessions', {
  sessionId: text('session_id').primaryKey(),
  subscriberId: integer('subscriber_id').notNull().references(() => subscribers.id),
  lastAt: integer('last_at').notNull(),
  acc: text('acc', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
});

/** Per node and day: what the flow funnel report sums. */
export const crmNodeDaily = sqliteTable(
  'crm_node_daily',
  {
    day: integer('day').notNull(),
    channel: text('channel').notNull(),
    flowId: text('flow_id').notNull(),
    nodeId: text('node_id').notNull(),
    /** Times the screen was shown, and sessions that saw it at least once. */
    views: integer('views').notNull().default(0),
    sessions: integer('sessions').notNull().default(0),
    invalid: integer('invalid').notNull().default(0),
    backs: integer('backs').notNull().default(0),
    /** Sessions that ended on this node, by reason. */
    exits: text('exits', { mode: 'json' }).$type<Record<string, number>>().notNull().default({}),
    /** Sessions that ended on this node without reaching any content. */
    dropoffs: integer('dropoffs').notNull().default(0),
    /** Dwell time histogram (log-spaced buckets, see src/crm/dwell.ts). */
    dwell: text('dwell', { mode: 'json' }).$type<number[]>().notNull().default([]),
  },
  (t) => [primaryKey({ columns: [t.day, t.channel, t.flowId, t.nodeId] })],
);

/** Per flow and day: sessions, content reached, first attempts, stuck sessions and why. */
export const crmSessionDaily = sqliteTable(
  'crm_session_daily',
  {
    day: integer('day').notNull(),
    channel: text('channel').notNull(),
    flowId: text('flow_id').notNull(),
    sessions: integer('sessions').notNull().default(0),
    contentSessions: integer('content_sessions').notNull().default(0),
    cleanSessions: integer('clean_sessions').notNull().default(0),
    stuckSessions: integer('stuck_sessions').notNull().default(0),
    firstSessions: integer('first_sessions').notNull().default(0),
    firstContentSessions: integer('first_content_sessions').notNull().default(0),
    menuMs: integer('menu_ms').notNull().default(0),
    /** Sessions by end reason. */
    ends: text('ends', { mode: 'json' }).$type<Record<string, number>>().notNull().default({}),
    /** Stuck sessions by friction signal (invalid, revisits, backs, deep_exit, long_menus, max_invalid). */
    friction: text('friction', { mode: 'json' }).$type<Record<string, number>>().notNull().default({}),
  },
  (t) => [primaryKey({ columns: [t.day, t.channel, t.flowId] })],
);

/** Per day, channel, flow and profile dimension value: usage and a distinct-subscriber sketch. */
export const crmUsageDaily = sqliteTable(
  'crm_usage_daily',
  {
    day: integer('day').notNull(),
    channel: text('channel').notNull(),
    flowId: text('flow_id').notNull(),
    /** region | crop | language | operator */
    dim: text('dim').notNull(),
    value: text('value').notNull(),
    sessions: integer('sessions').notNull().default(0),
    contentSessions: integer('content_sessions').notNull().default(0),
    stuckSessions: integer('stuck_sessions').notNull().default(0),
    /** HyperLogLog registers of the subscribers active (src/crm/hll.ts). */
    subscribers: blob('subscribers', { mode: 'buffer' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.day, t.channel, t.flowId, t.dim, t.value] })],
);

/** Episodes (a subscriber's sessions within the configured gap) still open at the end of a pass. */
export const crmOpenEpisodes = sqliteTable('crm_open_episodes', {
  subscriberId: integer('subscriber_id').primaryKey().references(() => subscribers.id),
  lastAt: integer('last_at').notNull(),
  acc: text('acc', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
});

/** Finished episodes per start day: was the content sought found at the first go, later, or not at all. */
export const crmDiscoveryDaily = sqliteTable(
  'crm_discovery_daily',
  {
    day: integer('day').notNull(),
    /** Channel and flow of the episode's first session. */
    channel: text('channel').notNull(),
    flowId: text('flow_id').notNull(),
    language: text('language').notNull(),
    /** first_week (the subscriber's first 7 days of activity) | established */
    cohort: text('cohort').notNull(),
    /** The content sought (its flow and node); '' when the episode reached no content. */
    soughtFlowId: text('sought_flow_id').notNull(),
    nodeId: text('node_id').notNull(),
    episodes: integer('episodes').notNull().default(0),
    firstGo: integer('first_go').notNull().default(0),
    retried: integer('retried').notNull().default(0),
    notFound: integer('not_found').notNull().default(0),
    /** Episodes whose first session reached some content cleanly (the "any content" rate). */
    anyFirstGo: integer('any_first_go').notNull().default(0),
    sessions: integer('sessions').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.day, t.channel, t.flowId, t.language, t.cohort, t.soughtFlowId, t.nodeId] })],
);

/** The same episode counts per profile field value (subscribers.profile); value '' counts episodes whose subscriber has the field. */
export const crmDiscoveryProfileDaily = sqliteTable(
  'crm_discovery_profile_daily',
  {
    day: integer('day').notNull(),
    channel: text('channel').notNull(),
    flowId: text('flow_id').notNull(),
    field: text('field').notNull(),
    value: text('value').notNull(),
    episodes: integer('episodes').notNull().default(0),
    firstGo: integer('first_go').notNull().default(0),
    retried: integer('retried').notNull().default(0),
    notFound: integer('not_found').notNull().default(0),
    anyFirstGo: integer('any_first_go').notNull().default(0),
    sessions: integer('sessions').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.day, t.channel, t.flowId, t.field, t.value] }), index('crm_discovery_profile_field_day').on(t.field, t.day)],
);

/**
 * Visits (a session, or content sent outside one) per profile field value, for usage and content-by-demography
 * reports. Value '(not set)' counts subscribers without the field; field '*' value '' counts every visit.
 */
export const crmUsageProfileDaily = sqliteTable(
  'crm_usage_profile_daily',
  {
    day: integer('day').notNull(),
    channel: text('channel').notNull(),
    flowId: text('flow_id').notNull(),
    field: text('field').notNull(),
    value: text('value').notNull(),
    visits: integer('visits').notNull().default(0),
    sessions: integer('sessions').notNull().default(0),
    contentSessions: integer('content_sessions').notNull().default(0),
    /** The distinct subscribers with a visit (src/crm/distinct-sketch.ts: exact ids while few, else HyperLogLog). */
    subscribers: blob('subscribers', { mode: 'buffer' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.day, t.channel, t.flowId, t.field, t.value] }), index('crm_usage_profile_field_day').on(t.field, t.day)],
);

/** Visits that reached each content node (read on USSD, heard to the end on IVR, sent by SMS), per profile field value. */
export const crmContentProfileDaily = sqliteTable(
  'crm_content_profile_daily',
  {
    day: integer('day').notNull(),
    channel: text('channel').notNull(),
    flowId: text('flow_id').notNull(),
    nodeId: text('node_id').notNull(),
    field: text('field').notNull(),
    value: text('value').notNull(),
    visits: integer('visits').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.day, t.channel, t.flowId, t.nodeId, t.field, t.value] }), index('crm_content_profile_field_day').on(t.field, t.day)],
);

/** Something a detector found about a subscriber, acted on at most once. */
export const crmFindings = sqliteTable(
  'crm_findings',
  {
    id: text('id').primaryKey(),
    subscriberId: integer('subscriber_id').notNull().references(() => subscribers.id),
    /** stuck | passive | lapsing | churned */
    kind: text('kind').notNull(),
    /** Kind-specific identity: the same situation is never a second finding. */
    dedupeKey: text('dedupe_key').notNull(),
    /** open | acted | holdout | ineligible | expired */
    status: text('status').notNull(),
    reason: text('reason').notNull(),
    serviceId: text('service_id'),
    detail: text('detail', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    detectedAt: integer('detected_at').notNull(),
    /** Not acted on before this (a cool-down of the same kind is running). */
    notBefore: integer('not_before').notNull(),
    expiresAt: integer('expires_at').notNull(),
    closedAt: integer('closed_at'),
    interventionId: text('intervention_id'),
  },
  (t) => [
    uniqueIndex('crm_findings_dedupe_uq').on(t.dedupeKey),
    // At most one finding of a kind is open per subscriber at a time.
    uniqueIndex('crm_findings_open_uq').on(t.subscriberId, t.kind).where(sql`closed_at IS NULL`),
    index('crm_findings_due_idx').on(t.status, t.notBefore),
    // The id too: the stuck list's newest-first page (ORDER BY detected_at DESC, id DESC LIMIT) walks it with no sort.
    index('crm_findings_kind_idx').on(t.kind, t.detectedAt, t.id),
    // A subscriber's findings, newest first (the console's profile timeline).
    index('crm_findings_subscriber_idx').on(t.subscriberId, t.detectedAt),
  ],
);

/** One action (or a deliberate non-action, the holdout) on one finding, and what followed. */
export const crmInterventions = sqliteTable(
  'crm_interventions',
  {
    id: text('id').primaryKey(),
    findingId: text('finding_id').notNull().references(() => crmFindings.id),
    subscriberId: integer('subscriber_id').notNull().references(() => subscribers.id),
    /** education_sms | voice_guidance | nudge | save | winback | save_call */
    kind: text('kind').notNull(),
    findingKind: text('finding_kind').notNull(),
    serviceId: text('service_id'),
    /** treatment | holdout */
    arm: text('arm').notNull(),
    /** sms | call | none */
    channel: text('channel').notNull(),
    /**
     * The decision when acting: queued | blocked | held_out. What became of the message or call (its
     * delivery state) is read from the outbox / call row (message_id, call_id), never copied here.
     */
    status: text('status').notNull(),
    reason: text('reason'),
    messageId: text('message_id').references(() => messages.id),
    callId: text('call_id').references(() => calls.id),
    text: text('text'),
    parts: integer('parts').notNull().default(0),
    /**
     * The price quoted when acting (SMS: parts x part price; call: the configured call price), in minor
     * units. Not a cost: the report charges it only for SMS parts the SMSC accepted and answered calls.
     */
    costMinor: integer('cost_minor').notNull().default(0),
    at: integer('at').notNull(),
    windowEndsAt: integer('window_ends_at').notNull(),
    outcomeClosed: integer('outcome_closed', { mode: 'boolean' }).notNull().default(false),
    reachedContentAt: integer('reached_content_at'),
    returnedAt: integer('returned_at'),
    renewedAt: integer('renewed_at'),
    /** Charges collected from the subscriber within the outcome window (minor units). */
    revenueMinor: integer('revenue_minor').notNull().default(0),
  },
  (t) => [
    // One intervention of each kind per finding (a lapsing core customer's finding has a save SMS and a save call).
    uniqueIndex('crm_interventions_finding_uq').on(t.findingId, t.kind),
    index('crm_interventions_subscriber_idx').on(t.subscriberId, t.kind, t.at),
    index('crm_interventions_open_idx').on(t.outcomeClosed, t.windowEndsAt),
    index('crm_interventions_kind_idx').on(t.kind, t.at),
  ],
);

/** Fitted model parameters per cohort (BG/BB on daily activity, sBG on renewals per service). */
export const crmFits = sqliteTable(
  'crm_fits',
  {
    model: text('model').notNull(),
    serviceId: text('service_id').notNull(),
    cohort: text('cohort').notNull(),
    params: text('params', { mode: 'json' }).$type<Record<string, number>>().notNull(),
    size: integer('size').notNull(),
    logLikelihood: real('log_likelihood').notNull(),
    /** Observed data the fit used (survivors per period for sBG), for the reports' curves. */
    observed: text('observed', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    /** Fit quality: n, log-likelihood, intervals, and whether (and why) the pooled fit stands in. */
    quality: text('quality', { mode: 'json' }).$type<Record<string, unknown>>().notNull().default({}),
    fittedAt: integer('fitted_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.model, t.serviceId, t.cohort] })],
);

/** Daily snapshots computed by the pass (paying-vs-using matrix, risk summary). */
export const crmSnapshots = sqliteTable(
  'crm_snapshots',
  {
    kind: text('kind').notNull(),
    day: integer('day').notNull(),
    data: text('data', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    at: integer('at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.kind, t.day] })],
);

/**
 * The two risk rankings as of the last scoring: the top of each kind (lapse: billing; disengagement:
 * usage) by value at risk, with the evidence of both kinds on every row. (It replaces crm_risk, the
 * single mixed ranking, which a new table name lets the migration drop instead of copying.)
 */
export const crmRiskRankings = sqliteTable(
  'crm_risk_rankings',
  {
    /** lapse | disengagement */
    kind: text('kind').notNull(),
    subscriberId: integer('subscriber_id').notNull().references(() => subscribers.id),
    serviceId: text('service_id').notNull(),
    state: text('state').notNull(),
    pAlive: real('p_alive'),
    /** Day of the last activity (local days since 1970-01-01), null if never active. */
    lastActiveDay: integer('last_active_day'),
    activeDays: integer('active_days').notNull().default(0),
    renewProbability: real('renew_probability').notNull(),
    renewals: integer('renewals').notNull().default(0),
    consecutiveFailures: integer('consecutive_failures').notNull().default(0),
    /** Failed charges within the billing window. */
    recentFailedCharges: integer('recent_failed_charges').notNull().default(0),
    residualPeriods: real('residual_periods').notNull(),
    residualValue: real('residual_value').notNull(),
    risk: real('risk').notNull(),
    valueAtRisk: real('value_at_risk').notNull(),
    computedAt: integer('computed_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.kind, t.subscriberId, t.serviceId] }), index('crm_risk_rankings_value_idx').on(t.kind, t.valueAtRisk)],
);

/** One row per detector pass: what it read, found and did. */
export const crmPasses = sqliteTable('crm_passes', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  asOf: integer('as_of').notNull(),
  startedAt: integer('started_at').notNull(),
  durationMs: integer('duration_ms').notNull(),
  events: integer('events').notNull(),
  summary: text('summary', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
});

/**
 * Advice served outside its declared context (flows' `context:`), per day and content node: serves, and
 * how many fell outside the months (the subscriber's local month), the regions or the crops; serves whose
 * subscriber has no region (or no crops) on the profile are counted apart, as unknown, never as outside.
 */
export const crmContextDaily = sqliteTable(
  'crm_context_daily',
  {
    day: integer('day').notNull(),
    flowId: text('flow_id').notNull(),
    nodeId: text('node_id').notNull(),
    served: integer('served').notNull().default(0),
    outsideAny: integer('outside_any').notNull().default(0),
    outsideMonths: integer('outside_months').notNull().default(0),
    outsideRegions: integer('outside_regions').notNull().default(0),
    outsideCrops: integer('outside_crops').notNull().default(0),
    regionUnknown: integer('region_unknown').notNull().default(0),
    cropsUnknown: integer('crops_unknown').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.day, t.flowId, t.nodeId] })],
);

/**
 * New subscribers the onboarding journey follows (one row each, ever): when and how they joined, the
 * welcome's arm once decided, their first episode after that decision, and whether they were still with
 * us `retentionDays` after joining (null while that window is open).
 */
export const crmOnboarding = sqliteTable(
  'crm_onboarding',
  {
    subscriberId: integer('subscriber_id').primaryKey().references(() => subscribers.id),
    joinedAt: integer('joined_at').notNull(),
    joinDay: integer('join_day').notNull(),
    /** session | subscription: what made them new */
    via: text('via').notNull(),
    region: text('region'),
    crop: text('crop'),
    findingId: text('finding_id').notNull(),
    /** treatment | holdout; null until the welcome is decided (and for ever when it never was: opted out, expired) */
    arm: text('arm'),
    welcomeId: text('welcome_id'),
    assignedAt: integer('assigned_at'),
    /** Their first episode that started after the welcome decision, and whether it found what it sought at the first go. */
    episodeAt: integer('episode_at'),
    firstGo: integer('first_go'),
    /** 1 retained, 0 not, null while the retention window is open. */
    retained: integer('retained'),
    retentionClosedAt: integer('retention_closed_at'),
  },
  // The report's aggregate reads only this index (covering): a million new subscribers without a table lookup each.
  (t) => [index('crm_onboarding_join_idx').on(t.joinDay, t.arm, t.via, t.episodeAt, t.firstGo, t.retained), index('crm_onboarding_open_idx').on(t.retained, t.joinedAt)],
);

/** Episodes that found the content sought at the first go, per start day, region, crop and node: what the welcome's shortcuts are ranked by. */
export const crmOnboardingContent = sqliteTable(
  'crm_onboarding_content',
  {
    day: integer('day').notNull(),
    /** '' when the subscriber has none */
    region: text('region').notNull(),
    crop: text('crop').notNull(),
    flowId: text('flow_id').notNull(),
    nodeId: text('node_id').notNull(),
    firstGo: integer('first_go').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.day, t.region, t.crop, t.flowId, t.nodeId] })],
);

/**
 * Per node and day, what menu-design recommendations read (src/reports/menu-recommendations.ts): choices
 * made on the screen, views that needed "more" or got an invalid input, and how content was first reached.
 */
export const crmMenuDaily = sqliteTable(
  'crm_menu_daily',
  {
    day: integer('day').notNull(),
    channel: text('channel').notNull(),
    flowId: text('flow_id').notNull(),
    nodeId: text('node_id').notNull(),
    /** Times the screen was shown (as crm_node_daily counts them). */
    views: integer('views').notNull().default(0),
    /** Forward moves from this screen, by the node they led to (a menu's onward choices). */
    picks: text('picks', { mode: 'json' }).$type<Record<string, number>>().notNull().default({}),
    /** Views on which the caller asked for the next page ("more"). */
    pagedViews: integer('paged_views').notNull().default(0),
    /** Views that got at least one invalid input. */
    invalidViews: integer('invalid_views').notNull().default(0),
    /** Content: sessions that first reached it through the menu, and of those after a back, home or revisit. */
    menuArrivals: integer('menu_arrivals').notNull().default(0),
    detourArrivals: integer('detour_arrivals').notNull().default(0),
    /** Content: sessions that landed on it straight from a shortcut dial string. */
    shortcutArrivals: integer('shortcut_arrivals').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.day, t.channel, t.flowId, t.nodeId] })],
);
