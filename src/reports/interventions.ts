import type { Days } from '../crm/days';
import { meanDifference, reachedMeanDifference, reachedUplift, uplift, wilson, type ReachedEffect } from '../crm/experiments';
import type { InterventionKind } from '../crm/interventions';
import { CALL_STATES, SMS_STATES, stateCounts } from './delivery';
import { pendingOutcomes } from './pending-outcomes';
import { rate, type ReportRange } from './range';
import type { ArmStateSums, InterventionsStore } from './stores/interventions-store';

/** Which interventions count: only those whose outcome window has closed (the default), or all. */
export const OUTCOME_WINDOWS = ['closed', 'all'] as const;
export type OutcomeWindows = (typeof OUTCOME_WINDOWS)[number];

type Sums = Omit<ArmStateSums, 'kind' | 'arm' | 'channel' | 'state'>;
const SUM_KEYS: (keyof Sums)[] = ['n', 'sent', 'reached', 'content', 'renewed', 'returned', 'contentReached', 'renewedReached', 'returnedReached', 'rev', 'rev2', 'revReached', 'cost', 'parts'];
const zero = (): Sums => Object.fromEntries(SUM_KEYS.map((k) => [k, 0])) as unknown as Sums;

const money = (minor: number) => Math.round(minor) / 100;
const r4 = (v: number) => Math.round(v * 10000) / 10000;

/**
 * Intervention exposure, outcomes and uplift per intervention kind. Exposure: what became of each
 * treated subscriber's message or call (every delivery state), and the delivery rate with its Wilson
 * interval. Uplift is intention-to-treat: everyone assigned to treatment against the randomized holdout,
 * whether the action reached them or not (the only comparison randomization makes fair); beside it the
 * effect on those reached (ITT over the delivery rate). Revenue and net use ITT; cost counts only what
 * was sent or charged. Interventions still inside their outcome window are listed as pending.
 */
export async function interventionsReport(
  stores: { interventions: InterventionsStore },
  days: Days,
  r: ReportRange,
  opts: { kind?: InterventionKind | undefined; windows?: OutcomeWindows | undefined; currency: string },
): Promise<Record<string, unknown>> {
  const windows = opts.windows ?? 'closed';
  const rows = await stores.interventions.armStateSums(r.from, r.to, opts.kind || null, windows === 'closed', opts.currency);

  const kinds = new Map<string, { channel: string; t: Sums; h: Sums; states: { state: string | null; n: number }[] }>();
  for (const row of rows) {
    const k = kinds.get(row.kind) ?? { channel: 'none', t: zero(), h: zero(), states: [] };
    const into = row.arm === 'holdout' ? k.h : k.t;
    for (const key of SUM_KEYS) into[key] += row[key] ?? 0;
    if (row.arm !== 'holdout') {
      k.states.push({ state: row.state, n: row.n });
      // A kind that follows the subscriber's best channel (crm.interventions.bestChannel) goes out both ways.
      if (row.channel !== 'none') k.channel = k.channel !== 'none' && k.channel !== row.channel ? 'mixed' : row.channel;
    }
    kinds.set(row.kind, k);
  }
  const pending = await pendingOutcomes(stores.interventions, days, r, opts.kind);
  return {
    windows,
    pendingOutcomes: pending.reduce((a, p) => a + (p.interventions as number), 0),
    pending,
    currency: opts.currency,
    kinds: [...kinds].sort(([a], [b]) => a.localeCompare(b)).map(([kind, k]) => kindJson(kind, k)),
  };
}

const effectJson = (e: ReachedEffect) => ({ uplift: e.effect === null ? null : r4(e.effect), ci95: e.ci95 ? e.ci95.map(r4) : null, significant: e.significant });

function kindJson(kind: string, k: { channel: string; t: Sums; h: Sums; states: { state: string | null; n: number }[] }): Record<string, unknown> {
  const { t, h } = k;
  const delivery = k.channel === 'call' ? stateCounts(CALL_STATES, k.states) : k.channel === 'mixed' ? stateCounts([...new Set([...SMS_STATES, ...CALL_STATES])], k.states) : stateCounts(SMS_STATES, k.states);
  const outcome = (all: 'returned' | 'content' | 'renewed', reached: 'returnedReached' | 'contentReached' | 'renewedReached') => {
    const u = uplift({ n: t.n, successes: t[all] }, { n: h.n, successes: h[all] });
    return {
      treatment: rate(u.treatment.successes, u.treatment.n),
      holdout: rate(u.holdout.successes, u.holdout.n),
      uplift: u.uplift === null ? null : r4(u.uplift),
      ci95: u.ci95 ? u.ci95.map(r4) : null,
      significant: u.significant,
      effectOnReached: effectJson(reachedUplift({ n: t.n, successes: t[all] }, { n: h.n, successes: h[all] }, t.reached, t[reached])),
    };
  };
  const rev = meanDifference({ n: t.n, sum: t.rev, sumSq: t.rev2 }, { n: h.n, sum: h.rev, sumSq: h.rev2 });
  const revReached = reachedMeanDifference({ n: t.n, sum: t.rev, sumSq: t.rev2 }, { n: h.n, sum: h.rev, sumSq: h.rev2 }, t.reached, t.revReached);
  // Incremental revenue is ITT: the per-subscriber difference times everyone assigned to treatment.
  const incremental = rev.difference === null ? null : rev.difference * t.n;
  return {
    kind,
    channel: k.channel,
    treated: { subscribers: t.n, sent: t.sent, reached: t.reached, blocked: delivery.blocked, smsParts: t.parts },
    holdout: { subscribers: h.n },
    delivery,
    deliveryRate: { rate: rate(t.reached, t.n), ci95: t.n > 0 ? wilson(t.reached, t.n).map(r4) : null },
    outcomes: {
      returned: outcome('returned', 'returnedReached'),
      reachedContent: outcome('content', 'contentReached'),
      renewed: outcome('renewed', 'renewedReached'),
    },
    revenue: {
      perTreated: t.n ? money(t.rev / t.n) : null,
      perHoldout: h.n ? money(h.rev / h.n) : null,
      differencePerSubscriber: rev.difference === null ? null : money(rev.difference),
      ci95: rev.ci95 ? rev.ci95.map(money) : null,
      effectOnReachedPerSubscriber: revReached.effect === null ? null : money(revReached.effect),
      effectOnReachedCi95: revReached.ci95 ? revReached.ci95.map(money) : null,
    },
    cost: money(t.cost),
    incrementalRevenue: incremental === null ? null : money(incremental),
    net: incremental === null ? null : money(incremental - t.cost),
  };
}
