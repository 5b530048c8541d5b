import type { Db } from '../db/client';
import { meanDifference, uplift } from '../crm/experiments';
import { INTERVENTION_KINDS } from '../crm/interventions';
import { badRequest } from '../lib/errors';
import { rate, type ReportRange } from './range';

interface Row {
  kind: string;
  arm: string;
  n: number;
  sent: number;
  blocked: number;
  content: number;
  renewed: number;
  returned: number;
  rev: number;
  rev2: number;
  cost: number;
  parts: number;
  closed: number;
}

const money = (minor: number) => Math.round(minor) / 100;

/**
 * Intervention outcomes and uplift: per intervention kind, the treated group against the randomized
 * holdout (same findings, deliberately not contacted): shares that returned, reached content and renewed
 * within the outcome window, the difference with its 95% confidence interval, revenue per subscriber and
 * its difference, and what the messages cost against the revenue they brought.
 */
export function interventionsReport(db: Db, r: ReportRange, opts: { kind?: string | undefined; windows?: string | undefined; currency: string }): Record<string, unknown> {
  if (opts.kind && !(INTERVENTION_KINDS as readonly string[]).includes(opts.kind)) throw badRequest('INVALID_KIND', `kind must be one of ${INTERVENTION_KINDS.join(', ')}.`);
  const windows = opts.windows ?? 'closed';
  if (windows !== 'closed' && windows !== 'all') throw badRequest('INVALID_WINDOWS', 'windows must be closed (complete outcome windows only) or all.');
  const where = ['at BETWEEN ? AND ?'];
  const args: unknown[] = [r.from, r.to];
  if (opts.kind) {
    where.push('kind = ?');
    args.push(opts.kind);
  }
  if (windows === 'closed') where.push('outcome_closed = 1');
  const rows = db.$client
    .prepare(
      `SELECT kind, arm, count(*) AS n, sum(status = 'queued') AS sent, sum(status = 'blocked') AS blocked,
         sum(reached_content_at IS NOT NULL) AS content, sum(renewed_at IS NOT NULL) AS renewed, sum(returned_at IS NOT NULL) AS returned,
         sum(revenue_minor) AS rev, sum(revenue_minor * revenue_minor) AS rev2, sum(cost_minor) AS cost, sum(parts) AS parts, sum(outcome_closed) AS closed
       FROM crm_interventions WHERE ${where.join(' AND ')} GROUP BY kind, arm`,
    )
    .all(...args) as Row[];
  const pending = (
    db.$client.prepare(`SELECT count(*) AS n FROM crm_interventions WHERE at BETWEEN ? AND ? AND outcome_closed = 0${opts.kind ? ' AND kind = ?' : ''}`).get(...args.slice(0, opts.kind ? 3 : 2)) as { n: number }
  ).n;
  const kinds = new Map<string, { t?: Row; h?: Row }>();
  for (const row of rows) {
    const k = kinds.get(row.kind) ?? {};
    if (row.arm === 'holdout') k.h = row;
    else k.t = row;
    kinds.set(row.kind, k);
  }
  const zero: Row = { kind: '', arm: '', n: 0, sent: 0, blocked: 0, content: 0, renewed: 0, returned: 0, rev: 0, rev2: 0, cost: 0, parts: 0, closed: 0 };
  const fmt = (u: ReturnType<typeof uplift>) => ({
    treatment: rate(u.treatment.successes, u.treatment.n),
    holdout: rate(u.holdout.successes, u.holdout.n),
    uplift: u.uplift === null ? null : Math.round(u.uplift * 10000) / 10000,
    ci95: u.ci95 ? u.ci95.map((v) => Math.round(v * 10000) / 10000) : null,
    significant: u.significant,
  });
  return {
    windows,
    pendingOutcomes: pending,
    currency: opts.currency,
    kinds: [...kinds].map(([kind, { t = zero, h = zero }]) => {
      const rev = meanDifference({ n: t.n, sum: t.rev, sumSq: t.rev2 }, { n: h.n, sum: h.rev, sumSq: h.rev2 });
      const incremental = rev.difference === null ? null : rev.difference * t.n;
      return {
        kind,
        treated: { subscribers: t.n, sent: t.sent, blocked: t.blocked, smsParts: t.parts },
        holdout: { subscribers: h.n },
        outcomes: {
          returned: fmt(uplift({ n: t.n, successes: t.returned }, { n: h.n, successes: h.returned })),
          reachedContent: fmt(uplift({ n: t.n, successes: t.content }, { n: h.n, successes: h.content })),
          renewed: fmt(uplift({ n: t.n, successes: t.renewed }, { n: h.n, successes: h.renewed })),
        },
        revenue: {
          perTreated: t.n ? money(t.rev / t.n) : null,
          perHoldout: h.n ? money(h.rev / h.n) : null,
          differencePerSubscriber: rev.difference === null ? null : money(rev.difference),
          ci95: rev.ci95 ? rev.ci95.map(money) : null,
        },
        cost: money(t.cost),
        incrementalRevenue: incremental === null ? null : money(incremental),
        net: incremental === null ? null : money(incremental - t.cost),
      };
    }),
  };
}
