import type { Config } from '../../config';
import type { Db } from '../../db/client';
import type { FlowRegistry } from '../../engine/flow-registry';
import { DAY, HOUR } from '../../lib/clock';
import { foldSubscription, lifecyclePolicy } from '../../subscriptions/lifecycle';
import { SubscriptionRepo, toFoldEvent } from '../../subscriptions/subscription-repo';
import { CrmStateStore } from '../crm-state-store';
import { Days } from '../days';
import { BillingSim, billingUsage, EventLists, type BillingNote, type Period } from './billing';
import { flowRoutes, type Route } from './flow-paths';
import { CROPS, CROP_WEIGHTS, REGIONS, REGION_WEIGHTS, rng, SALT, TRUTH, u01 } from './model';
import { chooseRoute, DEMOGRAPHY_TRUTH, drawProfile, isYoung, plantedShares, topicOf } from './demography';
import { GeneratorStore } from './generator-store';
import { OnboardingSim, type OnboardingTruth } from './onboarding';
import { foundFirstGo, synthSession, type EventRow, type SessionPlan } from './sessions';
import type { InterventionKind } from '../interventions';
import { INTERVENTION_TRUTH, isCharge, TreatmentSim, type KindTruth } from './treatment';
import { TRUTH_KEY, type CrmHook, type GeneratorTruth } from './truth';

export { GENERATOR_TRUTH, TRUTH_KEY, type CrmHook, type GeneratorTruth } from './truth';

export interface GenerateOptions {
  subscribers: number;
  days: number;
  seed?: number;
  /** Subscribers first appear over this many days from day 0 (default: all `days`). */
  joinDays?: number;
  /** Local midnight of day 0 (epoch ms). Default: `days` days before the local midnight of `now`. */
  startAt?: number;
  now: number;
  progress?: (line: string) => void;
  /** Run the CRM pass at the end of every day and plant the intervention effects (fresh populations only). */
  crm?: CrmHook;
  /** With `crm`: the share of the reached each intervention kind moves, instead of the planted one (0 plants no effect). */
  moveShares?: Partial<Record<InterventionKind, number>>;
}

export interface GenerateSummary {
  subscribers: number;
  fromDay: number;
  toDay: number;
  startAt: string;
  endAt: string;
  events: number;
  sessions: number;
  stuckSessions: number;
  subscriptions: number;
  billingEvents: number;
  ms: number;
  /** With the CRM simulated: what it did and the true effects (closed outcome windows only). */
  crm?: { passes: number; passMs: number; delivered: number; failed: number; moved: number; truth: KindTruth[]; onboarding: OnboardingTruth };
  /** The planted content shares of a session's first choice per group (see `plantedShares`). */
  plantedContent?: ReturnType<typeof plantedShares>;
}

interface GeneratorParams {
  seed: number;
  subscribers: number;
  days: number;
  /** Subscribers first appear within days [0, joinDays); appended days add activity, not people. */
  joinDays: number;
  startAt: number;
}

const STATE_KEY = 'generator';

/**
 * Writes a realistic synthetic population for demos and benchmarks: subscribers with regions, crops,
 * languages and operators; USSD and IVR sessions through the real flows (with stuck ones); SMS keyword
 * use; subscriptions with renewals, failures, grace, suspension, cancellation and expiry, folded by the
 * subscriptions domain's own lifecycle. Bulk: prepared statements, one transaction per day, secondary
 * indexes dropped and rebuilt for a fresh database. `append` adds days to a population made earlier,
 * exactly as a longer first run would have.
 */
export class PopulationGenerator {
  private readonly state: CrmStateStore;

  constructor(
    private readonly db: Db,
    private readonly flows: FlowRegistry,
    private readonly config: Pick<Config, 'services' | 'billing' | 'operators' | 'defaults'>,
  ) {
    this.state = new CrmStateStore(db);
  }

  /** A fresh population (the database must have no subscribers yet). */
  async generate(o: GenerateOptions): Promise<GenerateSummary> {
    if (new GeneratorStore(this.db).subscriberCount() > 0) {
      throw new Error('the database already has subscribers: generate into a new database (--db PATH), or use --append-days');
    }
    if (!Number.isInteger(o.subscribers) || o.subscribers < 1) throw new Error('--subscribers must be a whole number of at least 1');
    if (!Number.isInteger(o.days) || o.days < 1) throw new Error('--days must be a whole number of at least 1');
    const days = new Days(this.config.defaults.timezone);
    const startAt = o.startAt ?? days.start(days.of(o.now) - o.days);
    const p: GeneratorParams = { seed: o.seed ?? 1, subscribers: o.subscribers, days: o.days, joinDays: Math.min(o.joinDays ?? o.days, o.days), startAt };
    return this.run(p, 0, o.days, o.progress, true, o.crm, o.moveShares);
  }

