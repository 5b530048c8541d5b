import type { Config } from '../config';
import type { Days } from '../crm/days';
import { uplift, wilson } from '../crm/experiments';
import type { FlowIndex } from '../crm/flow-index';
import { ShortcutRanking, type RankedShortcut } from '../crm/onboarding/shortcut-ranking';
import { rate, type ReportRange } from './range';
import type { InterventionsStore } from './stores/interventions-store';
import type { OnboardingArmSums, OnboardingReportStore } from './stores/onboarding-store';

type Arm = Omit<OnboardingArmSums, 'arm'>;
const KEYS: (keyof Arm)[] = ['n', 'viaSession', 'episodes', 'firstGo', 'closed', 'retained'];
const zero = (): Arm => Object.fromEntries(KEYS.map((k) => [k, 0])) as unknown as Arm;
const r4 = (v: number) => Math.round(v * 10000) / 10000;
const ci = (c: [number, number] | null) => (c ? ([r4(c[0]), r4(c[1])] as [number, number]) : null);

/** A two-arm comparison of one proportion, rounded for the wire. */
function compare(t: { n: number; successes: number }, h: { n: number; successes: number }) {
  const u = uplift(t, h);
  const side = (x: typeof u.treatment) => ({ subscribers: x.n, successes: x.successes, rate: x.rate === null ? null : r4(x.rate), ci95: x.n > 0 ? ci(wilson(x.successes, x.n)) : null });
  return { treatment: side(u.treatment), holdout: side(u.holdout), uplift: u.uplift === null ? null : r4(u.uplift), ci95: ci(u.ci95), significant: u.significant };
}

/** The effect on those the welcome reached: the ITT difference over the delivery rate (only the reached can be moved). */
function onReached(c: ReturnType<typeof compare>, delivery: number | null) {
  if (c.uplift === null || !delivery) return { uplift: null, ci95: null };
  return { uplift: r4(c.uplift / delivery), ci95: c.ci95 ? ([r4(c.ci95[0] / delivery), r4(c.ci95[1] / delivery)] as [number, number]) : null };
}

const shortcutJson = (flows: FlowIndex, lang: string | null) => (s: RankedShortcut) => ({ flowId: s.flowId, nodeId: s.nodeId, shortcut: s.shortcut, topic: flows.topic(s.flowId, s.nodeId, lang), reaches: s.reaches, from: s.from });

/**
 * Onboarding: the new subscribers who joined in the range, onboarded (welcome sent) against held out. The
 * welcome's delivery; first-go discovery of each one's first episode after the welcome decision; retention
 * `retentionDays` after joining, counted only once that window has closed (the rest are pending, never
 * lost); both as intention-to-treat uplift with 95% intervals, beside the rates of those the welcome
 * reached. Then the follow-up to new subscribers stuck early, and the shortcuts the welcome now carries.
 */
