import type { Database } from '../../db/database';
import type { Scoring } from '../scoring';
import { DetectorStore } from './detector-store';
import type { DetectorContext, FindingDraft, SubscriptionRow } from './types';

/**
 * Lapsing, from billing: a subscription in grace or suspension, renewals failing in a row, or charge
 * success in the window falling below the threshold. Read from the subscriptions the pass saw billing
 * events for (their state is the subscriptions domain's fold, the source of truth).
 */
export function detectLapsingBilling(ctx: DetectorContext, rows: readonly SubscriptionRow[]): FindingDraft[] {
  const cfg = ctx.config.crm.lapsing;
  const out: FindingDraft[] = [];
  for (const row of rows) {
    const sub = row.subscriberId;
    const base = { subscriberId: sub, kind: 'lapsing' as const, serviceId: row.serviceId };
    const detail = { subscriptionId: row.id, state: row.state, consecutiveFailures: row.consecutiveFailures, renewals: row.renewals };
    if (cfg.states.includes(row.state)) {
      out.push({ ...base, reason: `state_${row.state}`, dedupeKey: `lapsing:${sub}:${row.serviceId}:${row.state}:${row.stateEnteredAt ?? 0}`, detail });
      continue;
    }
    if (row.state !== 'active') continue;
    if (row.consecutiveFailures >= cfg.consecutiveFailures) {
      out.push({ ...base, reason: 'renewal_failed', dedupeKey: `lapsing:${sub}:${row.serviceId}:failed:${row.lastChargedAt ?? 0}:${row.consecutiveFailures}`, detail });
      continue;
    }
    const windowStart = ctx.now - cfg.chargeWindowDays * 86_400_000;
    const attempts = ctx.store.charges.get(sub).filter((c) => c[1] === row.serviceId && c[0] >= windowStart && c[0] <= ctx.now);
    if (attempts.length >= cfg.minChargeAttempts) {
      const rate = attempts.filter((c) => c[2] !== 0).length / attempts.length;
      if (rate < cfg.chargeSuccessBelow) {
        out.push({
          ...base,
          reason: 'charge_success_falling',
          dedupeKey: `lapsing:${sub}:${row.serviceId}:charges:${ctx.days.of(ctx.now)}`,
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
export async function detectLapsingUsage(database: Database, scoring: Scoring, fromDay: number, toDay: number, today: number): Promise<FindingDraft[]> {
  const rows = await DetectorStore.of(database).lapseCrossings(fromDay, toDay);
  await scoring.ready();
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
export function touchedSubscriptions(ctx: DetectorContext): Promise<SubscriptionRow[]> {
  return DetectorStore.of(ctx.database).subscriptions([...ctx.delta.subscriptions]);
}
