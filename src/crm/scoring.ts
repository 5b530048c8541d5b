import type { Config } from '../config';
import type { Database, Tx } from '../db/database';
import { DAY } from '../lib/clock';
import type { Logger } from '../lib/logger';
import { NONE } from './activity-store';
import { FitsStore, type LapseDayRow } from './fits-store';
import type { Days } from './days';
import { bgbbLogLikelihood, expectedActiveDays, expectedRepeatHistogram, fitBgbb, PAliveCache, residualLifetimeDays, type BgbbGroup, type BgbbParams } from './scores/bgbb';
import { fitCohorts, type CohortData, type CohortFit, type CohortFitRules, type ModelFitter } from './scores/cohort-fits';
import { fitSbg, residualLifetime, retentionRate, sbgLogLikelihood, type SbgCohortData, type SbgParams } from './scores/sbg';

export const PERIOD_DAYS = { daily: 1, weekly: 7, monthly: 30 } as const;
/** The cohort name of a pooled fit (all cohorts together), used for cohorts too small to fit alone. */
export const POOLED = '*';
/** Without any fit yet, renewals are assumed to succeed at the carrier-billing average (docs/domain.md). */
const DEFAULT_RENEWAL = 0.84;

type Service = Config['services'][number];

const BGBB_MODEL: ModelFitter<BgbbParams, BgbbGroup[]> = { fit: (d, start, opts) => fitBgbb(d, start, 3000, opts), logLikelihood: bgbbLogLikelihood };
const SBG_MODEL: ModelFitter<SbgParams, SbgCohortData> = { fit: (d, start, opts) => fitSbg(d, start, opts), logLikelihood: sbgLogLikelihood };

export interface ScoringDeps {
  database: Database;
  config: Pick<Config, 'crm' | 'services'>;
  days: Days;
  log: Logger;
}

/** Repeat active days after the first (0..9, and 10 or more): how many the cohort had, and how many the curve in use expects. */
function repeatDays(groups: Iterable<BgbbGroup>, params: BgbbParams): { observed: number[]; fitted: number[] } {
  const observed = new Array<number>(REPEAT_BUCKETS + 1).fill(0);
  const byN = new Map<number, number>();
  for (const g of groups) {
    observed[Math.min(g.x, REPEAT_BUCKETS)]! += g.count;
    byN.set(g.n, (byN.get(g.n) ?? 0) + g.count);
  }
  return { observed, fitted: expectedRepeatHistogram(params, byN, REPEAT_BUCKETS).map((v) => Math.round(v * 10) / 10) };
}
const REPEAT_BUCKETS = 10;

/** One of the two risks of a live subscription: how likely, and the value that goes with it. */
export interface NamedRisk {
  /** Probability, 0..1; null when there is nothing to judge by yet. */
  risk: number | null;
  /** risk x the subscription's residual value. */
  valueAtRisk: number | null;
}

/** Scores of one subscription: the two named risks and the evidence behind them. */
export interface SubscriptionScore {
  /** Lapse evidence: probability that the next renewal goes through (sBG renewal rate x failing charges). */
  renewProbability: number;
  consecutiveFailures: number;
  /** Usage evidence: BG/BB probability of still being an active user; null without activity. */
  pAlive: number | null;
  neverActive: boolean;
  /** Expected renewals ahead if it stays (sBG, discounted, within the horizon), and their value. */
  residualPeriods: number;
  residualValue: number;
  /** Billing: the subscription ends because charges fail or the subscriber cancels. */
  lapse: NamedRisk & { risk: number; valueAtRisk: number };
  /** Usage: the subscriber stops using the service (and will sooner or later stop paying). */
  disengagement: NamedRisk;
  /** The larger of the two, for readers of the single figure (which one is named in `riskKind`). */
  risk: number;
  valueAtRisk: number;
  riskKind: 'lapse' | 'disengagement';
}

/**
 * The models: BG/BB fitted per activity cohort (first active month or week) and sBG per service and
 * subscription cohort, by maximum likelihood, refitted on a schedule. From them: P(alive) and the day
 * it will cross the lapsing threshold, expected residual lifetime and value, and the risk ranking.
 */