export async function onboardingReport(
  stores: { onboarding: OnboardingReportStore; interventions: InterventionsStore },
  flows: FlowIndex,
  days: Days,
  r: ReportRange,
  opts: { config: Pick<Config, 'crm' | 'defaults'>; now: number; limit: number },
): Promise<Record<string, unknown>> {
  const cfg = opts.config.crm.onboarding;
  const t = zero();
  const h = zero();
  let notAssigned = 0;
  for (const row of await stores.onboarding.armSums(r.fromDay, r.toDay)) {
    if (row.arm === null) {
      notAssigned += row.n;
      continue;
    }
    const into = row.arm === 'holdout' ? h : t;
    for (const k of KEYS) into[k] += row[k] ?? 0;
  }
  const joined = t.n + h.n + notAssigned;

  // The welcome's delivery, from the interventions it made in the range (a welcome goes out within days of joining).
  const currency = opts.config.crm.costs.currency;
  const w = { n: 0, sent: 0, delivered: 0, blocked: 0 };
  for (const row of await stores.interventions.armStateSums(r.from, r.to, 'welcome', false, currency)) {
    if (row.arm === 'holdout') continue;
    w.n += row.n;
    w.sent += row.sent;
    w.delivered += row.reached;
    if (row.state === 'blocked') w.blocked += row.n;
  }
  const delivery = w.n > 0 ? w.delivered / w.n : null;
  const firstGo = compare({ n: t.episodes, successes: t.firstGo }, { n: h.episodes, successes: h.firstGo });
  const retention = compare({ n: t.closed, successes: t.retained }, { n: h.closed, successes: h.retained });

  // The follow-up's figures come from the interventions it made, acted on in the range.
  const fu = { t: { n: 0, sent: 0, reached: 0 }, h: { n: 0 }, closedT: { n: 0, content: 0 }, closedH: { n: 0, content: 0 } };
  for (const row of await stores.interventions.armStateSums(r.from, r.to, 'onboarding_followup', false, currency)) {
    if (row.arm === 'holdout') fu.h.n += row.n;
    else {
      fu.t.n += row.n;
      fu.t.sent += row.sent;
      fu.t.reached += row.reached;
    }
  }
  for (const row of await stores.interventions.armStateSums(r.from, r.to, 'onboarding_followup', true, currency)) {
    const into = row.arm === 'holdout' ? fu.closedH : fu.closedT;
    into.n += row.n;
    into.content += row.content;
  }

  const ranking = new ShortcutRanking(await stores.onboarding.contentReaches(days.of(opts.now) - cfg.shortcutWindowDays + 1), flows, { max: cfg.shortcuts, minGroupReaches: cfg.minGroupReaches });
  const lang = opts.config.defaults.language;
  const toJson = shortcutJson(flows, lang);

  return {
    newSubscribers: {
      joined,
      viaSession: t.viaSession + h.viaSession,
      onboarded: t.n,
      heldOut: h.n,
      notAssigned,
      note: 'New: a first session or first subscription ever, welcomed within crm.onboarding.newWithinDays. Not assigned: the welcome was never decided (opted out before it, no SMS channel, or not yet acted on).',
    },
    welcome: {
      onboarded: w.n,
      sent: w.sent,
      delivered: w.delivered,
      blocked: w.blocked,
      deliveryRate: { rate: rate(w.delivered, w.n), ci95: w.n > 0 ? ci(wilson(w.delivered, w.n)) : null },
      note: 'Welcomes decided in the range (by when they were sent), whatever the day their subscriber joined.',
    },
    firstGo: {
      ...firstGo,
      effectOnReached: onReached(firstGo, delivery),
      pending: { onboarded: t.n - t.episodes, heldOut: h.n - h.episodes },
      note: "Each new subscriber's first episode that began after the welcome (or the held-out decision): did it find the content sought at the first go? Subscribers with no such episode yet are pending.",
    },
    retention: {
      days: cfg.retentionDays,
      ...retention,
      effectOnReached: onReached(retention, delivery),
      pending: { onboarded: t.n - t.closed, heldOut: h.n - h.closed },
      note: `Retained: a live subscription ${cfg.retentionDays} days after joining, or a session or content in the last ${cfg.activeWithinDays} days of that window. Counted only once the window has closed; the rest are pending, not lost.`,
    },
    followup: {
      onboarded: fu.t.n,
      heldOut: fu.h.n,
      sent: fu.t.sent,
      delivered: fu.t.reached,
      reachedContent: compare({ n: fu.closedT.n, successes: fu.closedT.content }, { n: fu.closedH.n, successes: fu.closedH.content }),
      pending: { onboarded: fu.t.n - fu.closedT.n, heldOut: fu.h.n - fu.closedH.n },
      note: `New subscribers stuck in one of their first ${cfg.firstSessions} sessions; the follow-up uses the welcome's arm. Reached content within crm.interventions.outcomeDays of it, closed windows only.`,
    },
    shortcuts: {
      windowDays: cfg.shortcutWindowDays,
      base: ranking.for(null, null).map(toJson),
      groups: ranking
        .groups()
        .slice(0, opts.limit)
        .map((g) => ({ region: g.region, crop: g.crop, reaches: g.reaches, shortcuts: g.shortcuts.map(toJson) })),
    },
  };
}
