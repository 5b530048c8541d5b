import type { Db } from '../../db/client';
import type { Scoring } from '../scoring';
import { SUBSCRIPTION_COLUMNS, type DetectorContext, type FindingDraft, type SubscriptionRow } from './types';

/**
 * Lapsing, from billing: a subscription in grace or suspension, renewals failing in a row, or charge
 * success in the window falling below the threshold. Read from the subscriptions the pass saw billing
 * events for (their state is the subscriptions domain's fold, the source of truth).
 */
export function detectLapsingBilling(ctx: DetectorContext, rows: readonly SubscriptionRow[]): FindingDraft[] {
  const cfg = ctx.config.crm.lapsing;
  const out: FindingDraft[] = [];
  for (const row of rows) {
    const sub = row.subscriber_id;
    const base = { subscriberId: sub, kind: 'lapsing' as const, serviceId: row.service_id };
    const detail = { subscriptionId: row.id, state: row.state, consecutiveFailures: row.consecutive_failures, renewals: row.renewals };
    if (cfg.states.includes(row.state)) {
      out.push({ ...base, reason: `state_${row.state}`, dedupeKey: `lapsing:${sub}:${row.service_id}:${row.state}:${row.state_entered_at ?? 0}`, detail });
      continue;
    }
    if (row.state !== 'active') continue;
    if (row.consecutive_failures >= cfg.consecutiveFailures) {
      out.push({ ...base, reason: 'renewal_failed', dedupeKey: `lapsing:${sub}:${row.service_id}:failed:${row.last_charged_at ?? 0}:${row.consecutive_failures}`, detail });
      continue;
    }
    const windowStart = ctx.now - cfg.chargeWindowDays * 86_400_000;
    const attempts = (ctx.store.chargesRecent.get(sub) ?? []).filter((c) => c[1] === row.service_id && c[0] >= windowStart && c[0] <= ctx.now);
    if (attempts.length >= cfg.minChargeAttempts) {
      const rate = attempts.filter((c) => c[2] === 1).length / attempts.length;
      if (rate < cfg.chargeSuccessBelow) {
        out.push({
          ...base,
          reason: 'charge_success_falling',
          dedupeKey: `lapsing:${sub}:${row.service_id}:charges:${ctx.days.of(ctx.now)}`,
          detail: { ...detail, chargeAttempts: attempts.length, chargeSuccess: Math.round(rate * 1000) / 1000 },
        });
      }
    }
  }
  return out;
}

/**
 * Lapsing, from usage: regulars whose BG/BB probability of still being an active user crossed below the
 * threshold since the last check. The crossing day is precomputed per subscriber, so this reads an index
 * range, not the base.
 */
export function detectLapsingUsage(db: Db, scoring: Scoring, fromDay: number, toDay: number, today: number, lastDay: (id: number) => { first: number; last: number; active: number } | null): FindingDraft[] {
  const rows = db.$client.prepare('SELECT subscriber_id, first_day, last_day, active_days, lapse_day FROM crm_subscribers WHERE lapse_day > ? AND lapse_day <= ?').raw().all(fromDay, toDay) as [number, number, number, number, number][];
  const out: FindingDraft[] = [];
  for (const [sub, first, last, active, lapseDay] of rows) {
    const cur = lastDay(sub) ?? { first, last, active };
    const p = scoring.pAlive(cur.first, cur.last, cur.active, today);
    out.push({
      subscriberId: sub,
      kind: 'lapsing',
      reason: 'usage_fading',
      serviceId: null,
      dedupeKey: `lapsing:${sub}:usage:${lapseDay}`,
      detail: { pAlive: p === null ? null : Math.round(p * 1000) / 1000, activeDays: cur.active, lastActiveDay: cur.last, lapseDay },
    });
  }
  return out;
}

/** The rows of the subscriptions with billing events in this pass. */
export function touchedSubscriptions(ctx: DetectorContext): SubscriptionRow[] {
  const stmt = ctx.db.$client.prepare(`SELECT ${SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id = ?`);
  const out: SubscriptionRow[] = [];
  for (const id of ctx.delta.subscriptions) {
    const r = stmt.get(id) as SubscriptionRow | undefined;
    if (r) out.push(r);
  }
  return out;
}
