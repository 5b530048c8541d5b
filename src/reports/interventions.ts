import type { Days } from '../crm/days';
import { meanDifference, reachedMeanDifference, reachedUplift, uplift, wilson, type ReachedEffect } from '../crm/experiments';
import type { InterventionKind } from '../crm/interventions';
import type { Db } from '../db/client';
import { acceptedPartsSql, callPlacedSql, callStateSql, CALL_STATES, SMS_STATES, stateCounts } from './delivery';
import { pendingOutcomes } from './pending-outcomes';
import { rate, type ReportRange } from './range';

/** Which interventions count: only those whose outcome window has closed (the default), or all. */
export const OUTCOME_WINDOWS = ['closed', 'all'] as const;
export type OutcomeWindows = (typeof OUTCOME_WINDOWS)[number];

/** Per (kind, arm, delivery state): sums over the interventions in it. */
interface Row {
  kind: string;
  arm: string;
  channel: string;
  state: string | null;
  n: number;
  /** Accepted by the SMSC (any part) or placed with the provider. */
  sent: number;
  reached: number;
  content: number;
  renewed: number;
  returned: number;
  contentReached: number;
  renewedReached: number;
  returnedReached: number;
  rev: number;
  rev2: number;
  revReached: number;
  cost: number;
  parts: number;
}

type Sums = Omit<Row, 'kind' | 'arm' | 'channel' | 'state'>;
const SUM_KEYS: (keyof Sums)[] = ['n', 'sent', 'reached', 'content', 'renewed', 'returned', 'contentReached', 'renewedReached', 'returnedReached', 'rev', 'rev2', 'revReached', 'cost', 'parts'];
const zero = (): Sums => Object.fromEntries(SUM_KEYS.map((k) => [k, 0])) as unknown as Sums;

const money = (minor: number) => Math.round(minor) / 100;
const r4 = (v: number) => Math.round(v * 10000) / 10000;

// One row per intervention with its delivery state, read from the outbox or call row it points at
// (never copied: a late receipt or callback shows here at once). Cost: an SMS costs the parts the SMSC
// accepted at the price quoted when it was queued (operators bill on submit, delivered or not); a call
// costs what the provider reported for it when it was answered (the configured price when the provider
// reported none, or in another currency), and nothing otherwise.
const PER_INTERVENTION = `
  SELECT i.kind, i.arm, i.channel, i.parts AS quotedParts, i.cost_minor AS quote,
    i.reached_content_at IS NOT NULL AS content, i.renewed_at IS NOT NULL AS renewed, i.returned_at IS NOT NULL AS returned, i.revenue_minor AS rev,
    CASE WHEN i.arm = 'holdout' THEN NULL
         WHEN i.channel = 'sms' THEN coalesce(m.status, i.status)
         WHEN i.channel = 'call' AND c.id IS NOT NULL THEN ${callStateSql('c')}
         ELSE i.status END AS state,
    CASE WHEN i.channel = 'sms' AND m.id IS NOT NULL THEN ${acceptedPartsSql('m')} ELSE 0 END AS accepted,
    CASE WHEN i.channel = 'call' AND c.id IS NOT NULL THEN ${callPlacedSql('c')} ELSE 0 END AS placed,
    CASE WHEN c.answered_at IS NULL THEN 0
         WHEN c.amount IS NOT NULL AND (c.currency IS NULL OR upper(c.currency) = upper(@currency)) THEN round(c.amount * 100)
         ELSE i.cost_minor END AS callCost
  FROM crm_interventions i
  LEFT JOIN messages m ON i.channel = 'sms' AND m.id = i.message_id
  LEFT JOIN calls c ON i.channel = 'call' AND c.id = i.call_id`;

/**
 * Intervention exposure, outcomes and uplift per intervention kind. Exposure: what became of each
 * treated subscriber's message or call (every delivery state), and the delivery rate with its Wilson
 * interval. Uplift is intention-to-treat: everyone assigned to treatment against the randomized holdout,
 * whether the action reached them or not (the only comparison randomization makes fair); beside it the
 * effect on those reached (ITT over the delivery rate). Revenue and net use ITT; cost counts only what
 * was sent or charged. Interventions still inside their outcome window are listed as pending.
 */
export function interventionsReport(db: Db, days: Days, r: ReportRange, opts: { kind?: InterventionKind | undefined; windows?: OutcomeWindows | undefined; currency: string }): Record<string, unknown> {
  const windows = opts.windows ?? 'closed';
  const where = ['i.at BETWEEN @from AND @to'];
  if (opts.kind) where.push('i.kind = @kind');
  if (windows === 'closed') where.push('i.outcome_closed = 1');
  const rows = db.$client
    .prepare(
      // Materialized so each intervention's state, accepted parts and call cost are computed once.
      `WITH per AS MATERIALIZED (${PER_INTERVENTION} WHERE ${where.join(' AND ')})
       SELECT kind, arm, max(channel) AS channel, state, count(*) AS n,
         sum(accepted > 0 OR placed) AS sent,
         sum(state IN ('delivered', 'answered')) AS reached,
         sum(content) AS content, sum(renewed) AS renewed, sum(returned) AS returned,
         sum(content AND state IN ('delivered', 'answered')) AS contentReached,
         sum(renewed AND state IN ('delivered', 'answered')) AS renewedReached,
         sum(returned AND state IN ('delivered', 'answered')) AS returnedReached,
         sum(rev) AS rev, sum(rev * rev) AS rev2, sum(CASE WHEN state IN ('delivered', 'answered') THEN rev ELSE 0 END) AS revReached,
         sum(CASE WHEN channel = 'sms' AND quotedParts > 0 THEN 1.0 * quote * min(accepted, quotedParts) / quotedParts WHEN channel = 'call' THEN callCost ELSE 0 END) AS cost,
         sum(accepted) AS parts
       FROM per GROUP BY kind, arm, state`,
    )
    .all({ from: r.from, to: r.to, currency: opts.currency, ...(opts.kind ? { kind: opts.kind } : {}) }) as Row[];

  const kinds = new Map<string, { channel: string; t: Sums; h: Sums; states: { state: string | null; n: number }[] }>();
  for (const row of rows) {
    const k = kinds.get(row.kind) ?? { channel: 'none', t: zero(), h: zero(), states: [] };
    const into = row.arm === 'holdout' ? k.h : k.t;
    for (const key of SUM_KEYS) into[key] += row[key] ?? 0;
    if (row.arm !== 'holdout') {
      k.states.push({ state: row.state, n: row.n });
      if (row.channel !== 'none') k.channel = row.channel;
    }
    kinds.set(row.kind, k);
  }
  const pending = pendingOutcomes(db, days, r, opts.kind);
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
  const delivery = k.channel === 'call' ? stateCounts(CALL_STATES, k.states) : stateCounts(SMS_STATES, k.states);
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
