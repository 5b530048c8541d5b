import type { CallEnqueueResult, CallRequest } from '../calls/types';
import type { Config } from '../config';
import type { Flow } from '../engine/types';
import type { Clock } from '../lib/clock';
import { HOUR } from '../lib/clock';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import type { BulkCommon, BulkRecipient, EnqueueRefused, EnqueueRequest, EnqueueResult, MoInterceptor } from '../messaging/types';
import type { EffectHandler } from '../sessions/session-service';
import type { SubscriberService } from '../subscribers/subscriber-service';
import type { UsageLog } from '../usage/usage-log';
import { CrmState } from '../crm/crm-state-store';
import { ArmsRepo } from './arms-repo';
import { ArmsResults } from './arms-results';
import { CampaignReadStore } from './campaign-read-store';
import { CampaignReads } from './campaign-reads';
import { PollReadStore } from './poll-read-store';
import { SegmentReadStore } from './segment-read-store';
import type { Database, Tx, UnitOfWork } from '../db/database';
import { CampaignScheduler } from './campaign-scheduler';
import { CampaignService } from './campaign-service';
import { pollAnswerEffect } from './poll-effect';
import { PollRepo } from './poll-repo';
import { PollResults } from './poll-results';
import { PollService } from './poll-service';
import { PollSmsReplies } from './poll-sms';
import { normalizeReply } from './poll-text';
import { PollResultsStore } from './poll-results-store';
import { BestChannelStore } from '../crm/best-channel/best-channel-store';
import { SegmentRepo, type FilterTables } from './segment-repo';
import { CampaignStore } from './campaign-store';
import { FanoutStore } from './fanout-store';
import { SegmentService } from './segment-service';
import { SubscriberImporter } from './subscriber-import';
import { ImportJobRepo } from './import-job-repo';
import { ImportJobs } from './import-jobs';
import { cappedHoldoutPercent } from '../crm/tiers';
import { TierTables } from '../crm/tiers/tier-table-store';

export interface CampaignsDeps {
  config: Config;
  /** The same database for stores written for both engines. */
  database: Database;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  subscribers: SubscriberService;
  usage: UsageLog;
  flows: { all(): Flow[]; byId(id: string): Flow | undefined };
  sessions: { onEffect(kind: 'poll_answer', handler: EffectHandler<'poll_answer'>): void };
  messaging: {
    /** SMS poll replies are queued in the MO's unit. */
    enqueueIn(req: EnqueueRequest, tx: Tx): Promise<EnqueueResult>;
    /** Campaign batches go through it, in the batch's unit (one call per batch, no lookups by number). */
    enqueueBulkIn(common: BulkCommon, recipients: readonly BulkRecipient[], tx: Tx): Promise<(EnqueueResult | EnqueueRefused)[]>;
    addMoInterceptor(fn: MoInterceptor): void;
  };
  calls: { enqueueIn(tx: Tx, req: CallRequest): Promise<CallEnqueueResult> };
  /** Imports write their batches through the group commit. */
  commits: UnitOfWork;
  /** Overrides for tests and benchmarks (lease owner name). */
  owner?: string;
}

/** CRM flags are the subscriber's findings (stuck, passive, lapsing, churned) that are still open. */
const FILTER_TABLES: FilterTables = { subscriptions: true, crmFlags: true };

/**
 * Builds segments, polls and campaigns, and plugs them into the core: SMS replies reach open polls
 * through a messaging MO interceptor; flow poll nodes (USSD, IVR, call campaigns) through the
 * sessions' `poll_answer` effect. The scheduler is the one background loop (a Lifecycle).
 */
