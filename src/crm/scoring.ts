import type { Config } from '../config';
import type { Db } from '../db/client';
import { DAY } from '../lib/clock';
import type { Logger } from '../lib/logger';
import { NONE } from './activity-store';
import type { Days } from './days';
import { expectedActiveDays, fitBgbb, PAliveCache, residualLifetimeDays, type BgbbGroup, type BgbbParams } from './scores/bgbb';
import { fitSbg, residualLifetime, retentionRate, type SbgCohortData, type SbgParams } from './scores/sbg';

export const PERIOD_DAYS = { daily: 1, weekly: 7, monthly: 30 } as const;
/** The cohort name of a pooled fit (all cohorts together), used for cohorts too small to fit alone. */
export const POOLED = '*';
/** Without any fit yet, renewals are assumed to succeed at the carrier-billing average (DOMAIN.md). */
const DEFAULT_RENEWAL = 0.84;

type Service = Config['services'][number];

export interface ScoringDeps {
  db: Db;
  config: Pick<Config, 'crm' | 'services'>;
  days: Days;
  log: Logger;
}

/** Scores of one subscription: the pieces of the risk ranking. */
export interface SubscriptionScore {
  pAlive: number | null;
  renewProbability: number;
  residualPeriods: number;
  residualValue: number;
  risk: number;
  valueAtRisk: number;
}

/**
 * The models: BG/BB fitted per activity cohort (first active month or week) and sBG per service and
 * subscription cohort, by maximum likelihood, refitted on a schedule. From them: P(alive) and the day
 * it will cross the lapsing threshold, expected residual lifetime and value, and the risk ranking.
 */
export class Scoring {
  private bgbb = new Map<string, PAliveCache>();
  private sbg = new Map<string, SbgParams>();
  private readonly crossings = new Map<string, number | null>();
  /** The configured services by id. */
  readonly services: ReadonlyMap<string, Service>;

  constructor(private readonly d: ScoringDeps) {
    this.services = new Map(d.config.services.map((s) => [s.id, s]));
    this.load();
  }

  /** Reads the stored fits. */
  load(): void {
    this.bgbb.clear();
    this.sbg.clear();
    this.crossings.clear();
    const rows = this.d.db.$client.prepare('SELECT model, service_id, cohort, params FROM crm_fits').all() as { model: string; service_id: string; cohort: string; params: string }[];
    for (const r of rows) {
      const p = JSON.parse(r.params) as Record<string, number>;
      if (r.model === 'bgbb') this.bgbb.set(r.cohort, new PAliveCache(p as unknown as BgbbParams));
      else this.sbg.set(`${r.service_id}\u0000${r.cohort}`, p as unknown as SbgParams);
    }
  }

