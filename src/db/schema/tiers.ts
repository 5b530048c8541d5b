import { sqliteTable, integer, text, real, index, primaryKey } from 'drizzle-orm/sqlite-core';
import { subscribers } from './core';

/**
 * Value tiers (issue 15, core customers) as of the last scoring: one row per live subscriber. Ranked
 * subscribers are `core`, `growth` or `base` by residual value (ties by tenure); those younger than the
 * minimum tenure are `new` and have no rank.
 */
export const crmTiers = sqliteTable(
  'crm_tiers',
  {
    subscriberId: integer('subscriber_id')
      .primaryKey()
      .references(() => subscribers.id),
    /** core | growth | base | new */
    tier: text('tier').notNull(),
    /** 1 = the highest residual value; null for `new`. */
    rank: integer('rank'),
    /** Share of the ranked subscribers ranked at or below this one (1 = the top); null for `new`. */
    score: real('score'),
    /** Residual value of the live subscriptions (sum), within crm.scores.horizonDays. */
    residualValue: real('residual_value').notNull(),
    tenureDays: integer('tenure_days').notNull(),
    /** When the subscriber entered this tier (the computation that first gave it). */
    since: integer('since').notNull(),
    /** When the subscriber was first given any tier. */
    firstTieredAt: integer('first_tiered_at').notNull(),
    computedAt: integer('computed_at').notNull(),
  },
  (t) => [index('crm_tiers_tier_idx').on(t.tier)],
);

/** Subscribers who had a tier and then no live subscription: the value that left, by the tier it left from. */
export const crmTierExits = sqliteTable(
  'crm_tier_exits',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    subscriberId: integer('subscriber_id')
      .notNull()
      .references(() => subscribers.id),
    tier: text('tier').notNull(),
    /** Residual value at the last scoring before they left (the lifetime value that left). */
    residualValue: real('residual_value').notNull(),
    tenureDays: integer('tenure_days').notNull(),
    firstTieredAt: integer('first_tiered_at').notNull(),
    /** When their last subscription ended. */
    leftAt: integer('left_at').notNull(),
    noticedAt: integer('noticed_at').notNull(),
  },
  (t) => [index('crm_tier_exits_left_idx').on(t.leftAt, t.tier)],
);

/** Successful charges per local day and tier the subscriber had when the pass read the charge (`none`: not tiered yet). */
export const crmTierRevenueDaily = sqliteTable(
  'crm_tier_revenue_daily',
  {
    day: integer('day').notNull(),
    tier: text('tier').notNull(),
    revenueMinor: integer('revenue_minor').notNull().default(0),
    charges: integer('charges').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.day, t.tier] })],
);

/** The tier a subscriber had when an intervention was decided for them (what the tiers report charges costs to). */
export const crmInterventionTiers = sqliteTable('crm_intervention_tiers', {
  interventionId: text('intervention_id').primaryKey(),
  tier: text('tier').notNull(),
  at: integer('at').notNull(),
}, (t) => [index('crm_intervention_tiers_at_idx').on(t.at)]);
