import { sqliteTable, integer, text, index } from 'drizzle-orm/sqlite-core';
import { subscribers } from './core';

/**
 * Per subscriber, what each channel got out of them (journey 5, best channel): attempts that reached the
 * handset or were dialled, and the responses that followed, kept incrementally by the CRM pass. `channel`
 * is the best one as of `updatedAt` (sms, call, ussd or unknown) so segments and campaigns read it by index.
 */
export const crmBestChannels = sqliteTable(
  'crm_best_channels',
  {
    subscriberId: integer('subscriber_id').primaryKey().references(() => subscribers.id),
    smsAttempts: integer('sms_attempts').notNull().default(0),
    smsResponses: integer('sms_responses').notNull().default(0),
    callAttempts: integer('call_attempts').notNull().default(0),
    callResponses: integer('call_responses').notNull().default(0),
    ussdAttempts: integer('ussd_attempts').notNull().default(0),
    ussdResponses: integer('ussd_responses').notNull().default(0),
    /** Delivered messages still waiting for an answer by SMS / by USSD, until `openUntil`. */
    smsOpen: integer('sms_open').notNull().default(0),
    ussdOpen: integer('ussd_open').notNull().default(0),
    openUntil: integer('open_until'),
    channel: text('channel').notNull().default('unknown'),
    updatedAt: integer('updated_at').notNull(),
  },
  // The pass loads the rows with an open window; segments and "best" campaigns look subscribers up by channel.
  (t) => [index('crm_best_channels_open_idx').on(t.openUntil), index('crm_best_channels_channel_idx').on(t.channel)],
);
