import type { Config } from '../config';
import type { Db } from '../db/client';
import { DAY } from '../lib/clock';
import type { Logger } from '../lib/logger';
import { NONE, type ActivityStore } from './activity-store';
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
  private readonly services: Map<string, Service>;

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

  /** Lapse day of a subscriber in the activity store. */
  lapseDayOf(store: ActivityStore, id: number): number | null {
    return this.lapseDay(store.firstDay[id]!, store.lastDay[id]!, store.activeDays[id]!);
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
      if (!m) cohorts.set(cohort, (m = new Map()));
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

  /** Recomputes every subscriber's lapse day with the current fits (after a refit); returns rows changed. */
  recomputeLapseDays(): number {
    const c = this.d.db.$client;
    const upd = c.prepare('UPDATE crm_subscribers SET lapse_day = ? WHERE subscriber_id = ?');
    const rows = c.prepare('SELECT subscriber_id, first_day, last_day, active_days, lapse_day FROM crm_subscribers WHERE first_day IS NOT NULL').raw().all() as [number, number, number, number, number | null][];
    let changed = 0;
    for (const [id, first, last, active, old] of rows) {
      const ld = this.lapseDay(first, last, active);
      if (ld !== old) {
        upd.run(ld, id);
        changed++;
      }
    }
    return changed;
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

  /**
   * The daily snapshot: paying-vs-using per service with the revenue at stake, and the risk ranking (top
   * `riskTop` by value at risk) written to crm_risk. One scan of the live subscriptions.
   */
  snapshot(now: number): { subscriptions: number; ms: number } {
    const t0 = performance.now();
    const c = this.d.db.$client;
    const today = this.d.days.of(now);
    const cfg = this.d.config.crm;
    const it = c
      .prepare(
        `SELECT s.subscriber_id, s.service_id, s.state, s.renewals, s.subscribed_at, s.consecutive_failures, s.last_charged_at,
           c.first_day, c.last_day, c.active_days, c.last_content_at
         FROM subscriptions s LEFT JOIN crm_subscribers c ON c.subscriber_id = s.subscriber_id
         WHERE s.state IN ('active', 'grace', 'suspended')`,
      )
      .raw()
      .iterate() as IterableIterator<[number, string, string, number, number | null, number, number | null, number | null, number | null, number | null, number | null]>;
    const top = new TopK(cfg.scores.riskTop);
    type Cell = { subscribers: number; monthlyRevenue: number };
    const matrix = new Map<string, Record<'payingUsing' | 'payingNotUsing' | 'notPayingUsing' | 'notPayingNotUsing', Cell>>();
    const byState: Record<string, { subscribers: number; valueAtRisk: number; residualValue: number }> = {};
    let n = 0;
    for (const r of it) {
      const [sub, serviceId, state, renewals, subscribedAt, failures, lastCharged, firstDay, lastDay, activeDays, lastContent] = r;
      const service = this.services.get(serviceId);
      if (!service) continue;
      n++;
      const pAlive = this.pAlive(firstDay, lastDay, activeDays ?? 0, today);
      const sc = this.score({ serviceId, state, renewals, subscribedAt, consecutiveFailures: failures }, pAlive)!;
      top.push(sc.valueAtRisk, [sub, serviceId, state, sc]);
      const st = (byState[state] ??= { subscribers: 0, valueAtRisk: 0, residualValue: 0 });
      st.subscribers++;
      st.valueAtRisk += sc.valueAtRisk;
      st.residualValue += sc.residualValue;

      const windowMs = cfg.passive.windowDays[service.period] * DAY;
      const paying = lastCharged !== null && lastCharged >= now - windowMs;
      const using = lastContent !== null && lastContent >= now - windowMs;
      let m = matrix.get(serviceId);
      if (!m) {
        const z = () => ({ subscribers: 0, monthlyRevenue: 0 });
        matrix.set(serviceId, (m = { payingUsing: z(), payingNotUsing: z(), notPayingUsing: z(), notPayingNotUsing: z() }));
      }
      const cell = m[paying ? (using ? 'payingUsing' : 'payingNotUsing') : using ? 'notPayingUsing' : 'notPayingNotUsing'];
      cell.subscribers++;
      if (paying) cell.monthlyRevenue += service.price * (30 / PERIOD_DAYS[service.period]);
    }
    const round = (v: number) => Math.round(v * 100) / 100;
    const services: Record<string, unknown> = {};
    for (const [id, m] of matrix) {
      const svc = this.services.get(id)!;
      for (const cell of Object.values(m)) cell.monthlyRevenue = round(cell.monthlyRevenue);
      services[id] = { ...m, windowDays: cfg.passive.windowDays[svc.period], currency: svc.currency, revenueAtStake: m.payingNotUsing.monthlyRevenue };
    }
    const usingDays = 30;
    const freeUsers = (
      c
        .prepare(
          `SELECT count(*) AS n FROM crm_subscribers c WHERE c.last_content_at >= ?
           AND NOT EXISTS (SELECT 1 FROM subscriptions s WHERE s.subscriber_id = c.subscriber_id AND s.state IN ('active', 'grace', 'suspended'))`,
        )
        .get(now - usingDays * DAY) as { n: number }
    ).n;
    const put = c.prepare('INSERT OR REPLACE INTO crm_snapshots (kind, day, data, at) VALUES (?, ?, ?, ?)');
    put.run('paying_using', today, JSON.stringify({ services, usingWithoutSubscription: { subscribers: freeUsers, windowDays: usingDays } }), now);
    for (const s of Object.values(byState)) {
      s.valueAtRisk = round(s.valueAtRisk);
      s.residualValue = round(s.residualValue);
    }
    put.run('risk', today, JSON.stringify({ subscriptions: n, byState }), now);

    // Registered subscribers per profile value, for the usage report's reach.
    const reach: Record<string, Record<string, number>> = { region: {}, crop: {}, language: {}, operator: {} };
    const dims = c.prepare('SELECT region, crop, language, operator, count(*) FROM subscribers GROUP BY 1, 2, 3, 4').raw().all() as [string | null, string | null, string | null, string | null, number][];
    for (const [region, crop, language, operator, count] of dims) {
      for (const [dim, v] of [['region', region], ['crop', crop], ['language', language], ['operator', operator]] as const) {
        const key = v ?? 'unknown';
        reach[dim]![key] = (reach[dim]![key] ?? 0) + count;
      }
    }
    put.run('reach', today, JSON.stringify(reach), now);

    c.prepare('DELETE FROM crm_risk').run();
    const ins = c.prepare(
      'INSERT OR REPLACE INTO crm_risk (subscriber_id, service_id, state, p_alive, renew_probability, residual_periods, residual_value, risk, value_at_risk, computed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    for (const [sub, serviceId, state, sc] of top.items()) {
      ins.run(sub, serviceId, state, sc.pAlive, sc.renewProbability, sc.residualPeriods, sc.residualValue, sc.risk, sc.valueAtRisk, now);
    }
    return { subscriptions: n, ms: Math.round(performance.now() - t0) };
  }
}

type RiskItem = [number, string, string, SubscriptionScore];

/** The k largest items by key (a binary min-heap). */
class TopK {
  private readonly keys: number[] = [];
  private readonly vals: RiskItem[] = [];
  constructor(private readonly k: number) {}

  push(key: number, val: RiskItem): void {
    if (this.keys.length < this.k) {
      this.keys.push(key);
      this.vals.push(val);
      this.up(this.keys.length - 1);
    } else if (key > this.keys[0]!) {
      this.keys[0] = key;
      this.vals[0] = val;
      this.down(0);
    }
  }

  items(): RiskItem[] {
    return this.vals;
  }

  private swap(i: number, j: number): void {
    [this.keys[i], this.keys[j]] = [this.keys[j]!, this.keys[i]!];
    [this.vals[i], this.vals[j]] = [this.vals[j]!, this.vals[i]!];
  }

  private up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.keys[p]! <= this.keys[i]!) return;
      this.swap(i, p);
      i = p;
    }
  }

  private down(i: number): void {
    const n = this.keys.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.keys[l]! < this.keys[m]!) m = l;
      if (r < n && this.keys[r]! < this.keys[m]!) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}