  private cohortOf(day: number): string {
    return this.d.days.cohort(day, this.d.config.crm.scores.cohort);
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
  usageScores(firstDay: number | null, lastDay: number | null, activeDays: number, today: number): { pAlive: number; expectedActiveDays30: number; residualLifetimeDays: number; cohort: string } | null {
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
  refitDue(now: number): boolean {
    const last = this.d.db.$client.prepare('SELECT max(fitted_at) AS t FROM crm_fits').get() as { t: number | null };
    return last.t === null || now - last.t >= this.d.config.crm.scores.refitHours * 3_600_000 || now < last.t;
  }

  /** Fits BG/BB per activity cohort and sBG per service and cohort; stores them; returns counts. */
  refit(now: number): { bgbb: number; sbg: number; ms: number } {
    const t0 = performance.now();
    const c = this.d.db.$client;
    const today = this.d.days.of(now);
    const cfg = this.d.config.crm.scores;
    const save = c.prepare('INSERT OR REPLACE INTO crm_fits (model, service_id, cohort, params, size, log_likelihood, observed, fitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');

    // BG/BB: histories grouped by (first day, active days, last day) in SQL, then by cohort here.
    const rows = c.prepare('SELECT first_day, active_days, last_day, count(*) AS n FROM crm_subscribers WHERE first_day IS NOT NULL AND first_day <= ? GROUP BY first_day, active_days, last_day').raw().all(today) as [number, number, number, number][];
    const cohorts = new Map<string, Map<string, BgbbGroup>>();
    const add = (cohort: string, g: BgbbGroup) => {
      let m = cohorts.get(cohort);
      if (!m) cohorts.set(cohort, (m = new Map<string, BgbbGroup>()));
      const k = `${g.x},${g.tx},${g.n}`;
      const e = m.get(k);
      if (e) e.count += g.count;
      else m.set(k, { ...g });
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
    let nb = 0;
    const fitsB = c.prepare("SELECT cohort, params FROM crm_fits WHERE model = 'bgbb'").all() as { cohort: string; params: string }[];
    const prevB = new Map(fitsB.map((r) => [r.cohort, JSON.parse(r.params) as BgbbParams]));
    c.prepare("DELETE FROM crm_fits WHERE model = 'bgbb'").run();
    for (const [cohort, groups] of cohorts) {
      const list = [...groups.values()];
      const size = list.reduce((s, g) => s + g.count, 0);
      if (cohort !== POOLED && size < cfg.minCohortSize) continue;
      const fit = fitBgbb(list, prevB.get(cohort) ?? prevB.get(POOLED) ?? undefined);
      save.run('bgbb', '', cohort, JSON.stringify(fit.params), size, fit.logLikelihood, JSON.stringify({ groups: list.length, converged: fit.converged }), now);
      nb++;
    }

    // sBG: subscriptions grouped by service, start day, state and renewals.
    const subs = c
      .prepare(
        `SELECT service_id, subscribed_at / ${DAY} AS d, state, renewals, count(*) AS n FROM subscriptions
         WHERE subscribed_at IS NOT NULL AND state IN ('active', 'grace', 'suspended', 'cancelled', 'expired') GROUP BY 1, 2, 3, 4`,
      )
      .raw()
      .all() as [string, number, string, number, number][];
    const data = new Map<string, SbgCohortData & { size: number }>();
    const put = (key: string, lost: boolean, r: number, n: number) => {
      let e = data.get(key);
      if (!e) data.set(key, (e = { lost: [], active: [], size: 0 }));
      const arr = lost ? e.lost : e.active;
      const t = lost ? r + 1 : r;
      for (let i = arr.length; i <= t; i++) arr.push(0);
      arr[t]! += n;
      e.size += n;
    };
    for (const [service, d, state, renewals, n] of subs) {
      // Grace keeps access while the operator retries: still a subscriber. Suspension, cancellation and
      // expiry end the run at the renewal that failed.
      const lost = state === 'suspended' || state === 'cancelled' || state === 'expired';
      const cohort = this.cohortOf(this.d.days.of(d * DAY));
      put(`${service}\u0000${cohort}`, lost, renewals, n);
      put(`${service}\u0000${POOLED}`, lost, renewals, n);
    }
    const fitsS = c.prepare("SELECT service_id, cohort, params FROM crm_fits WHERE model = 'sbg'").all() as { service_id: string; cohort: string; params: string }[];
    const prevS = new Map(fitsS.map((r) => [`${r.service_id}\u0000${r.cohort}`, JSON.parse(r.params) as SbgParams]));
    c.prepare("DELETE FROM crm_fits WHERE model = 'sbg'").run();
    let ns = 0;
    for (const [key, e] of data) {
      const [service, cohort] = key.split('\u0000') as [string, string];
      if (cohort !== POOLED && e.size < cfg.minCohortSize) continue;
      if (e.lost.every((v) => v === 0)) continue; // nobody has left yet: nothing to estimate churn from
      const fit = fitSbg(e, prevS.get(key) ?? prevS.get(`${service}\u0000${POOLED}`) ?? undefined);
      save.run('sbg', service, cohort, JSON.stringify(fit.params), e.size, fit.logLikelihood, JSON.stringify({ lost: e.lost, active: e.active }), now);
      ns++;
    }
    this.load();
    return { bgbb: nb, sbg: ns, ms: Math.round(performance.now() - t0) };
  }

  /** Adds the lapse day of activity histories not known yet ("first,active,last" keys), with the current fits. */
  addLapseDays(histories: Iterable<string>): number {
    const ins = this.d.db.$client.prepare('INSERT OR IGNORE INTO crm_lapse_days (first_day, active_days, last_day, lapse_day) VALUES (?, ?, ?, ?)');
    let n = 0;
    for (const h of histories) {
      const [first, active, last] = h.split(',').map(Number) as [number, number, number];
      n += ins.run(first, active, last, this.lapseDay(first, last, active)).changes;
    }
    return n;
  }

  /**
   * Recomputes the lapse day of every activity history with the current fits (after a refit). There are
   * far fewer histories than subscribers, and the table is rebuilt in one short transaction.
   */
  rebuildLapseDays(): number {
    const c = this.d.db.$client;
    const rows = c.prepare('SELECT DISTINCT first_day, active_days, last_day FROM crm_subscribers WHERE first_day IS NOT NULL').raw().all() as [number, number, number][];
    const ins = c.prepare('INSERT INTO crm_lapse_days (first_day, active_days, last_day, lapse_day) VALUES (?, ?, ?, ?)');
    c.transaction(() => {
      c.prepare('DELETE FROM crm_lapse_days').run();
      for (const [first, active, last] of rows) ins.run(first, active, last, this.lapseDay(first, last, active));
    })();
    return rows.length;
  }

  /** Scores of one live subscription (the same figures the ranking uses). */
  score(s: { serviceId: string; state: string; renewals: number; subscribedAt: number | null; consecutiveFailures: number }, pAlive: number | null): SubscriptionScore | null {
    const service = this.services.get(s.serviceId);
    if (!service) return null;
    const cfg = this.d.config.crm.scores;
    const periodDays = PERIOD_DAYS[service.period];
    const discount = Math.pow(1 + cfg.annualDiscountRate, periodDays / 365) - 1;
    const horizon = Math.max(1, Math.floor(cfg.horizonDays / periodDays));
    const sbg = this.sbgFor(s.serviceId, s.subscribedAt);
    // Each failed retry in a row halves the chance that the next charge goes through.
    const billing = Math.pow(0.5, s.consecutiveFailures);
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
    renew *= billing;
    residual *= billing;
    const risk = 1 - (pAlive ?? 0.5) * renew;
    const residualValue = residual * service.price;
    return { pAlive, renewProbability: renew, residualPeriods: residual, residualValue, risk, valueAtRisk: risk * residualValue };
  }
}