export class Scoring {
  private bgbb = new Map<string, PAliveCache>();
  /** Activity cohorts too small or too young for a fit of their own. */
  private readonly pooledCohorts = new Set<string>();
  private sbg = new Map<string, SbgParams>();
  private readonly crossings = new Map<string, number | null>();
  /** The configured services by id. */
  readonly services: ReadonlyMap<string, Service>;

  private readonly store: FitsStore;
  private loaded: Promise<void> | null = null;

  constructor(private readonly d: ScoringDeps) {
    this.store = new FitsStore(d.database);
    this.services = new Map(d.config.services.map((s) => [s.id, s]));
  }

  /** Resolves once the stored fits are loaded (read once; a refit reloads them). */
  ready(): Promise<void> {
    return (this.loaded ??= this.load());
  }

  /** Reads the stored fits (inside unit `tx` when given); a cohort on the pooled fit shares the pooled P(alive) cache. */
  async load(tx?: Tx): Promise<void> {
    const rows = await this.store.fits(POOLED, tx);
    // Cleared only once the rows are in: a reader between the awaits keeps the previous fits.
    this.bgbb.clear();
    this.sbg.clear();
    this.crossings.clear();
    this.pooledCohorts.clear();
    for (const r of rows) {
      const p = r.params;
      const onPooled = (r.quality as { usedPooled?: boolean }).usedPooled === true;
      if (r.model === 'bgbb') {
        if (onPooled) this.pooledCohorts.add(r.cohort);
        const shared = onPooled ? this.bgbb.get(POOLED) : undefined;
        this.bgbb.set(r.cohort, shared ?? new PAliveCache(p as unknown as BgbbParams));
      } else this.sbg.set(`${r.serviceId}\u0000${r.cohort}`, p as unknown as SbgParams);
    }
  }

  // A pass asks for the cohort of the same few hundred days hundreds of thousands of times.
  private readonly cohortByDay = new Map<number, string>();

  private cohortOf(day: number): string {
    let c = this.cohortByDay.get(day);
    if (c === undefined) this.cohortByDay.set(day, (c = this.d.days.cohort(day, this.d.config.crm.scores.cohort)));
    return c;
  }

  private bgbbFor(firstDay: number): PAliveCache | null {
    return this.bgbb.get(this.cohortOf(firstDay)) ?? this.bgbb.get(POOLED) ?? null;
  }

  private sbgFor(serviceId: string, subscribedAt: number | null): SbgParams | null {
    const cohort = subscribedAt === null ? null : this.cohortOf(this.d.days.of(subscribedAt));
    return (cohort ? this.sbg.get(`${serviceId}\u0000${cohort}`) : undefined) ?? this.sbg.get(`${serviceId}\u0000${POOLED}`) ?? null;
  }

  /** P(alive) as of `today` for an activity history, or null without history or fit. */
  pAlive(firstDay: number | null, lastDay: number | null, activeDays: number, today: number): number | null {
    if (firstDay === null || lastDay === null || activeDays < 1) return null;
    const cache = this.bgbbFor(firstDay);
    if (!cache) return null;
    const n = Math.max(0, today - firstDay);
    const tx = Math.min(lastDay - firstDay, n);
    const x = Math.min(activeDays - 1, tx);
    return cache.get(x, tx, n);
  }

  /**
   * Usage scores of one activity history: P(alive), expected active days in the next 30 days, and the
   * expected remaining active lifetime in days (discounted, within the horizon).
   */
  usageScores(
    firstDay: number | null,
    lastDay: number | null,
    activeDays: number,
    today: number,
  ): { pAlive: number; expectedActiveDays30: number; residualLifetimeDays: number; cohort: string; usedPooled: boolean } | null {
    if (firstDay === null || lastDay === null || activeDays < 1) return null;
    const cohort = this.bgbb.has(this.cohortOf(firstDay)) ? this.cohortOf(firstDay) : POOLED;
    const cache = this.bgbb.get(cohort);
    if (!cache) return null;
    const n = Math.max(0, today - firstDay);
    const tx = Math.min(lastDay - firstDay, n);
    const x = Math.min(activeDays - 1, tx);
    const alive = cache.get(x, tx, n);
    const daily = Math.pow(1 + this.d.config.crm.scores.annualDiscountRate, 1 / 365) - 1;
    return {
      pAlive: alive,
      expectedActiveDays30: expectedActiveDays(cache.params, x, tx, n, 30, alive),
      residualLifetimeDays: residualLifetimeDays(cache.params, n, alive, daily, this.d.config.crm.scores.horizonDays),
      cohort,
      usedPooled: cohort === POOLED || this.pooledCohorts.has(cohort),
    };
  }