export function buildCampaigns(d: CampaignsDeps) {
  const cfg = d.config.campaigns;
  const defaultLanguage = d.config.defaults.language;
  const norm = (words: string[]) => new Set(words.map(normalizeReply).filter(Boolean));
  const alwaysRouted = norm([...d.config.messaging.keywords.optOut, ...d.config.messaging.keywords.optIn, ...d.config.messaging.keywords.help]);
  const otherKeywords = norm([...d.flows.all().flatMap((f) => f.entry.sms.map((s) => s.keyword)), ...d.config.services.flatMap((s) => s.keywords)]);

  const pollRepo = new PollRepo(d.database);
  const pollReads = new PollReadStore(d.database);
  const polls = new PollService({ repo: pollRepo, units: d.commits, clock: d.clock, log: d.log, usage: d.usage, reservedWords: () => alwaysRouted });
  const campaignStore = new CampaignStore(d.database);
  const segments = new SegmentService({
    repo: new SegmentRepo(d.database),
    units: d.commits,
    clock: d.clock,
    tables: () => FILTER_TABLES,
    pollExists: async (id) => (await pollReads.find(id)) !== null,
    serviceIds: () => d.config.services.map((s) => s.id),
    usedBy: (id, tx) => campaignStore.activeOnSegment(id, tx),
    profile: d.subscribers.profile,
  });
  const pollResults = new PollResults(new PollResultsStore(d.database), defaultLanguage);
  // Offers tested with arms keep core customers out of the holdout beyond crm.tiers.coreMaxHoldoutPercent.
  const tiers = new TierTables(d.database);
  const armsRepo = new ArmsRepo(d.database);
  const scheduler = new CampaignScheduler({
    units: d.commits,
    store: campaignStore,
    fanout: new FanoutStore(d.database),
    armsRepo,
    clock: d.clock,
    log: d.log,
    metrics: d.metrics,
    pollRepo,
    segments,
    ports: { messaging: d.messaging, calls: d.calls, bestChannels: BestChannelStore.of(d.database) },
    options: {
      tickMs: cfg.tickSeconds * 1000,
      batchSize: cfg.batchSize,
      sliceMs: cfg.sliceMs,
      leaseMs: cfg.leaseSeconds * 1000,
      replyWindowMs: cfg.pollReplyWindowHours * HOUR,
      quietHours: d.config.messaging.quietHours,
      quietTimezone: d.config.messaging.timezone,
      defaultLanguage,
      pollTexts: cfg.texts,
      ...(d.owner ? { owner: d.owner } : {}),
      offerHoldout: async (ids, percent, tx) => {
        const tierOf = await tiers.tiersOf(ids, tx);
        return new Map(ids.map((id) => [id, cappedHoldoutPercent(percent, tierOf.get(id) ?? null, d.config.crm.tiers)]));
      },
    },
  });
  const campaigns = new CampaignService({
    units: d.commits,
    clock: d.clock,
    store: campaignStore,
    segments,
    polls: pollRepo,
    flows: d.flows,
    defaultTimezone: d.config.defaults.timezone,
    kick: () => scheduler.kick(),
    serviceIds: () => d.config.services.map((s) => s.id),
  });
  const armsResults = new ArmsResults({ repo: armsRepo, state: new CrmState(d.database), costs: () => d.config.crm.costs });
  const replies = new PollSmsReplies({
    log: d.log,
    repo: pollRepo,
    polls,
    subscribers: d.subscribers,
    usage: d.usage,
    messaging: d.messaging,
    texts: cfg.texts,
    defaultLanguage,
    alwaysRouted: () => alwaysRouted,
    keywords: () => otherKeywords,
  });
  d.messaging.addMoInterceptor((mo, tx) => replies.handle(mo, tx));
  d.sessions.onEffect('poll_answer', pollAnswerEffect(polls));
  const importer = new SubscriberImporter({ units: d.commits, clock: d.clock, batchRows: cfg.importBatchRows, subscribers: d.subscribers });
  const importJobs = new ImportJobs({
    repo: new ImportJobRepo(d.database),
    importer,
    units: d.commits,
    clock: d.clock,
    log: d.log,
    spoolDir: ImportJobs.spoolDirFor(d.config.database.path),
    leaseMs: cfg.leaseSeconds * 1000,
  });

  // What GET endpoints and console pages read (two-engine read stores); writes keep to the services above.
  const campaignReads = new CampaignReads(new CampaignReadStore(d.database));
  const segmentReads = new SegmentReadStore(d.database);

  return { segments, polls, pollResults, campaigns, scheduler, importer, importJobs, armsResults, campaignReads, pollReads, segmentReads };
}

export type Campaigns = ReturnType<typeof buildCampaigns>;
