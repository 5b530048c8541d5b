import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Counter } from 'prom-client';
import type { Tx, UnitOfWork } from '../db/database';
import type { Clock } from '../lib/clock';
import type { Lifecycle } from '../lib/lifecycle';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import { quietUntil, type QuietWindow } from '../messaging/quiet-hours';
import type { Campaign, CampaignRun } from './campaign-types';
import type { CampaignStore } from './campaign-store';
import type { FanoutStore } from './fanout-store';
import { CampaignSender, type SendPorts } from './campaign-sender';
import type { ArmsRepo } from './arms-repo';
import type { Poll, PollRepo } from './poll-repo';
import type { PollTexts } from './poll-text';
import { nextCronRun } from './schedule';
import type { SegmentService } from './segment-service';

export interface SchedulerOptions {
  /** How often to look for due runs (ms). */
  tickMs: number;
  /** Recipients per unit of work. */
  batchSize: number;
  /** Work per event-loop turn before yielding (ms). */
  sliceMs: number;
  leaseMs: number;
  replyWindowMs: number;
  quietHours: QuietWindow | null;
  quietTimezone: string;
  defaultLanguage: string;
  pollTexts: PollTexts;
  /** Lease owner name; default host:pid:random. */
  owner?: string;
  /** A recipient's holdout percent in an offer tested with arms (core customers are capped: src/crm/tiers). */
  offerHoldout?: (subscriberIds: readonly number[], percent: number, tx: Tx) => Promise<Map<number, number>>;
}

export interface SchedulerDeps {
  /** Units of work: every run creation, lease change and batch is one. */
  units: UnitOfWork;
  /** Campaigns and runs on either engine. */
  store: CampaignStore;
  /** A run's recipients and batches on either engine. */
  fanout: FanoutStore;
  /** Where a run with arms records each recipient's arm (in the batch's unit). */
  armsRepo: ArmsRepo;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  pollRepo: PollRepo;
  segments: Pick<SegmentService, 'find' | 'compile'>;
  ports: SendPorts;
  options: SchedulerOptions;
}

/** What one tick did (for tests, the CLI and the benchmark). */
export interface TickReport {
  runsCreated: number;
  handed: number;
  /** Runs whose batch failed (rolled back; retried on a later tick). */
  failed: number;
}

type BatchResult = 'more' | 'done' | 'lost' | 'wait';

const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

/**
 * Fires campaigns and fans their runs out into the outbox. Every tick: create the runs that are due
 * (the clock says when; cron times come from schedule.ts), then for each open run take its lease in
 * the database and hand recipients over in batches. Each batch (outbox rows, recipient statuses,
 * cursor) is one transaction, so a crash loses or repeats nothing: the next owner of the lease goes on
 * from the last committed cursor. Quiet hours hold a run; a rate limit paces it with notBefore slots.
 */
export class CampaignScheduler implements Lifecycle {
  private readonly log: Logger;
  private readonly owner: string;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<TickReport> | null = null;
  private stopped = false;
  private started = false;
  private readonly handedCounter: Counter<string>;
  private readonly armsRepo: ArmsRepo;