  /** The day a regular's P(alive) falls below the lapsing threshold if they stay quiet; null for others. */
  lapseDay(firstDay: number, lastDay: number, activeDays: number): number | null {
    const cfg = this.d.config.crm.lapsing;
    if (firstDay === NONE || activeDays < cfg.minActiveDays) return null;
    const cohort = this.bgbb.has(this.cohortOf(firstDay)) ? this.cohortOf(firstDay) : POOLED;
    const cache = this.bgbb.get(cohort);
    if (!cache) return null;
    const x = activeDays - 1;
    const tx = lastDay - firstDay;
    if (x > tx) return null;
    const key = `${cohort}\u0000${x}\u0000${tx}`;
    let n = this.crossings.get(key);
    if (n === undefined) {
      n = cache.crossing(x, tx, cfg.pAliveBelow);
      this.crossings.set(key, n);
    }
    return n === null ? null : firstDay + n;
  }

  /** Whether the models are due for a refit. */
  async refitDue(now: number): Promise<boolean> {
    const t = await this.store.lastFittedAt();
    return t === null || now - t >= this.d.config.crm.scores.refitHours * 3_600_000 || now < t;
  }

  /** The rules of honest cohort fits; `scores.minCohortSize`, if an older config still sets it, wins. */
  private rules(): CohortFitRules {
    const f = this.d.config.crm.fits;
    return {
      minCohortSize: this.d.config.crm.scores.minCohortSize ?? f.minCohortSize,
      minAgeDays: f.minAgeDays,
      minEvents: f.minEvents,
      priorSd: f.priorSd,
      bounds: { min: f.minParam, max: f.maxParam },
    };
  }

