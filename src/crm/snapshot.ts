import type { Tx } from '../db/database';
import { json } from '../db/portable';
import { DAY } from '../lib/clock';
import { NOT_SET_VALUE } from './demography-rollup';
import { profileValues } from './discovery-rollup';
import type { PackageFitCollector } from './package-fit';
import { LIVE_STATES, SnapshotStore, type RiskRankingRow } from './snapshot-store';
import { PERIOD_DAYS, type Scoring, type ScoringDeps, type SubscriptionScore } from './scoring';

/**
 * The key order of the two snapshot documents as written here, at every depth: reports list them in this
 * order on both engines (PostgreSQL's jsonb does not keep the order a document was written in).
 */
export const PAYING_USING_KEYS = ['services', 'usingWithoutSubscription', 'payingUsing', 'payingNotUsing', 'notPayingUsing', 'notPayingNotUsing', 'windowDays', 'currency', 'revenueAtStake', 'subscribers', 'monthlyRevenue'] as const;
export const RISK_SUMMARY_KEYS = ['subscriptions', 'atRiskFrom', 'atRisk', 'byState', 'lapse', 'disengagement', 'notYetJudged', 'active', 'grace', 'suspended', 'subscribers', 'lapseValueAtRisk', 'disengagementValueAtRisk', 'residualValue'] as const;

/**
 * The daily snapshot: paying-vs-using per service with the revenue at stake, and the two risk rankings
 * (lapse and disengagement: the top `riskTop` of each by value at risk) written to crm_risk_rankings.
 * One scan of the subscriptions (the ended ones only feed `packageFit`), page by page; everything is read
 * and written in unit `tx`.
 */
