import { sql } from 'drizzle-orm';
import { sqliteTable, integer, text, index, uniqueIndex, primaryKey } from 'drizzle-orm/sqlite-core';
import { subscribers } from './core';

// Campaigns, segments and polls (issue 7). Times are epoch ms; JSON columns hold per-language texts.

/** A saved filter over subscribers (profile, subscription state, activity, CRM flags, poll answers). */
export const segments = sqliteTable('segments', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  filter: text('filter', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
  createdAt: integer('created_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

/** A question with answers per language (choice) or a 0-10 recommendation question (nps). */
export const polls = sqliteTable(
  'polls',
  {
    id: text('id').primaryKey(),
    /** The name flows use in a poll node (`poll: <key>`); defaults to the id. */
    key: text('key').notNull(),
    type: text('type', { enum: ['choice', 'nps'] }).notNull(),
    question: text('question', { mode: 'json' }).$type<Record<string, string>>().notNull(),
    answers: text('answers', { mode: 'json' }).$type<Record<string, string>[]>().notNull(),
    /** Extra reply words per answer (e.g. [["YES","NDIO"],["NO","HAPANA"]]), besides the number and the label. */
    keywords: text('keywords', { mode: 'json' }).$type<string[][]>().notNull(),
    status: text('status', { enum: ['open', 'closed'] }).notNull(),
    /** Set for polls created from a flow's poll node on first use. */
    flowId: text('flow_id'),
    nodeId: text('node_id'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [uniqueIndex('polls_key_uq').on(t.key)],
);

/** The counted answer of one subscriber to one poll: the first answer counts (unique per poll and subscriber). */
export const pollAnswers = sqliteTable(
  'poll_answers',
  {
    pollId: text('poll_id').notNull().references(() => polls.id),
    subscriberId: integer('subscriber_id').notNull().references(() => subscribers.id),
    /** 0-based answer index; for NPS the score 0-10. */
    answer: integer('answer').notNull(),
    channel: text('channel').notNull(),
    campaignId: text('campaign_id').references(() => campaigns.id),
    at: integer('at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.pollId, t.subscriberId] }), index('poll_answers_subscriber_idx').on(t.subscriberId)],
);

/**
 * A poll put to a subscriber by a campaign (SMS or call). An SMS invite stays open for replies until it
 * is answered or expires; `clarifiedAt` records the one clarifying SMS an invalid reply gets.
 */
export const pollInvites = sqliteTable(
  'poll_invites',
  {
    pollId: text('poll_id').notNull().references(() => polls.id),
    subscriberId: integer('subscriber_id').notNull().references(() => subscribers.id),
    channel: text('channel', { enum: ['sms', 'call'] }).notNull(),
    campaignId: text('campaign_id').references(() => campaigns.id),
    sentAt: integer('sent_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    clarifiedAt: integer('clarified_at'),
    answeredAt: integer('answered_at'),
  },
  (t) => [primaryKey({ columns: [t.pollId, t.subscriberId] }), index('poll_invites_subscriber_idx').on(t.subscriberId, t.sentAt)],
);

/** What a content team schedules: an SMS, a poll (by SMS or call) or an outbound call into a flow. */
export const campaigns = sqliteTable(
  'campaigns',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    kind: text('kind', { enum: ['sms', 'poll', 'call'] }).notNull(),
    /**
     * sms or call: how a poll campaign reaches people (a call runs `flowId` with the poll node); best: each
     * recipient by their best channel (docs/best-channel.md), `fallbackChannel` when it is unknown.
     */
    channel: text('channel', { enum: ['sms', 'call', 'best'] }).notNull(),
    fallbackChannel: text('fallback_channel', { enum: ['sms', 'call'] }),
    segmentId: text('segment_id').notNull(),
    text: text('text', { mode: 'json' }).$type<Record<string, string>>(),
    pollId: text('poll_id').references(() => polls.id),
    flowId: text('flow_id'),
    startNode: text('start_node'),
    /** One-off start time (epoch ms) or a cron expression evaluated in `timezone`. */
    scheduleAt: integer('schedule_at'),
    cron: text('cron'),
    timezone: text('timezone').notNull(),
    /** Messages (or calls) per second handed to the outbox; null = as fast as the fan-out goes. */
    ratePerSecond: integer('rate_per_second'),
    status: text('status', { enum: ['draft', 'scheduled', 'running', 'paused', 'completed', 'cancelled'] }).notNull(),
    /** When the next run is due; null when nothing more is scheduled. */
    nextRunAt: integer('next_run_at'),
    runs: integer('runs').notNull().default(0),
    lastRunAt: integer('last_run_at'),
    /** Offers tested (src/campaigns/arms-*.ts): the arms, null for a campaign without arms. */
    arms: text('arms', { mode: 'json' }).$type<CampaignArm[]>(),
    /** Share of recipients (0-100) held out: assigned and followed, sent nothing. */
    holdoutPercent: integer('holdout_percent'),
    /** What counts as a conversion and within how many days of assignment. */
    goal: text('goal', { mode: 'json' }).$type<CampaignGoal>(),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('campaigns_due_idx').on(t.status, t.nextRunAt)],
);

/** One arm of a campaign: its own message, poll, channel or offer, and its share of the non-held-out recipients. */
export interface CampaignArm {
  name: string;
  text?: Record<string, string>;
  pollId?: string;
  channel?: 'sms' | 'call';
  flowId?: string;
  startNode?: string;
  /** The package offered (a service id of the catalogue) and its price as told to subscribers. */
  serviceId?: string;
  price?: string;
  /** Relative weight (default 1). */
  share?: number;
}

/** A campaign's goal: subscribed (to a service), reached_content (a node / flow), renewed, answered (a poll). */
export interface CampaignGoal {
  type: 'subscribed' | 'reached_content' | 'renewed' | 'answered';
  serviceId?: string;
  flowId?: string;
  nodeId?: string;
  pollId?: string;
  windowDays: number;
}

/**
 * One firing of a campaign. The lease (owner + expiry, taken with one conditional UPDATE) makes sure a
 * single process fans it out; `cursor` (the last subscriber id handed to the outbox) moves in the same
 * transaction as the outbox rows, so a crash resumes exactly where the last commit left off.
 */
export const campaignRuns = sqliteTable(
  'campaign_runs',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    campaignId: text('campaign_id').notNull().references(() => campaigns.id),
    dueAt: integer('due_at').notNull(),
    status: text('status', { enum: ['pending', 'sending', 'paused', 'done', 'cancelled'] }).notNull(),
    total: integer('total').notNull().default(0),
    queued: integer('queued').notNull().default(0),
    blocked: integer('blocked').notNull().default(0),
    cursor: integer('cursor').notNull().default(0),
    /** Rate pacing restarts from here after a pause or quiet hours, so a rate-limited run never bursts. */
    paceFromAt: integer('pace_from_at'),
    paceFromCount: integer('pace_from_count').notNull().default(0),
    /** Quiet hours hold the fan-out until this time. */
    deferredUntil: integer('deferred_until'),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: integer('lease_expires_at'),
    startedAt: integer('started_at'),
    finishedAt: integer('finished_at'),
  },
  (t) => [uniqueIndex('campaign_runs_due_uq').on(t.campaignId, t.dueAt), index('campaign_runs_status_idx').on(t.status)],
);

/**
 * One recipient of one run: the key (run, subscriber) allows one send per run; a run belongs to one
 * campaign, so this is the (campaign, run, subscriber) key. Rows are written set-based when the run
 * starts (status pending) and updated with the outbox message (or call) id as they are handed over.
 */
export const campaignRecipients = sqliteTable(
  'campaign_recipients',
  {
    runId: integer('run_id').notNull().references(() => campaignRuns.id),
    subscriberId: integer('subscriber_id').notNull().references(() => subscribers.id),
    status: text('status', { enum: ['pending', 'queued', 'blocked', 'cancelled'] }).notNull(),
    /** Outbox message id or call id. */
    ref: text('ref'),
    reason: text('reason'),
    at: integer('at'),
  },
  (t) => [primaryKey({ columns: [t.runId, t.subscriberId] })],
);

/**
 * Which arm (or `holdout`) each recipient of a campaign with arms was given, the first time it was
 * chosen; the send (message or call id) and the first conversion inside the goal's window (set by the
 * CRM pass, src/campaigns/arms-conversion-store.ts). Holdout rows are how conversions without a message are counted.
 */
export const campaignAssignments = sqliteTable(
  'campaign_assignments',
  {
    campaignId: text('campaign_id').notNull().references(() => campaigns.id),
    subscriberId: integer('subscriber_id').notNull().references(() => subscribers.id),
    /** Arm name, or `holdout`. */
    arm: text('arm').notNull(),
    runId: integer('run_id').notNull(),
    channel: text('channel', { enum: ['sms', 'call', 'none'] }).notNull(),
    /** Outbox message id or call id; null for the holdout or when the outbox refused. */
    ref: text('ref'),
    assignedAt: integer('assigned_at').notNull(),
    convertedAt: integer('converted_at'),
    /** When the SMS was delivered or the call answered (copied by the CRM pass from the outbox / call row). */
    reachedAt: integer('reached_at'),
    /** What it cost in minor units: SMS parts the SMSC accepted at crm.costs.smsPart, an answered call as billed. */
    costMinor: integer('cost_minor').notNull().default(0),
    /** True once the message or call reached a final state (nothing more to copy); the holdout is settled at once. */
    settled: integer('settled', { mode: 'boolean' }).notNull().default(false),
  },
  (t) => [
    primaryKey({ columns: [t.campaignId, t.subscriberId] }),
    // Covering: the per-arm sums of GET /campaigns/:id/results read this index only (a million recipients well under a second).
    index('campaign_assignments_arm_idx').on(t.campaignId, t.arm, t.convertedAt, t.reachedAt, t.costMinor, t.assignedAt),
    index('campaign_assignments_unsettled_idx').on(t.campaignId).where(sql`settled = false`),
  ],
);
