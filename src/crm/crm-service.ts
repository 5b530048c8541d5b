import { randomBytes } from 'node:crypto';
import type { Histogram, Counter } from 'prom-client';
import type { CallsPort } from '../calls/types';
import type { Config } from '../config';
import type { Db } from '../db/client';
import type { Database, Tx, UnitOfWork } from '../db/database';
import type { FlowRegistry } from '../engine/flow-registry';
import type { Clock } from '../lib/clock';
import { DAY, iso } from '../lib/clock';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import type { MessagingPort } from '../messaging/types';
import { OperatorDirectory } from '../subscribers/operators';
import type { Subscriber } from '../subscribers/subscriber-service';
import type { UsageLog } from '../usage/usage-log';
import { countArmConversions } from '../campaigns/arms-conversion-store';
import { bestChannelView } from './best-channel/best-channel-view';
import { CrmState } from './crm-state-store';
import { Days } from './days';
import { detectChurned } from './detectors/churned';
import { detectLapsingBilling, detectLapsingUsage, touchedSubscriptions } from './detectors/lapsing';
import { detectPassive } from './detectors/passive';
import { detectStuck } from './detectors/stuck';
import { FINDING_KINDS, type DetectorContext, type FindingDraft } from './detectors/types';
import { FindingsRepo } from './findings-repo';
import { FlowIndex } from './flow-index';
import { Interventions, type ActOutcome, type Decided } from './interventions';
import { Onboarding, type OnboardingTracker } from './onboarding/onboarding';
import { OutcomeStore } from './outcome-store';
import { closeOutcomeWindows } from './outcomes';
import { PackageFitCollector } from './package-fit';
import { PassRead } from './pass-read';
import { PassStore } from './pass-store';
import { Scoring } from './scoring';
import { takeSnapshot } from './snapshot';
import { subscriberCrmView } from './subscriber-view';
import { computeTiers, TierCollector, type TierSummary } from './tiers';

export interface CrmDeps {
  /**
   * The SQLite connection, on SQLite only: the worker-thread reader of the usage log and the WAL
   * checkpoint pause use it, as do the parts of the pass still written through the synchronous handle.
   */
  db?: Db;
  /** The database, for stores written for both engines. */
  database: Database;
  /** Units of work on `database` (the group commit on SQLite): the lease, each phase's writes, one unit per batch of due findings, the record. */
  units: UnitOfWork;
  config: Config;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  flows: FlowRegistry;
  subscribers: { findByIdIn(tx: Tx, id: number): Promise<Subscriber | null> };
  usage: Pick<UsageLog, 'recordIn'>;
  messaging: MessagingPort | null;
  calls: CallsPort | null;
  /** Read the usage log in a worker thread during large passes (default true; needs a SQLite database file). */
  parallelIngest?: boolean;
  /** New events that make a pass large enough for the worker (tests lower it). */
  parallelMinEvents?: number;
}

/** What one pass did (printed by `vasgw detect`, stored in crm_passes). */
export interface PassSummary {
  asOf: string;
  skipped?: string;
  events: number;
  sessions: number;
  stuckSessions: number;
  findings: Record<string, number>;
  interventions: Record<string, { treatment: number; holdout: number; blocked: number }>;
  deferred: number;
  ineligible: Record<string, number>;
  expired: number;
  outcomesClosed: number;
  /** Campaign-arm assignments that converted (src/campaigns/arms-conversion-store.ts). */
  armConversions?: number;
  refit?: { bgbb: number; sbg: number; ms: number; histories: number };
  snapshot?: { subscriptions: number; ms: number };
  /** Value tiers recomputed with the snapshot (issue 15). */
  tiers?: TierSummary;
  durationMs: number;
  /** CPU time of the pass (user + system), to tell work from waiting on a busy machine. */
  cpuMs?: number;
  phasesMs: Record<string, number>;
  /** CPU time per phase (all threads), which a busy machine does not inflate as it does the wall time. */
  phasesCpuMs?: Record<string, number>;
}

const ACT_BATCH = 500;

/**
 * The CRM: one detector pass reads what changed in the usage log since the last pass, classifies
 * sessions, updates activity and rollups, runs the four detectors, refits the models when due, acts on
 * due findings through messaging and calls, and closes outcome windows. Passes are claimed through the
 * database so only one runs at a time across processes.
 */
export class CrmService {
  readonly days: Days;
  readonly index: FlowIndex;
  readonly scoring: Scoring;
  readonly findings: FindingsRepo;
  readonly interventions: Interventions;
  readonly onboarding: Onboarding;
  private readonly state: CrmState;
  private readonly passes: PassStore;
  private readonly outcomes: OutcomeStore;
  private readonly owner = `pass-${randomBytes(6).toString('hex')}`;
  private readonly log: Logger;
  private readonly passSeconds: Histogram<string>;
  private readonly findingsTotal: Counter<string>;