export async function takeSnapshot(
  scoring: Scoring,
  d: ScoringDeps,
  now: number,
  /** Sees every live subscription's residual value (the value tiers are ranked from, without a second scan). */
  visit: ((subscriberId: number, residualValue: number, subscribedAt: number | null, firstActiveDay: number | null) => void) | undefined,
  /** Gathers every subscription run that started, live or ended, for the package-fit life tables (the same scan). */
  packageFit: PackageFitCollector | undefined,
  tx: Tx,
): Promise<{ subscriptions: number; ms: number }> {
  const t0 = performance.now();
  await scoring.ready();
  const services = scoring.services;
  const store = new SnapshotStore(d.database);
  const today = d.days.of(now);
  const cfg = d.config.crm;
  const lapseTop = new TopK(cfg.scores.riskTop);
  const disengagementTop = new TopK(cfg.scores.riskTop);
  const chargeWindow = now - cfg.lapsing.chargeWindowDays * DAY;
  const atRisk = { lapse: 0, disengagement: 0, notYetJudged: 0 };
  type Cell = { subscribers: number; monthlyRevenue: number };
  const matrix = new Map<string, Record<'payingUsing' | 'payingNotUsing' | 'notPayingUsing' | 'notPayingNotUsing', Cell>>();
  type Sum = { subscribers: number; lapseValueAtRisk: number; disengagementValueAtRisk: number; residualValue: number };
  const byState: Record<string, Sum> = {};
  let n = 0;
  for await (const page of store.subscriptionRunPages(tx)) for (const r of page) {
    const [sub, serviceId, state, renewals, subscribedAt, failures, lastCharged, enteredAt, firstDay, lastDay, activeDays, lastContent, charges] = r;
    if (subscribedAt !== null) packageFit?.add(serviceId, state, subscribedAt, enteredAt, firstDay, lastDay, activeDays);
    if (!LIVE_STATES.has(state)) continue;
    const service = services.get(serviceId);
    if (!service) continue;
    n++;
    const pAlive = scoring.pAlive(firstDay, lastDay, activeDays ?? 0, today);
    const sc = scoring.score({ serviceId, state, renewals, subscribedAt, consecutiveFailures: failures }, pAlive, now)!;
    visit?.(sub, sc.residualValue, subscribedAt, firstDay);
    // Built only for a subscription a ranking keeps (of a million, ten thousand each).
    let item: RiskItem | undefined;
    // Only the subscriptions more at risk than the floor are ranked: someone who renews on time and uses
    // the service is not a lapse or disengagement case however much their subscription is worth.
    if (sc.lapse.risk >= cfg.scores.atRiskFrom) {
      if (lapseTop.keeps(sc.lapse.valueAtRisk)) lapseTop.push(sc.lapse.valueAtRisk, (item ??= { sub, serviceId, state, renewals, lastDay, activeDays: activeDays ?? 0, charges, sc }));
      atRisk.lapse++;
    }
    if (sc.disengagement.risk !== null && sc.disengagement.risk >= cfg.scores.atRiskFrom) {
      if (disengagementTop.keeps(sc.disengagement.valueAtRisk!)) disengagementTop.push(sc.disengagement.valueAtRisk!, (item ??= { sub, serviceId, state, renewals, lastDay, activeDays: activeDays ?? 0, charges, sc }));
      atRisk.disengagement++;
    }
    if (sc.disengagement.risk === null) atRisk.notYetJudged++;
    const st = (byState[state] ??= { subscribers: 0, lapseValueAtRisk: 0, disengagementValueAtRisk: 0, residualValue: 0 });
    st.subscribers++;
    st.lapseValueAtRisk += sc.lapse.valueAtRisk;
    st.disengagementValueAtRisk += sc.disengagement.valueAtRisk ?? 0;
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
  const byService: Record<string, unknown> = {};
  for (const [id, m] of matrix) {
    const svc = services.get(id)!;
    for (const cell of Object.values(m)) cell.monthlyRevenue = round(cell.monthlyRevenue);
    byService[id] = { ...m, windowDays: cfg.passive.windowDays[svc.period], currency: svc.currency, revenueAtStake: m.payingNotUsing.monthlyRevenue };
  }
  const usingDays = 30;
  const freeUsers = await store.usingWithoutSubscription(now - usingDays * DAY, tx);
  await store.saveSnapshot('paying_using', today, { services: byService, usingWithoutSubscription: { subscribers: freeUsers, windowDays: usingDays } }, now, tx);
  for (const s of Object.values(byState)) {
    s.lapseValueAtRisk = round(s.lapseValueAtRisk);
    s.disengagementValueAtRisk = round(s.disengagementValueAtRisk);
    s.residualValue = round(s.residualValue);
  }
  await store.saveSnapshot('risk', today, { subscriptions: n, atRiskFrom: cfg.scores.atRiskFrom, atRisk, byState }, now, tx);

  // Registered subscribers per profile value, for the usage report's reach.
  const registered = await registeredByProfile(store, tx);
  await store.saveSnapshot('reach', today, registered.reach, now, tx);
  await store.saveSnapshot('profile_reach', today, registered.byProfile, now, tx);

  const rankings = function* (): Generator<RiskRankingRow> {
    for (const [kind, top] of [['lapse', lapseTop], ['disengagement', disengagementTop]] as const) {
      for (const i of top.items()) {
        const risk = kind === 'lapse' ? i.sc.lapse : i.sc.disengagement;
        yield {
          kind,
          subscriberId: i.sub,
          serviceId: i.serviceId,
          state: i.state,
          pAlive: i.sc.pAlive,
          lastActiveDay: i.lastDay,
          activeDays: i.activeDays,
          renewProbability: i.sc.renewProbability,
          renewals: i.renewals,
          consecutiveFailures: i.sc.consecutiveFailures,
          recentFailedCharges: failedCharges(i.charges, i.serviceId, chargeWindow),
          residualPeriods: i.sc.residualPeriods,
          residualValue: i.sc.residualValue,
          risk: risk.risk!,
          valueAtRisk: risk.valueAtRisk!,
          computedAt: now,
        };
      }
    }
  };
  await store.replaceRiskRankings(rankings(), tx);
  return { subscriptions: n, ms: Math.round(performance.now() - t0) };
}

type RiskItem = { sub: number; serviceId: string; state: string; renewals: number; lastDay: number | null; activeDays: number; charges: unknown; sc: SubscriptionScore };

/**
 * Registered subscribers per region, crop, language and operator (`reach`), and per profile field value
 * (`byProfile`: list items one by one, numbers by their whole part, as the demography rollups group them,
 * with '(not set)' for those without the field): the usage report's registered counts, read from here
 * instead of a scan of every profile per request. One scan of the subscribers for both.
 */
async function registeredByProfile(store: SnapshotStore, tx: Tx): Promise<{ reach: Record<string, Record<string, number>>; byProfile: Record<string, Record<string, number>> }> {
  // One scan in JS instead of json_each in SQL (several times cheaper at a million profiles). Values are
  // taken as SQLite's json_each gives them (true as 1, a nested list or object as its JSON text, null items
  // skipped) and
  // grouped in its order (field, then numbers before text), so the stored snapshot is the same.
  let total = 0;
  const counts = new Map<string, Map<number | string, number>>();
  const withField = new Map<string, number>();
  const bump = (field: string, value: number | string) => {
    let m = counts.get(field);
    if (!m) counts.set(field, (m = new Map<number | string, number>()));
    m.set(value, (m.get(value) ?? 0) + 1);
  };
  const asSql = (v: unknown): number | string => (typeof v === 'boolean' ? (v ? 1 : 0) : typeof v === 'number' || typeof v === 'string' ? v : JSON.stringify(v));
  const dims = new DimensionCounts();
  for await (const page of store.profilePages(tx)) for (const [raw, region, crop, language, operator] of page) {
    total++;
    dims.add(region, crop, language, operator);
    let profile: unknown;
    try {
      profile = raw === null ? null : json(raw);
    } catch {
      continue;
    }
    if (!profile || typeof profile !== 'object' || Array.isArray(profile)) continue;
    for (const [field, v] of Object.entries(profile as Record<string, unknown>)) {
      if (v === null) continue;
      if (Array.isArray(v)) {
        if (v.length === 0) continue;
        for (const item of v) if (item !== null) bump(field, asSql(item));
      } else bump(field, asSql(v));
      withField.set(field, (withField.get(field) ?? 0) + 1);
    }
  }
  const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const bySql = (a: number | string, b: number | string) => (typeof a === 'number' ? (typeof b === 'number' ? a - b : -1) : typeof b === 'number' ? 1 : byText(a, b));
  const out: Record<string, Record<string, number>> = {};
  for (const field of [...counts.keys()].sort(byText)) {
    const values = counts.get(field)!;
    for (const value of [...values.keys()].sort(bySql)) {
      const n = values.get(value)!;
      for (const v of profileValues(value)) {
        const m = (out[field] ??= {});
        m[v] = (m[v] ?? 0) + n;
      }
    }
  }
  for (const field of [...withField.keys()].sort(byText)) (out[field] ??= {})[NOT_SET_VALUE] = total - withField.get(field)!;
  return { reach: dims.reach(), byProfile: out };
}

type Dim = string | null;

/**
 * Subscribers counted per (region, crop, language, operator), in place of SQL's GROUP BY over the same
 * scan; `reach` adds the groups up in GROUP BY's order (NULL first, then text by its UTF-8 bytes), so the
 * stored snapshot, keys in the same order, is what the SQL gave.
 */
class DimensionCounts {
  private readonly groups = new Map<Dim, Map<Dim, Map<Dim, Map<Dim, number>>>>();

  add(region: Dim, crop: Dim, language: Dim, operator: Dim): void {
    const byCrop = getOr(this.groups, region, () => new Map<Dim, Map<Dim, Map<Dim, number>>>());
    const byLanguage = getOr(byCrop, crop, () => new Map<Dim, Map<Dim, number>>());
    const byOperator = getOr(byLanguage, language, () => new Map<Dim, number>());
    byOperator.set(operator, (byOperator.get(operator) ?? 0) + 1);
  }

  reach(): Record<string, Record<string, number>> {
    const rows: [Dim, Dim, Dim, Dim, number][] = [];
    for (const [region, byCrop] of this.groups) {
      for (const [crop, byLanguage] of byCrop) {
        for (const [language, byOperator] of byLanguage) for (const [operator, n] of byOperator) rows.push([region, crop, language, operator, n]);
      }
    }
    rows.sort((a, b) => sqlOrder(a[0], b[0]) || sqlOrder(a[1], b[1]) || sqlOrder(a[2], b[2]) || sqlOrder(a[3], b[3]));
    const reach: Record<string, Record<string, number>> = { region: {}, crop: {}, language: {}, operator: {} };
    for (const [region, crop, language, operator, count] of rows) {
      for (const [dim, v] of [['region', region], ['crop', crop], ['language', language], ['operator', operator]] as const) {
        const key = v ?? 'unknown';
        reach[dim]![key] = (reach[dim]![key] ?? 0) + count;
      }
    }
    return reach;
  }
}

function getOr<K, V>(m: Map<K, V>, k: K, make: () => V): V {
  let v = m.get(k);
  if (v === undefined) m.set(k, (v = make()));
  return v;
}

/** SQLite's ascending order of nullable text under the BINARY collation. */
function sqlOrder(a: Dim, b: Dim): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Failed charges of one service since `since`, from a subscriber's recent charge attempts (JSON text, or parsed on PostgreSQL). */
function failedCharges(charges: unknown, serviceId: string, since: number): number {
  // Most subscribers have no failure at all: skip the parse unless an attempt with ok = 0 is there.
  if (!charges || (typeof charges === 'string' && !charges.includes(',0,'))) return 0;
  let n = 0;
  for (const [at, service, ok] of json<[number, string, number, number][]>(charges)) if (ok === 0 && service === serviceId && at >= since) n++;
  return n;
}

/** The k largest items by key (a binary min-heap). */
class TopK {
  private readonly keys: number[] = [];
  private readonly vals: RiskItem[] = [];
  constructor(private readonly k: number) {}

  /** Whether an item of this key would be kept (push does nothing otherwise). */
  keeps(key: number): boolean {
    return this.keys.length < this.k || key > this.keys[0]!;
  }

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