  constructor(private readonly d: SchedulerDeps) {
    this.log = d.log.child({ comp: 'campaigns' });
    this.owner = d.options.owner ?? `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.armsRepo = d.armsRepo;
    this.handedCounter = d.metrics.counter('campaign_recipients_total', 'Campaign recipients handed to the outbox or call queue', ['kind', 'status']);
    d.metrics.gauge('campaign_runs_open', 'Campaign runs not finished, by status', ['status'], async (g) => {
      // Stopped comes before the database closes (src/server.ts stop()): a scrape during shutdown reads nothing.
      if (this.stopped) return;
      const counts = await d.store.openRunCounts();
      for (const status of ['pending', 'sending', 'paused'] as const) g.set({ status }, 0);
      for (const r of counts) g.set({ status: r.status }, r.n);
    });
  }

  start(): void {
    this.started = true;
    this.stopped = false;
    this.timer = setInterval(() => this.kick(), this.d.options.tickMs);
    this.timer.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.ticking) await this.ticking.catch(() => undefined);
    // server.ts stops the scheduler before it closes the database: the leases go back while it is open.
    // A database already closed (or gone) at shutdown holds no lease of ours to give back: the leases expire.
    await this.d.units.unit((tx) => this.d.store.releaseAll(this.owner, tx)).catch((err: unknown) => this.log.warn({ err }, 'campaign leases not released at stop'));
  }

  /** Runs a tick soon (when started): a campaign due now starts without waiting for the interval. */
  kick(): void {
    if (!this.started || this.stopped || this.ticking) return;
    setImmediate(() => {
      this.tick().catch((err: unknown) => this.log.error({ err }, 'campaign tick failed'));
    });
  }

  /**
   * One pass: create due runs, then work on open runs until they finish, wait (rate, quiet hours) or
   * `maxBatches` batches have gone (tests and crash simulations stop part-way). Concurrent calls share one pass.
   */
  tick(opts: { maxBatches?: number } = {}): Promise<TickReport> {
    if (this.ticking) return this.ticking;
    this.ticking = this.pass(opts).finally(() => {
      this.ticking = null;
    });
    return this.ticking;
  }

  private async pass(opts: { maxBatches?: number }): Promise<TickReport> {
    const report: TickReport = { runsCreated: 0, handed: 0, failed: 0 };
    const now = this.d.clock.now();
    for (const c of await this.d.store.due(now)) {
      const next = c.cron ? nextCronRun(c.cron, c.timezone, now) : null;
      const run = await this.d.units.unit((tx) => this.d.store.createRun(c, c.nextRunAt!, next, now, tx));
      if (run) {
        report.runsCreated++;
        this.log.info({ campaignId: c.id, runId: run.id, dueAt: new Date(run.dueAt).toISOString() }, 'campaign run due');
      }
    }
    let budget = opts.maxBatches ?? Infinity;
    for (const run of await this.d.store.workable(now)) {
      if (this.stopped || budget <= 0) break;
      const progress = { handed: 0, batches: 0 };
      try {
        await this.work(run, budget, progress);
      } catch (err) {
        // The failed batch rolled back as a whole; the run resumes from its cursor on a later tick.
        report.failed++;
        this.log.error({ err, runId: run.id, campaignId: run.campaignId }, 'campaign batch failed; will retry from the last committed batch');
      }
      report.handed += progress.handed;
      budget -= progress.batches;
    }
    return report;
  }

  /** Works on one run under its lease; `progress` counts what was committed even if a later batch fails. */
  private async work(run: CampaignRun, maxBatches: number, progress: { handed: number; batches: number }): Promise<void> {
    const o = this.d.options;
    const at = this.d.clock.now();
    if (!(await this.d.units.unit((tx) => this.d.store.claim(run.id, this.owner, at, at + o.leaseMs, tx)))) return;
    try {
      const c = await this.d.store.find(run.campaignId);
      if (!c) return;
      if (run.status === 'pending' && !(await this.select(run, c))) return;
      const polls = await this.d.units.unit((tx) => this.pollsOf(c, tx));
      const sender = new CampaignSender(c, polls, { ports: this.d.ports, pollRepo: this.d.pollRepo, pollTexts: o.pollTexts, defaultLanguage: o.defaultLanguage, replyWindowMs: o.replyWindowMs, arms: { repo: this.armsRepo, runId: run.id, ...(o.offerHoldout ? { offerHoldout: o.offerHoldout } : {}) } });
      let slice = performance.now();
      while (!this.stopped && progress.batches < maxBatches) {
        const res = await this.batch(run.id, c, sender);
        progress.handed += res.handed;
        if (res.result !== 'more') break;
        progress.batches++;
        if (performance.now() - slice >= o.sliceMs) {
          // Let HTTP traffic and the dispatcher have the event loop between batches.
          await yieldToLoop();
          slice = performance.now();
        }
      }
    } finally {
      // stop() waits for this pass before it releases every lease and the server closes the database.
      await this.d.units.unit((tx) => this.d.store.release(run.id, this.owner, tx));
    }
  }

  /** The polls a campaign asks (its own and its arms'), read once per run; a deleted one is absent. */
  private async pollsOf(c: Campaign, tx: Tx): Promise<Map<string, Poll>> {
    const ids = new Set<string>();
    if (c.pollId) ids.add(c.pollId);
    for (const a of c.arms ?? []) if (a.pollId) ids.add(a.pollId);
    const out = new Map<string, Poll>();
    for (const id of ids) {
      const poll = await this.d.pollRepo.findIn(tx, id);
      if (poll) out.set(id, poll);
    }
    return out;
  }

  /** Fills a pending run's recipients from the segment as it is now; false when the run cannot start. */
  private async select(run: CampaignRun, c: Campaign): Promise<boolean> {
    const now = this.d.clock.now();
    const segment = await this.d.segments.find(c.segmentId);
    return this.d.units.unit(async (tx) => {
      if (!segment) {
        this.log.warn({ campaignId: c.id, segmentId: c.segmentId }, 'campaign segment is gone; run ends empty');
        await this.d.store.setRunStatus(run.id, 'done', now, ['pending'], tx);
        await this.afterRun(c, now, tx);
        return false;
      }
      // One answer per subscriber per poll: who has answered is not asked again.
      const unanswered = c.kind === 'poll' && c.pollId ? c.pollId : undefined;
      const total = await this.d.fanout.selectRecipients(run.id, this.owner, this.d.segments.compile(segment.filter, now), now, unanswered, tx);
      if (total === null) return false;
      this.log.info({ campaignId: c.id, runId: run.id, total }, 'campaign run recipients selected');
      return true;
    });
  }

  /** Hands one batch over in one unit of work; resolves once it is durable. */
  private batch(runId: number, c: Campaign, sender: CampaignSender): Promise<{ result: BatchResult; handed: number }> {
    const o = this.d.options;
    const now = this.d.clock.now();
    return this.d.units.unit(async (tx) => {
      if (!(await this.d.fanout.renewLease(runId, this.owner, now + o.leaseMs, tx))) return { result: 'lost' as const, handed: 0 };
      const run = (await this.d.fanout.run(runId, tx))!;
      const held = quietUntil(now, o.quietHours, o.quietTimezone);
      if (held !== null) {
        await this.d.store.repace(runId, held, held, tx);
        this.log.info({ campaignId: c.id, runId, until: new Date(held).toISOString() }, 'quiet hours: campaign run waits');
        return { result: 'wait' as const, handed: 0 };
      }
      let limit = o.batchSize;
      const rate = c.ratePerSecond;
      const processed = run.queued + run.blocked;
      let paceFrom = run.paceFromAt ?? now;
      let paceFromCount = run.paceFromCount;
      if (rate && paceFrom + ((processed - paceFromCount) * 1000) / rate < now) {
        // Behind the pace (a takeover after a crash, a restart, a stalled loop): the missed slots are
        // gone; pacing starts again from now, as on resume, instead of sending the backlog in a burst.
        await this.d.store.repace(runId, now, null, tx);
        paceFrom = now;
        paceFromCount = processed;
      }
      if (rate) {
        // Keep one tick (at least a second) of paced sends queued ahead of their slots.
        const ahead = Math.ceil((rate * Math.max(o.tickMs, 1000)) / 1000);
        const allowed = paceFromCount + Math.floor((rate * Math.max(0, now - paceFrom)) / 1000) + ahead - processed;
        limit = Math.min(limit, allowed);
        if (limit <= 0) return { result: 'wait' as const, handed: 0 };
      }
      let rows = await this.d.fanout.recipientsAfter(runId, run.cursor, limit, tx);
      if (rows.length === 0) {
        await this.d.store.setRunStatus(runId, 'done', now, ['sending'], tx);
        await this.afterRun(c, now, tx);
        this.log.info({ campaignId: c.id, runId, queued: run.queued, blocked: run.blocked }, 'campaign run done');
        return { result: 'done' as const, handed: 0 };
      }
      const slots: (number | undefined)[] = [];
      let quietFrom: number | null = null;
      if (rate) {
        for (let i = 0; i < rows.length; i++) {
          const slot = paceFrom + ((processed + i - paceFromCount) * 1000) / rate;
          const q = slot > now ? quietUntil(slot, o.quietHours, o.quietTimezone) : null;
          if (q !== null) {
            // The paced slots run into quiet hours: stop there and go on when they end.
            rows = rows.slice(0, i);
            quietFrom = q;
            break;
          }
          slots.push(slot > now ? Math.ceil(slot) : undefined);
        }
      }
      if (rows.length > 0) {
        const updates = await sender.send(rows, slots, now, tx);
        await this.d.fanout.recordBatch(runId, rows, updates, rows[rows.length - 1]!.subscriberId, now, tx);
        const queued = updates.filter((u) => u.status === 'queued').length;
        if (queued > 0) this.handedCounter.inc({ kind: c.kind, status: 'queued' }, queued);
        if (queued < updates.length) this.handedCounter.inc({ kind: c.kind, status: 'blocked' }, updates.length - queued);
      }
      if (quietFrom !== null) {
        await this.d.store.repace(runId, quietFrom, quietFrom, tx);
        return { result: 'wait' as const, handed: rows.length };
      }
      return { result: 'more' as const, handed: rows.length };
    });
  }

  /** After a run: a one-off campaign is completed; a recurring one waits for its next time. */
  private async afterRun(c: Campaign, now: number, tx: Tx): Promise<void> {
    const cur = await this.d.store.find(c.id, tx);
    if (!cur || cur.status !== 'running') return;
    if (await this.d.store.openRun(c.id, tx)) return;
    const status = cur.nextRunAt === null ? 'completed' : 'scheduled';
    await this.d.store.save({ ...cur, status, updatedAt: now }, tx);
  }
}
