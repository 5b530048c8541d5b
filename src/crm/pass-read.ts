import type { Config } from '../config';
import type { Db } from '../db/client';
import type { Database, Tx, UnitOfWork } from '../db/database';
import { DAY } from '../lib/clock';
import { ActivityStore } from './activity-store';
import { BestChannelStore } from './best-channel/best-channel-store';
import { BestChannelTracker } from './best-channel/best-channel-tracker';
import type { CrmState } from './crm-state-store';
import type { Days } from './days';
import type { FlowIndex } from './flow-index';
import { chargeHorizonDays, Ingest, type IngestResult } from './ingest';
import type { Onboarding, OnboardingTracker } from './onboarding/onboarding';
import { OutcomeStore } from './outcome-store';
import { OutcomeTracker } from './outcomes';
import { Rollups } from './rollups';
import { RevenueByTier } from './tiers/tier-revenue-store';

/** What reading the log for one pass needs. */
export interface PassReadDeps {
  database: Database;
  units: UnitOfWork;
  /** The SQLite connection, when there is one: a large pass reads the log on its file in a worker thread. */
  db?: Db;
  config: Config;
  days: Days;
  index: FlowIndex;
  onboarding: Onboarding;
  state: CrmState;
  /** A subscriber's time zone by operator (the context rollup judges advice in the subscriber's month). */
  timezoneOf: (operator: string | null) => string;
  parallel?: boolean;
  parallelMinEvents?: number;
}

/**
 * One pass's reading of the usage log, from the cursor on, and what it holds until the write phase:
 * activity, rollups, outcomes, onboarding, revenue per tier and best-channel evidence. The reads are
 * awaited a page at a time; nothing is written until `write`, which runs inside the pass's one unit of
 * work with the findings, so a pass that fails leaves the cursor and every table as they were.
 */
export class PassRead {
  private constructor(
    private readonly d: PassReadDeps,
    readonly store: ActivityStore,
    readonly onboarding: OnboardingTracker,
    readonly delta: IngestResult,
    private readonly ingest: Ingest,
    private readonly outcomes: OutcomeTracker,
    private readonly tierRevenue: RevenueByTier,
  ) {}

  /** Reads what changed since the stored cursor, up to `now`. */
  static async read(d: PassReadDeps, now: number): Promise<PassRead> {
    const cfg = d.config.crm;
    const store = new ActivityStore(d.database);
    const outcomes = new OutcomeTracker(OutcomeStore.of(d.database));
    await outcomes.load();
    const onboarding = await d.onboarding.tracker(store, now);
    const tierRevenue = new RevenueByTier(d.database, d.days);
    const rollups = new Rollups();
    rollups.context.days = d.days;
    rollups.context.timezoneOf = d.timezoneOf;
    const ingestDeps = {
      database: d.database,
      units: d.units,
      ...(d.db ? { db: d.db } : {}),
      config: d.config,
      flows: d.index,
      days: d.days,
      parallel: d.parallel ?? true,
      ...(d.parallelMinEvents !== undefined ? { parallelMinEvents: d.parallelMinEvents } : {}),
    };
    const ingest = new Ingest(ingestDeps, store, rollups, outcomes, new BestChannelTracker(BestChannelStore.of(d.database), d.state, cfg.bestChannel));
    ingest.episodeTaps.push(onboarding.tap);
    ingest.onCharge = (sub, at, amountMinor) => tierRevenue.charged(sub, at, amountMinor);
    const delta = await ingest.run(await d.state.get<number>('cursor', 0), now);
    return new PassRead(d, store, onboarding, delta, ingest, outcomes, tierRevenue);
  }

  /**
   * Writes everything read inside the pass's unit `tx`, and moves the cursor past it. Returns the
   * activity histories (first day, active days, last day) the changed subscribers now have.
   */
  async write(tx: Tx, now: number): Promise<Set<string>> {
    const cfg = this.d.config.crm;
    const periods = new Map(this.d.config.services.map((s) => [s.id, s.period]));
    const keepCharges = (serviceId: string) => now - chargeHorizonDays(cfg, periods.get(serviceId) ?? 'monthly') * DAY;
    const histories = await this.store.flush(now, tx, { stuck: now - cfg.stuck.windowDays * DAY, charges: keepCharges });
    await this.ingest.rollups.flush(this.d.database, tx);
    await this.onboarding.flush(now, tx);
    await this.outcomes.flush(tx);
    await this.tierRevenue.flush(tx);
    await this.ingest.channels?.flush(now, tx);
    await this.ingest.saveOpenSessions(tx);
    await this.d.state.set('cursor', this.delta.toId, now, tx);
    return histories;
  }
}