  /**
   * Fits BG/BB per activity cohort and sBG per service and cohort, each cohort shrunk towards the pooled
   * fit or replaced by it when too small or too young; stores fits with their quality in unit `tx`;
   * returns counts.
   */
  async refit(now: number, tx: Tx): Promise<{ bgbb: number; sbg: number; ms: number }> {
    const t0 = performance.now();
    const today = this.d.days.of(now);
    const rules = this.rules();
    const store = (model: string, service: string, f: CohortFit<unknown>, observed: unknown) =>
      this.store.saveFit(
        {
        model,
        serviceId: service,
        cohort: f.cohort,
        params: f.params as Record<string, number>,
        size: f.quality.n,
        logLikelihood: f.quality.logLikelihood,
        observed: observed as Record<string, unknown>,
        quality: f.quality,
          fittedAt: now,
        },
        tx,
      );

    // BG/BB: histories grouped by (first day, active days, last day) in SQL, then by cohort here.
    const rows = await this.store.historyGroups(today, tx);
    type Acc = { groups: Map<string, BgbbGroup>; n: number; ageDays: number };
    const cohorts = new Map<string, Acc>();
    const add = (cohort: string, g: BgbbGroup) => {
      let m = cohorts.get(cohort);
      if (!m) cohorts.set(cohort, (m = { groups: new Map<string, BgbbGroup>(), n: 0, ageDays: 0 }));
      const k = `${g.x},${g.tx},${g.n}`;
      const e = m.groups.get(k);
      if (e) e.count += g.count;
      else m.groups.set(k, { ...g });
      m.n += g.count;
      m.ageDays = Math.max(m.ageDays, g.n);
    };
    for (const [first, active, last, count] of rows) {
      const n = today - first;
      const tx = Math.min(last - first, n);
      const x = Math.min(active - 1, tx);
      if (n < 1 || x < 0 || (x === 0 && tx !== 0)) continue;
      const g = { x, tx, n, count };
      add(this.cohortOf(first), g);
      add(POOLED, g);
    }
    const prevB = new Map((await this.store.previousFits('bgbb', tx)).map((r) => [r.cohort, r.params as unknown as BgbbParams]));
    await this.store.clearFits('bgbb', tx);
    const asData = (cohort: string, a: Acc): CohortData<BgbbGroup[]> => ({ cohort, data: [...a.groups.values()], n: a.n, ageDays: a.ageDays, events: null });
    const pooledB = cohorts.get(POOLED);
    let nb = 0;
    if (pooledB) {
      const others = [...cohorts].filter(([k]) => k !== POOLED).map(([k, a]) => asData(k, a));
      const r = fitCohorts(asData(POOLED, pooledB), others, BGBB_MODEL, rules, (k) => prevB.get(k));
      for (const f of r ? [r.pooled, ...r.cohorts] : []) {
        await store('bgbb', '', f, { groups: cohorts.get(f.cohort)!.groups.size, repeatDays: repeatDays(cohorts.get(f.cohort)!.groups.values(), f.params as BgbbParams) });
        nb++;
      }
    }

    // sBG: subscriptions grouped by service, start day, state and renewals.
    const subs = await this.store.subscriptionGroups(tx);
    type SbgAcc = SbgCohortData & { size: number; firstDay: number; lapses: number };
    const data = new Map<string, SbgAcc>();
    const put = (key: string, lost: boolean, r: number, n: number, day: number) => {
      let e = data.get(key);
      if (!e) data.set(key, (e = { lost: [], active: [], size: 0, firstDay: day, lapses: 0 }));
      const arr = lost ? e.lost : e.active;
      const t = lost ? r + 1 : r;
      for (let i = arr.length; i <= t; i++) arr.push(0);
      arr[t]! += n;
      e.size += n;
      if (lost) e.lapses += n;
      e.firstDay = Math.min(e.firstDay, day);
    };
    for (const [service, d, state, renewals, n] of subs) {
      // Grace keeps access while the operator retries: still a subscriber. Suspension, cancellation and
      // expiry end the run at the renewal that failed.
      const lost = state === 'suspended' || state === 'cancelled' || state === 'expired';
      const day = this.d.days.of(d * DAY);
      const cohort = this.cohortOf(day);
      put(`${service}\u0000${cohort}`, lost, renewals, n, day);
      put(`${service}\u0000${POOLED}`, lost, renewals, n, day);
    }
    const prevS = new Map((await this.store.previousFits('sbg', tx)).map((r) => [`${r.serviceId}\u0000${r.cohort}`, r.params as unknown as SbgParams]));
    await this.store.clearFits('sbg', tx);
    const byService = new Map<string, { pooled?: CohortData<SbgCohortData>; cohorts: CohortData<SbgCohortData>[] }>();
    for (const [key, e] of data) {
      const [service, cohort] = key.split('\u0000') as [string, string];
      let b = byService.get(service);
      if (!b) byService.set(service, (b = { cohorts: [] }));
      const cd = { cohort, data: { lost: e.lost, active: e.active }, n: e.size, ageDays: Math.max(0, today - e.firstDay), events: e.lapses };
      if (cohort === POOLED) b.pooled = cd;
      else b.cohorts.push(cd);
    }
    let ns = 0;
    for (const [service, b] of byService) {
      // Nobody has left yet: there is no churn to estimate, and the default renewal rate stands.
      // A cohort must have seen a few renewals, however many days that takes for this service.
      const periodDays = PERIOD_DAYS[this.services.get(service)?.period ?? 'daily'];
      const sbgRules = { ...rules, minAgeDays: Math.max(rules.minAgeDays, this.d.config.crm.fits.minPeriods * periodDays) };
      const r = b.pooled ? fitCohorts(b.pooled, b.cohorts, SBG_MODEL, sbgRules, (k) => prevS.get(`${service}\u0000${k}`)) : null;
      for (const f of r ? [r.pooled, ...r.cohorts] : []) {
        const d = data.get(`${service}\u0000${f.cohort}`)!;
        await store('sbg', service, f, { lost: d.lost, active: d.active });
        ns++;
      }
    }
    const reloaded = this.load(tx);
    this.loaded = reloaded;
    await reloaded;
    return { bgbb: nb, sbg: ns, ms: Math.round(performance.now() - t0) };
  }