  constructor(private readonly d: CrmDeps) {
    this.log = d.log.child({ comp: 'crm' });
    const operators = new OperatorDirectory(d.config.operators);
    this.timezoneOf = (operator) => operators.timezoneOf(operator) ?? d.config.messaging.timezone;
    this.days = new Days(d.config.defaults.timezone);
    this.index = new FlowIndex(d.flows);
    this.scoring = new Scoring({ database: d.database, config: d.config, days: this.days, log: this.log });
    this.findings = new FindingsRepo(d.database);
    this.state = new CrmState(d.database);
    this.passes = new PassStore(d.database, d.db);
    this.outcomes = OutcomeStore.of(d.database);
    this.onboarding = new Onboarding({ database: d.database, config: d.config, days: this.days, index: this.index });
    this.interventions = new Interventions({
      database: d.database,
      config: d.config,
      flows: d.flows,
      index: this.index,
      findings: this.findings,
      subscribers: d.subscribers,
      usage: d.usage,
      messaging: d.messaging,
      calls: d.calls,
      log: d.log,
      metrics: d.metrics,
      welcomeShortcuts: (sub, lang) => this.onboarding.shortcutLines(sub, lang),
    });
    this.passSeconds = d.metrics.histogram('crm_pass_seconds', 'Duration of CRM detector passes', [], [0.1, 0.5, 1, 5, 15, 30, 60, 120]);
    this.findingsTotal = d.metrics.counter('crm_findings_total', 'CRM findings stored', ['kind']);
  }

  /** Runs one detector pass as of `now` (default: the clock) and acts on what it finds. */
  async runPass(now = this.d.clock.now()): Promise<PassSummary> {
    const started = performance.now();
    const cfg = this.d.config.crm;
    const summary: PassSummary = {
      asOf: new Date(now).toISOString(),
      events: 0,
      sessions: 0,
      stuckSessions: 0,
      findings: Object.fromEntries(FINDING_KINDS.map((k) => [k, 0])),
      interventions: {},
      deferred: 0,
      ineligible: {},
      expired: 0,
      outcomesClosed: 0,
      durationMs: 0,
      phasesMs: {},
      phasesCpuMs: {},
    };
    const leaseNow = this.d.clock.now();
    // One statement decides the lease, committed before the pass reads anything: of two processes, one runs.
    const claimed = await this.d.units.unit((unit) => this.state.claim(this.owner, leaseNow, leaseNow + cfg.leaseSeconds * 1000, unit));
    if (!claimed) {
      summary.skipped = 'another pass is running';
      return summary;
    }
    // No automatic WAL checkpoints during the pass (each one syncs the file); one at the end instead.
    const resumeCheckpoints = this.passes.pauseCheckpoints();
    const cpu0 = process.cpuUsage();
    this.phaseCpu = cpu0;
    try {
      const phase = (name: string, t0: number) => this.phase(summary, name, t0);
      // The stored fits: the detectors and the write phase's lapse days read them.
      await this.scoring.ready();
      // Everything held per subscriber lives in this call only, so it is freed before models and acting.
      await this.readAndDetect(now, summary);
      const ttl = cfg.interventions.findingTtlDays * DAY;

      let t = performance.now();
      const today = this.days.of(now);
      const lastRefit = await this.state.get<number | null>('refitAt', null);
      if (lastRefit === null || now - lastRefit >= cfg.scores.refitHours * 3_600_000 || now < lastRefit) {
        summary.refit = await this.d.units.unit(async (unit) => {
          const r = { ...(await this.scoring.refit(now, unit)), histories: await this.scoring.rebuildLapseDays(unit) };
          await this.state.set('refitAt', now, now, unit);
          return r;
        });
      }
      if (summary.refit || (await this.state.get<number | null>('snapshotDay', null)) !== today) {
        const tiers = new TierCollector(this.days);
        const packageFit = new PackageFitCollector({ config: this.d.config, days: this.days }, now);
        summary.snapshot = await this.d.units.unit((unit) => takeSnapshot(this.scoring, { database: this.d.database, config: this.d.config, days: this.days, log: this.log }, now, (...a) => tiers.add(...a), packageFit, unit));
        summary.tiers = await this.d.units.unit((unit) => computeTiers({ database: this.d.database, config: this.d.config, days: this.days }, tiers, now, unit));
        await this.d.units.unit(async (unit) => {
          await packageFit.save(this.d.database, unit);
          await this.state.set('snapshotDay', today, now, unit);
        });
      }
      phase('scores', t);

      // Regulars whose P(alive) crossed the threshold since the last check (at most a TTL back).
      t = performance.now();
      const checked = await this.state.get<number | null>('lapseCheckedDay', null);
      const fromDay = Math.max(checked ?? -Infinity, today - cfg.interventions.findingTtlDays);
      if (fromDay < today) {
        const usage = await detectLapsingUsage(this.d.database, this.scoring, fromDay, today, today);
        await this.d.units.unit(async (unit) => {
          for (const dr of usage) await this.storeIn(unit, dr, now, ttl, summary);
          await this.state.set('lapseCheckedDay', today, now, unit);
        });
      }
      phase('lapse', t);

      t = performance.now();
      summary.expired = await this.d.units.unit((unit) => this.findings.expire(now, unit));
      if (cfg.act) {
        // The welcomes rank the shortcuts as of the clock (what a welcome sent now would show).
        await this.onboarding.loadRanking(this.d.clock.now());
        await this.actOnDue(now, summary);
      }
      summary.outcomesClosed = await this.d.units.unit((unit) => closeOutcomeWindows(this.outcomes, now, unit, DAY));
      phase('act', t);

      t = performance.now();
      summary.armConversions = await this.d.units.unit((unit) => countArmConversions(unit, this.state, now, this.d.config.crm.costs));
      phase('arms', t);

      summary.durationMs = Math.round(performance.now() - started);
      const cpu = process.cpuUsage(cpu0);
      summary.cpuMs = Math.round((cpu.user + cpu.system) / 1000);
      const record = { asOf: now, startedAt: leaseNow, durationMs: summary.durationMs, events: summary.events, summary: summary as unknown as Record<string, unknown> };
      await this.d.units.unit((unit) => this.passes.record(record, unit));
      this.passSeconds.observe(summary.durationMs / 1000);
      this.log.info({ asOf: summary.asOf, events: summary.events, findings: summary.findings, ms: summary.durationMs }, 'crm pass');
      return summary;
    } finally {
      resumeCheckpoints();
      await this.d.units.unit((unit) => this.state.release(this.owner, unit));
    }
  }