  /** Adds `extraDays` days to the population this database was generated with. */
  async append(extraDays: number, progress?: (line: string) => void): Promise<GenerateSummary> {
    const stored = this.state.get<GeneratorParams | null>(STATE_KEY, null);
    const p = stored ? { ...stored, joinDays: stored.joinDays ?? stored.days } : null;
    if (!p) throw new Error('this database was not made by vasgw generate: nothing to append to');
    if (!Number.isInteger(extraDays) || extraDays < 1) throw new Error('--append-days must be a whole number of at least 1');
    return this.run({ ...p, days: p.days + extraDays }, p.days, p.days + extraDays, progress, false);
  }

  private async run(p: GeneratorParams, fromDay: number, toDay: number, progress: ((l: string) => void) | undefined, fresh: boolean, crm?: CrmHook, moveShares?: Partial<Record<InterventionKind, number>>): Promise<GenerateSummary> {
    const t0 = performance.now();
    const store = new GeneratorStore(this.db);
    const flow = this.flows.all().find((f) => f.entry.ussd.length > 0) ?? this.flows.all()[0];
    if (!flow) throw new Error('no flows loaded: the generator walks the real flows');
    const routes = flowRoutes(flow, CROPS);
    if (routes.length === 0) throw new Error(`flow ${flow.id} has no content reachable through menus`);
    const services = this.config.services;
    const operators = this.config.operators.length > 0 ? this.config.operators.map((o) => o.id) : ['safaricom', 'airtel', 'telkom'];
    const langs = flow.languages.length > 0 ? flow.languages : ['en'];
    const n = p.subscribers;
    const seed = p.seed;
    const log = progress ?? (() => undefined);

    // Hidden truth per subscriber, regenerated identically on every run.
    const joinAt = new Float64Array(n);
    const joinDay = new Int32Array(n);
    const deathDay = new Int32Array(n);
    const pAct = new Float32Array(n);
    const stuckP = new Float32Array(n);
    const ivr = new Uint8Array(n);
    const crop = new Uint8Array(n);
    const service = new Int8Array(n).fill(-1);
    const balance = new Float32Array(n);
    const cancel = new Float32Array(n);
    const lastSeen = new Float64Array(n);
    const subscribeAt = new Float64Array(n);
    const region = new Uint8Array(n);
    const female = new Uint8Array(n);
    const young = new Uint8Array(n);
    const profiles: string[] = fresh ? new Array<string>(n) : [];
    const T = TRUTH;
    for (let i = 0; i < n; i++) {
      const r = rng(seed, i, 0, SALT.latent);
      const jd = Math.min(p.joinDays - 1, Math.floor(r.next() * p.joinDays));
      joinDay[i] = jd;
      joinAt[i] = p.startAt + jd * DAY + 6 * HOUR + Math.floor(r.next() * 14 * HOUR);
      const theta = r.beta(T.bgbb.g, T.bgbb.d);
      deathDay[i] = jd + (theta >= 1 ? 0 : Math.floor(Math.log(1 - r.next()) / Math.log(1 - theta)));
      pAct[i] = r.beta(T.bgbb.a, T.bgbb.b);
      stuckP[i] = r.chance(T.strugglerShare) ? r.beta(4, 2) : r.beta(1, 12);
      ivr[i] = r.chance(T.ivrShare) ? 1 : 0;
      crop[i] = CROPS.indexOf(r.weighted(CROPS, CROP_WEIGHTS));
      subscribeAt[i] = joinAt[i]! + 60_000;
      const now = r.chance(T.subscribeRate);
      const later = !now && r.chance(T.laterSubscribeRate);
      if (later) subscribeAt[i]! += (1 + Math.floor(-Math.log(1 - r.next()) * T.laterSubscribeMeanDays)) * DAY + Math.floor(r.next() * 6 * HOUR);
      if (services.length > 0 && (now || later)) {
        const si = services.length === 1 ? 0 : r.int(services.length);
        service[i] = si;
        const period = services[si]!.period as Period;
        balance[i] = r.chance(T.brokeShare) ? r.beta(T.broke.a, T.broke.b) : r.beta(T.balance.a, T.balance.b);
        cancel[i] = r.beta(T.sbg[period].a, T.sbg[period].b);
      }
      lastSeen[i] = joinAt[i]!;
      // Who they are: drawn from a stream of their own, so appended days see the same people.
      const rp = rng(seed, i, 2, SALT.latent);
      region[i] = REGIONS.indexOf(rp.weighted(REGIONS, REGION_WEIGHTS));
      const prof = drawProfile(rp, REGIONS[region[i]!]!, CROPS[crop[i]!]!);
      female[i] = prof.gender === 'female' ? 1 : 0;
      young[i] = isYoung(prof.birthYear) ? 1 : 0;
      // Region keeps its own column (as language does); the rest is the typed profile JSON.
      if (fresh) profiles[i] = JSON.stringify({ ...prof, region: undefined });
    }

    const repo = new SubscriptionRepo(this.db);
    const subId = (i: number) => `sub_g${(i + 1).toString(36)}`;

    const savedSync = store.synchronous();
    store.setSynchronous('OFF');
    // With the CRM acting every day the indexes stay: its passes and the subscription fold read through them.
    const dropped: { name: string; sql: string }[] = fresh && !crm ? store.dropBulkIndexes() : [];

    const summary: GenerateSummary = { subscribers: n, fromDay, toDay, startAt: new Date(p.startAt + fromDay * DAY).toISOString(), endAt: new Date(p.startAt + toDay * DAY).toISOString(), events: 0, sessions: 0, stuckSessions: 0, subscriptions: 0, billingEvents: 0, ms: 0 };
    try {
      if (fresh) {
        store.transaction(() => {
          for (let i = 0; i < n; i++) {
            const r = rng(seed, i, 1, SALT.latent);
            const optedOut = r.chance(0.02);
            const at = joinAt[i]!;
            store.insertSubscriber([i + 1, `+2547${String(10_000_000 + i).padStart(8, '0')}`, r.pick(langs), REGIONS[region[i]!]!, CROPS[crop[i]!]!, r.pick(operators), profiles[i]!, optedOut ? 1 : 0, optedOut ? at : null, at, at, at]);
          }
        });
        log(`generate: ${n} subscribers`);
      }
      const b = this.config.billing;
      const sim = new BillingSim(n, seed, { graceMs: b.graceDays * DAY, suspendMs: b.suspendDays * DAY });
      const routesByCrop = CROPS.map((cr) => routes.filter((r) => r.crop === cr));
      const marketRoutes = routes.filter((r) => topicOf(r) === 'market');
      summary.plantedContent = plantedShares(routes);
      // The world where a persuaded save did not happen, for the true effect on renewals.
      const shadow = crm ? new BillingSim(n, seed, { graceMs: b.graceDays * DAY, suspendMs: b.suspendDays * DAY }) : null;
      const treat = crm && fresh ? new TreatmentSim(this.db, seed, (at) => Math.floor((at - p.startAt) / DAY), moveShares) : null;
      const crmStats = { passes: 0, passMs: 0, delivered: 0, failed: 0, moved: 0 };
      // Onboarding's planted effect (none when the run plants no effect for the welcome).
      const onb = treat ? new OnboardingSim(seed, (at) => Math.floor((at - p.startAt) / DAY), moveShares?.welcome === 0 ? { firstGo: 0, retain: 0 } : undefined) : null;
      const paying = (i: number) => service[i]! >= 0;
      let lastPassAt = -Infinity;
      const siblingsOf = new Map<string, Route[]>();
      for (const r of routes) {
        const parent = r.menus[r.menus.length - 1]!;
        siblingsOf.set(parent, [...(siblingsOf.get(parent) ?? []), r]);
      }
      const smsRoutes = flow.entry.sms.map((e) => e.node);
      const touchedSubs = new Set<number>();
      const dayNotes: BillingNote[] = [];
      let lastBillingId = store.maxBillingEventId();
      // A fresh population keeps its billing events in memory for the fold; an append reads them back.
      const lists = fresh ? new EventLists(n) : null;
      /** Subscription `i`'s row: the subscriptions domain's own fold over its events as of `asOf`. */
      const fold = (i: number, asOf: number) => {
        const svc = services[service[i]!]!;
        const policy = lifecyclePolicy(svc.period, { graceDays: this.config.billing.graceDays, suspendDays: this.config.billing.suspendDays, missedRenewalHours: this.config.billing.missedRenewalHours });
        if (lists) {
          // Generated events never make an impossible move, so there are no flags to carry over.
          repo.save(subId(i), foldSubscription(lists.events(i), policy, asOf), new Map(), asOf, asOf);
        } else {
          const rows = repo.events(subId(i));
          repo.save(subId(i), foldSubscription(rows.map(toFoldEvent), policy, asOf), new Map(rows.map((r) => [r.id, r.flag])), asOf, asOf);
        }
      };
      const stateJson = (node: string, lang: string) => `{"engine":{"phase":"ended","node":"${node}","stack":[],"page":0,"invalid":0,"lang":"${lang}","visits":{}},"consumed":0,"noInput":0}`;

      for (let day = 0; day < toDay; day++) {
        const emit = day >= fromDay;
        const dayStart = p.startAt + day * DAY;
        const dayEnd = dayStart + DAY;
        const plans: SessionPlan[] = [];
        const singles: EventRow[] = [];
        const notes: { at: number; row: EventRow; sub: number; type: string; lifecycle: boolean }[] = [];
        // What the interventions moved subscribers to do today (planted actions).
        const planted = treat
          ? treat.startDay(day, dayStart, dayEnd, {
              sim,
              shadow: shadow!,
              period: (i) => (service[i]! >= 0 ? (services[service[i]!]!.period as Period) : null),
              subscribeAt,
              balance,
              cancel,
              charge: (i, note) => {
                const svc = services[service[i]!]!;
                notes.push({ at: note.at, row: billingUsage(note, i + 1, subId(i), svc.id, svc.price, svc.currency), sub: i, type: note.type, lifecycle: false });
              },
            })
          : null;
        // New subscribers the welcome moved to come back in their fourth week.
        if (onb && emit) {
          for (const i of onb.retentionVisits(day)) {
            const r = rng(seed, i, day, SALT.planted + 1);
            const { route } = chooseRoute(r, routes, routesByCrop[crop[i]!]!, marketRoutes, female[i] === 1, false);
            const plan = synthSession(r, { sub: i + 1, channel: ivr[i] ? 'ivr' : 'ussd', flowId: flow.id, id: `ses_g${(i + 1).toString(36)}_${day.toString(36)}_w`, start: dayStart + 8 * HOUR + Math.floor(r.next() * 10 * HOUR), route, siblings: [], stuck: false, firstTime: false, clean: true });
            plans.push(plan);
            lastSeen[i] = Math.max(lastSeen[i]!, plan.end);
          }
        }
        for (let i = 0; i < n; i++) {
          const si = service[i]!;
          const tracked = treat !== null && treat.has(i);
          if (si >= 0 && sim.busy(i, subscribeAt[i]!, dayEnd)) {
            const svc = services[si]!;
            dayNotes.length = 0;
            sim.day(i, subscribeAt[i]!, svc.period as Period, balance[i]!, cancel[i]!, dayStart, dayEnd, dayNotes);
            if (emit) {
              for (const note of dayNotes) notes.push({ at: note.at, row: billingUsage(note, i + 1, subId(i), svc.id, svc.price, svc.currency), sub: i, type: note.type, lifecycle: note.lifecycle !== undefined });
            }
            if (tracked) for (const note of dayNotes) if (isCharge(note)) treat.observe(i, note.at, 'renewed');
          }
          const acts = planted?.get(i);
          if (acts) {
            const r = rng(seed, i, day, SALT.planted);
            acts.forEach((a, k) => {
              const { route } = chooseRoute(r, routes, routesByCrop[crop[i]!]!, marketRoutes, female[i] === 1, false);
              const plan = synthSession(r, { sub: i + 1, channel: ivr[i] ? 'ivr' : 'ussd', flowId: flow.id, id: `ses_g${(i + 1).toString(36)}_${day.toString(36)}_p${k}`, start: a.at, route, siblings: [], stuck: false, firstTime: false });
              plans.push(plan);
              lastSeen[i] = Math.max(lastSeen[i]!, plan.end);
              // Another intervention's visit can be a new subscriber's first after the welcome: the same in both worlds.
              if (onb?.nextVisit(i, plan.start).first) onb.firstVisit(i, foundFirstGo(plan), foundFirstGo(plan));
              treat!.observe(i, plan.start, 'returned', a.track);
              const content = plan.events.find((e) => e[3] === 'content');
              if (content) treat!.observe(i, content[0], 'reachedContent', a.track);
            });
          }
          if (!emit) continue;
          const jd = joinDay[i]!;
          if (day < jd || day > deathDay[i]!) continue;
          if (day > jd && u01(seed, i, day, SALT.active) >= pAct[i]!) continue;
          const r = rng(seed, i, day, SALT.day);
          if (r.chance(0.05) && smsRoutes.length > 0) {
            const at = dayStart + 6 * HOUR + Math.floor(r.next() * 14 * HOUR);
            const node = r.pick(smsRoutes);
            singles.push([at, i + 1, 'sms', 'sms_in', null, null, null, '{"text":"MAIZE","to":"20123"}']);
            singles.push([at, i + 1, 'sms', 'content', null, flow.id, node, '{"via":"keyword"}']);
            singles.push([at + 1000, i + 1, 'sms', 'sms_out', null, null, null, '{"source":"mo_reply"}']);
            lastSeen[i] = Math.max(lastSeen[i]!, at);
            if (onb) {
              onb.active(i, day);
              // Advice by SMS keyword is found at once: a first-go visit in both worlds.
              if (onb.nextVisit(i, at).first) onb.firstVisit(i, true, true);
            }
            if (tracked) {
              treat.observe(i, at, 'returned');
              treat.observe(i, at, 'reachedContent');
            }
            continue;
          }
          const count = day === jd ? 1 : r.chance(0.1) ? 2 : 1;
          const cropRoutes = routesByCrop[crop[i]!]!;
          onb?.active(i, day);
          const firstOfDay = plans.length;
          for (let k = 0; k < count; k++) {
            const start = day === jd && k === 0 ? joinAt[i]! : dayStart + 6 * HOUR + Math.floor(r.next() * 14 * HOUR);
            const { route, dropOut } = chooseRoute(r, routes, cropRoutes, marketRoutes, female[i] === 1, young[i] === 1);
            const plan = synthSession(r, {
              sub: i + 1,
              channel: ivr[i] ? 'ivr' : 'ussd',
              flowId: flow.id,
              id: `ses_g${(i + 1).toString(36)}_${day.toString(36)}_${k}`,
              start,
              route,
              siblings: siblingsOf.get(route.menus[route.menus.length - 1]!) ?? [],
              stuck: r.chance(stuckP[i]!),
              firstTime: day === jd && k === 0,
              dropOut,
            });
            if (tracked) {
              treat.observe(i, plan.start, 'returned');
              const content = plan.events.find((e) => e[3] === 'content');
              if (content) treat.observe(i, content[0], 'reachedContent');
            }
            plans.push(plan);
            if (plan.stuck) summary.stuckSessions++;
            lastSeen[i] = Math.max(lastSeen[i]!, plan.end);
          }
          if (onb) {
            // The day's earliest session may be their first visit after the welcome: the welcome makes it a clean one for the moved.
            let e = firstOfDay;
            for (let k = firstOfDay + 1; k < plans.length; k++) if (plans[k]!.start < plans[e]!.start) e = k;
            const v = onb.nextVisit(i, plans[e]!.start);
            if (v.first) {
              const natural = plans[e]!;
              const y0 = foundFirstGo(natural);
              if (v.moved && !y0) {
                const rm = rng(seed, i, day, SALT.planted + 2);
                const { route } = chooseRoute(rm, routes, cropRoutes, marketRoutes, female[i] === 1, false);
                const clean = synthSession(rm, { sub: i + 1, channel: ivr[i] ? 'ivr' : 'ussd', flowId: flow.id, id: natural.id, start: natural.start, route, siblings: [], stuck: false, firstTime: false, clean: true });
                if (natural.stuck) summary.stuckSessions--;
                plans[e] = clean;
                lastSeen[i] = Math.max(lastSeen[i]!, clean.end);
              }
              onb.firstVisit(i, y0, v.moved || y0);
            }
          }
        }
        if (!emit) continue;
        // The log is in arrival order: sessions by their start, the rest by time.
        const items: { at: number; rows: EventRow[] }[] = plans.map((pl) => ({ at: pl.start, rows: pl.events }));
        for (const s of singles) items.push({ at: s[0], rows: [s] });
        for (const nt of notes) items.push({ at: nt.at, rows: [nt.row] });
        items.sort((a, b2) => a.at - b2.at);
        store.transaction(() => {
          for (const it of items) for (const e of it.rows) store.events.add(e);
          store.events.flush();
          for (const pl of plans) {
            const sub = pl.events[0]![1];
            store.sessions.add([pl.id, pl.events[0]![2], `gen:${pl.id}`, sub, flow.id, flow.entry.ussd[0] ?? null, stateJson(pl.endNode, flow.defaultLanguage), 'ended', pl.reason, pl.hops, pl.start, pl.end, pl.end]);
          }
          store.sessions.flush();
          for (const nt of notes) {
            const i = nt.sub;
            const svc = services[service[i]!]!;
            if (!touchedSubs.has(i) && store.insertSubscription(subId(i), i + 1, svc.id, svc.currency, nt.at)) summary.subscriptions++;
            touchedSubs.add(i);
            if (nt.lifecycle) continue;
            const charged = nt.type === 'subscribed' || nt.type === 'renewed';
            // One writer appends to billing_events, so its ids are known without reading them back.
            const eventId = ++lastBillingId;
            const amountMinor = charged ? Math.round(svc.price * 100) : null;
            store.billing.add([eventId, subId(i), 'generic', `gen:${subId(i)}:${nt.at}:${nt.type}`, nt.type, nt.at, nt.at, amountMinor, svc.currency, nt.type === 'renewal_failed' ? 'insufficient_balance' : null]);
            lists?.add(i, nt.type as 'renewed', nt.at, eventId, charged ? Math.round(svc.price * 100) : null);
            summary.billingEvents++;
          }
          store.billing.flush();
        });
        summary.events += items.reduce((s, it) => s + it.rows.length, 0);
        summary.sessions += plans.length;
        if (crm && treat) {
          // The CRM sees the day as a live gateway would: subscriptions as of the day's end, then one pass.
          const today = new Set(notes.map((nt) => nt.sub));
          store.transaction(() => {
            for (const i of today) fold(i, dayEnd);
          });
          const t1 = performance.now();
          await crm.runPass(dayEnd);
          crmStats.passMs += performance.now() - t1;
          crmStats.passes++;
          const settled = treat.afterPass(lastPassAt, dayEnd);
          onb!.add(treat.takeWelcomes(), (i) => joinDay[i]!, paying);
          lastPassAt = dayEnd;
          crmStats.delivered += settled.delivered;
          crmStats.failed += settled.failed;
          crmStats.moved += settled.moved;
        }
        if ((day + 1) % 5 === 0 || day === toDay - 1) log(`generate: day ${day + 1}/${toDay}, ${summary.events} events`);
      }

      // Indexes back before the fold reads each subscription's events through them.
      store.restoreIndexes(dropped.splice(0));
      log('generate: indexes rebuilt');
      // Subscription rows: the subscriptions domain's own fold over the events, as of the end.
      const asOf = p.startAt + toDay * DAY;
      // An appended day also moves on subscriptions no notification touched but whose state changes by
      // time (grace ends, retries run out): what the subscriptions lifecycle job does at their deadline.
      if (!fresh) {
        for (const id of repo.dueDeadlines(asOf, n)) {
          const i = parseInt(id.slice('sub_g'.length), 36) - 1;
          if (id.startsWith('sub_g') && i >= 0 && i < n && service[i]! >= 0) touchedSubs.add(i);
        }
      }
      store.transaction(() => {
        for (const i of touchedSubs) fold(i, asOf);
        for (let i = 0; i < n; i++) if (lastSeen[i]! > joinAt[i]!) store.markSeen(i + 1, lastSeen[i]!);
      });
      log(`generate: ${touchedSubs.size} subscriptions folded`);
      if (treat) {
        summary.crm = { ...crmStats, passMs: Math.round(crmStats.passMs), truth: treat.truth(), onboarding: onb!.truth(toDay, paying) };
        // Kept with the population so a bench or a test in another process compares reports against it.
        const truth: GeneratorTruth = { interventions: summary.crm.truth, planted: INTERVENTION_TRUTH, demography: DEMOGRAPHY_TRUTH, plantedContent: summary.plantedContent!, onboarding: summary.crm.onboarding };
        this.state.set(TRUTH_KEY, truth, asOf);
      }
    } finally {
      store.restoreIndexes(dropped);
      store.setSynchronous(savedSync);
    }
    this.state.set(STATE_KEY, { ...p, days: toDay }, p.startAt + toDay * DAY);
    summary.ms = Math.round(performance.now() - t0);
    return summary;
  }
}
