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
    const attempts = ctx.store.charges.get(sub).filter((c) => c[1] === row.service_id && c[0] >= windowStart && c[0] <= ctx.now);
    if (attempts.length >= cfg.minChargeAttempts) {
      const rate = attempts.filter((c) => c[2] !== 0).length / attempts.length;
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
 * threshold since the last check. The crossing day is precomputed per activity history (crm_lapse_days),
 * so this reads an index range and the subscribers with those histories, not the base.
 */
export function detectLapsingUsage(db: Db, scoring: Scoring, fromDay: number, toDay: number, today: number): FindingDraft[] {
  const rows = db.$client
    .prepare(
      `SELECT c.subscriber_id, l.first_day, l.last_day, l.active_days, l.lapse_day FROM crm_lapse_days l
       JOIN crm_subscribers c ON c.first_day = l.first_day AND c.active_days = l.active_days AND c.last_day = l.last_day
       WHERE l.lapse_day > ? AND l.lapse_day <= ?`,
    )
    .raw()
    .all(fromDay, toDay) as [number, number, number, number, number][];
  const out: FindingDraft[] = [];
  for (const [sub, first, last, active, lapseDay] of rows) {
    const p = scoring.pAlive(first, last, active, today);
    out.push({
      subscriberId: sub,
      kind: 'lapsing',
      reason: 'usage_fading',
      serviceId: null,
      dedupeKey: `lapsing:${sub}:usage:${lapseDay}`,
      detail: { pAlive: p === null ? null : Math.round(p * 1000) / 1000, activeDays: active, lastActiveDay: last, lapseDay },
    });
  }
  return out;
}

/** The rows of the subscriptions with billing events in this pass (read 256 at a time). */
export function touchedSubscriptions(ctx: DetectorContext): SubscriptionRow[] {
  const ids = [...ctx.delta.subscriptions];
  const out: SubscriptionRow[] = [];
  const BATCH = 256;
  const full = ctx.db.$client.prepare(`SELECT ${SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id IN (${new Array(BATCH).fill('?').join(', ')})`);
  for (let i = 0; i < ids.length; i += BATCH) {
    const chunk = ids.slice(i, i + BATCH);
    const stmt = chunk.length === BATCH ? full : ctx.db.$client.prepare(`SELECT ${SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id IN (${chunk.map(() => '?').join(', ')})`);
    out.push(...(stmt.all(...chunk) as SubscriptionRow[]));
  }
  return out;
}