  /** Reads what changed, runs the detectors on it, stores findings and the updated state in one unit of work. */
  private async readAndDetect(now: number, summary: PassSummary): Promise<void> {
    const cfg = this.d.config.crm;
    const phase = (name: string, t0: number) => this.phase(summary, name, t0);
    let t = performance.now();
    const read = await PassRead.read(
      {
        database: this.d.database,
        units: this.d.units,
        ...(this.d.db ? { db: this.d.db } : {}),
        config: this.d.config,
        days: this.days,
        index: this.index,
        onboarding: this.onboarding,
        state: this.state,
        timezoneOf: this.timezoneOf,
        parallel: this.d.parallelIngest ?? true,
        ...(this.d.parallelMinEvents !== undefined ? { parallelMinEvents: this.d.parallelMinEvents } : {}),
      },
      now,
    );
    const { store, onboarding, delta } = read;
    summary.events = delta.events;
    summary.sessions = delta.sessions;
    summary.stuckSessions = delta.stuckSessions;
    phase('ingest', t);

    t = performance.now();
    const ctx: DetectorContext = { database: this.d.database, config: this.d.config, store, flows: this.index, days: this.days, now, delta };
    const drafts = await this.detect(ctx, onboarding);
    phase('detect', t);

    t = performance.now();
    const ttl = cfg.interventions.findingTtlDays * DAY;
    await this.d.units.unit(async (unit) => {
      for (const dr of drafts) {
        const id = await this.storeIn(unit, dr, now, ttl, summary);
        if (!id) continue;
        const notBefore = await onboarding.stored(dr, id, unit);
        if (notBefore !== null) await this.findings.deferIn(unit, id, notBefore);
        // Stuck sessions acted on are forgotten: the next stuck finding needs new ones.
        if (dr.kind === 'stuck') {
          store.stuckRecent.delete(dr.subscriberId);
          store.touch(dr.subscriberId);
        }
      }
      // Stored: freed before the flushes below, where the pass's memory peaks.
      drafts.length = 0;
      const histories = await read.write(unit, now);
      await this.scoring.addLapseDaysIn(unit, histories);
    });
    phase('write', t);
  }

  /** The detectors' findings. The subscription rows they read die on return, before the write phase. */
  private async detect(ctx: DetectorContext, onboarding: OnboardingTracker): Promise<FindingDraft[]> {
    const rows = await touchedSubscriptions(ctx);
    return [...detectStuck(ctx), ...(await detectPassive(ctx, rows)), ...detectLapsingBilling(ctx, rows), ...detectChurned(ctx, rows), ...(await onboarding.detect(ctx))];
  }