  /** Adds the lapse day of activity histories not known yet ("first,active,last" keys) in unit `tx`; how many were new. */
  async addLapseDaysIn(tx: Tx, histories: Iterable<string>): Promise<number> {
    await this.ready();
    return this.store.addLapseDaysIn(tx, this.withLapseDays(histories));
  }

  private *withLapseDays(histories: Iterable<string>): Generator<LapseDayRow> {
    for (const h of histories) {
      const [first, active, last] = h.split(',').map(Number) as [number, number, number];
      yield [first, active, last, this.lapseDay(first, last, active)];
    }
  }

  /**
   * Recomputes the lapse day of every activity history with the current fits (after a refit), in unit
   * `tx`. There are far fewer histories than subscribers.
   */
  async rebuildLapseDays(tx: Tx): Promise<number> {
    const rows = await this.store.allHistories(tx);
    await this.store.replaceLapseDays(
      rows.map(([first, active, last]): LapseDayRow => [first, active, last, this.lapseDay(first, last, active)]),
      tx,
    );
    return rows.length;
  }

  /**
   * Scores of one live subscription (the same figures the rankings use). With `now`, a subscriber who
   * has never used the service is judged disengaged once a whole usage window has passed.
   */
  score(
    s: { serviceId: string; state: string; renewals: number; subscribedAt: number | null; consecutiveFailures: number },
    pAlive: number | null,
    now?: number,
  ): SubscriptionScore | null {
    const service = this.services.get(s.serviceId);
    if (!service) return null;
    const cfg = this.d.config.crm.scores;
    const periodDays = PERIOD_DAYS[service.period];
    const discount = Math.pow(1 + cfg.annualDiscountRate, periodDays / 365) - 1;
    const horizon = Math.max(1, Math.floor(cfg.horizonDays / periodDays));
    const sbg = this.sbgFor(s.serviceId, s.subscribedAt);
    let renew: number;
    let residual: number;
    if (sbg) {
      renew = retentionRate(sbg, s.renewals + 1);
      residual = residualLifetime(sbg, s.renewals + 1, discount, horizon);
    } else {
      renew = DEFAULT_RENEWAL;
      residual = 0;
      let term = 1;
      for (let k = 0; k < horizon; k++) {
        term *= DEFAULT_RENEWAL / (k === 0 ? 1 : 1 + discount);
        residual += term;
      }
    }
    // Each failed charge in a row halves the chance that the next one goes through; grace means at least
    // one has failed, suspension at least two (the operator has stopped the service).
    const failures = Math.max(s.consecutiveFailures, s.state === 'grace' ? 1 : s.state === 'suspended' ? 2 : 0);
    renew *= Math.pow(0.5, failures);
    const residualValue = residual * service.price;
    const lapseRisk = 1 - renew;
    // Nobody can judge the usage of a subscriber who has not yet had a usage window to use the service in.
    const windowMs = this.d.config.crm.passive.windowDays[service.period] * DAY;
    const neverActive = pAlive === null;
    const judged = pAlive !== null || (now !== undefined && s.subscribedAt !== null && now - s.subscribedAt >= windowMs);
    const disRisk = pAlive !== null ? 1 - pAlive : judged ? 1 : null;
    const lapse = { risk: lapseRisk, valueAtRisk: lapseRisk * residualValue };
    const disengagement = { risk: disRisk, valueAtRisk: disRisk === null ? null : disRisk * residualValue };
    const worse = (disengagement.valueAtRisk ?? -1) > lapse.valueAtRisk;
    return {
      renewProbability: renew,
      consecutiveFailures: s.consecutiveFailures,
      pAlive,
      neverActive,
      residualPeriods: residual,
      residualValue,
      lapse,
      disengagement,
      risk: worse ? disRisk! : lapseRisk,
      valueAtRisk: worse ? disengagement.valueAtRisk! : lapse.valueAtRisk,
      riskKind: worse ? 'disengagement' : 'lapse',
    };
  }
}
