// The PostgreSQL tables: every table of src/db/schema, derived (src/db/postgres/derive.ts). drizzle-kit
// reads this file's named exports to generate ./migrations/pg (drizzle.pg.config.ts).
import { sql } from 'drizzle-orm';
import { index } from 'drizzle-orm/pg-core';
import * as sqlite from '../schema';
import { derivePgSchema } from './derive';

const pg = derivePgSchema(sqlite, {
  // Search by a number's last digits (src/subscribers/subscriber-search-store.ts): a range over the
  // reversed number, in byte order. SQLite has no reverse() and walks the number index instead.
  subscribers: (c) => [index('subscribers_msisdn_reversed_idx').on(sql`(reverse(${c.msisdn}) COLLATE "C")`)],
});

export const {
  subscribers,
  sessions,
  usageEvents,
  messages,
  messageParts,
  pendingReceipts,
  concatParts,
  inboundSms,
  calls,
  callDials,
  subscriptions,
  billingEvents,
  subscriptionRequests,
  segments,
  polls,
  pollAnswers,
  pollInvites,
  campaigns,
  campaignRuns,
  campaignRecipients,
  campaignAssignments,
  crmState,
  crmSubscribers,
  crmLapseDays,
  crmOpenSessions,
  crmNodeDaily,
  crmMenuDaily,
  crmSessionDaily,
  crmUsageDaily,
  crmOpenEpisodes,
  crmDiscoveryDaily,
  crmDiscoveryProfileDaily,
  crmUsageProfileDaily,
  crmContentProfileDaily,
  crmFindings,
  crmInterventions,
  crmFits,
  crmSnapshots,
  crmRiskRankings,
  crmPasses,
  crmOnboarding,
  crmOnboardingContent,
  importJobs,
  importRejections,
  consoleAccounts,
  consoleSessions,
  consoleAudit,
  flowTexts,
  crmContextDaily,
  exitSurveys,
  exitReasonsDaily,
  crmTiers,
  crmTierExits,
  crmTierRevenueDaily,
  crmInterventionTiers,
  crmBestChannels,
} = pg;

/**
 * Every derived table by its schema key. drizzle-kit only sees the named exports above, so a table added
 * to src/db/schema must be added there too; test/unit/postgres-schema.test.ts names any that is missing.
 */
export const pgSchema = pg;