  private phaseCpu = process.cpuUsage();

  // A subscriber's local time (the month advice is judged in) follows their operator, as quiet hours do.
  private readonly timezoneOf: (operator: string | null) => string;

  /** Ends a phase begun at `t0`: its wall time, and the CPU time since the previous phase ended. */
  private phase(summary: PassSummary, name: string, t0: number): void {
    summary.phasesMs[name] = Math.round(performance.now() - t0);
    const cpu = process.cpuUsage(this.phaseCpu);
    this.phaseCpu = process.cpuUsage();
    summary.phasesCpuMs![name] = Math.round((cpu.user + cpu.system) / 1000);
  }

  /** Stores a finding in unit `tx`; its id, or null when it was found before. */
  private async storeIn(tx: Tx, dr: FindingDraft, now: number, ttl: number, summary: PassSummary): Promise<string | null> {
    return this.counted(dr, await this.findings.insertIn(tx, dr, now, ttl), summary);
  }

  /** Counts a finding stored (`id`) in the summary and the metric. */
  private counted(dr: FindingDraft, id: string | null, summary: PassSummary): string | null {
    if (!id) return null;
    summary.findings[dr.kind] = (summary.findings[dr.kind] ?? 0) + 1;
    this.findingsTotal.inc({ kind: dr.kind });
    return id;
  }

  /**
   * Acts on due findings, one unit of work per batch: each finding's intervention, outbox or call row,
   * usage event and finding status commit with the batch. A finding whose message is refused rolls back
   * alone (act's savepoint) and is closed as failed; the rest of the batch goes on.
   */
  private async actOnDue(now: number, summary: PassSummary): Promise<void> {
    // At most maxPerPass actions per pass: a backlog (the first pass over a long history) is spread over
    // passes instead of flooding the outbox; the rest stay open until their TTL. Deferred findings move
    // their not_before past now, so each batch only returns findings not yet seen.
    let budget = this.d.config.crm.interventions.maxPerPass;
    while (budget > 0) {
      const due = await this.findings.due(now, Math.min(ACT_BATCH, budget));
      if (due.length === 0) return;
      await this.d.units.unit(async (tx) => {
        for (const f of due) {
          let r: ActOutcome;
          try {
            r = await this.interventions.act(f, now, tx);
          } catch (err) {
            // A message messaging refuses (a template too long for the configured parts, say) closes the
            // finding with the reason; the rest of the pass goes on.
            this.log.error({ err, finding: f.id }, 'intervention failed');
            const code = err instanceof Error && 'code' in err ? String((err as { code: unknown }).code) : 'error';
            await this.interventions.failed(f, code, now, tx);
            r = { ineligible: 'failed' };
          }
          if ('deferred' in r) summary.deferred++;
          else if ('ineligible' in r) summary.ineligible[r.ineligible] = (summary.ineligible[r.ineligible] ?? 0) + 1;
          else {
            budget--;
            // The welcome's decision is the onboarding experiment's assignment.
            if (r.kind === 'welcome') await this.onboarding.store.assigned(f.subscriberId, r.arm, r.id, now, tx);
            countActed(summary, r);
          }
        }
      });
    }
  }

  /** The `crm` part of GET /api/v1/subscribers/:msisdn: open findings, activity, scores, recent interventions, best channel. */
  async view(s: Subscriber): Promise<Record<string, unknown>> {
    await this.scoring.ready();
    const crm = await subscriberCrmView(this.d.database, this.scoring, this.days, s.id, this.d.clock.now());
    return { crm: { ...crm, bestChannel: await bestChannelView(this.d.database, this.state, this.d.config.crm.bestChannel, s.id) } };
  }

  /** The last passes, newest first (for `vasgw detect` and operations). */
  async lastPasses(limit: number): Promise<Record<string, unknown>[]> {
    return (await this.passes.last(limit)).map((r) => ({ asOf: iso(r.asOf), startedAt: iso(r.startedAt), durationMs: r.durationMs, events: r.events, summary: r.summary as unknown }));
  }
}

/** Counts an acted finding's interventions (the primary and any that went with it) into the pass summary. */
function countActed(summary: PassSummary, r: Decided & { also?: Decided[] }): void {
  for (const x of [r, ...(r.also ?? [])]) {
    const k = (summary.interventions[x.kind] ??= { treatment: 0, holdout: 0, blocked: 0 });
    if (x.arm === 'holdout') k.holdout++;
    else if (x.status === 'blocked') k.blocked++;
    else k.treatment++;
  }
}
