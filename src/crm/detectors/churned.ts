import type { DetectorContext, FindingDraft, SubscriptionRow } from './types';

/**
 * Churned: a subscription cancelled or expired, of someone who had used the service, eligible for one
 * win-back within `winbackDays` of leaving. The key is the exit itself, so each exit gets one win-back.
 */
export function detectChurned(ctx: DetectorContext, rows: readonly SubscriptionRow[]): FindingDraft[] {
  const cfg = ctx.config.crm.churned;
  const out: FindingDraft[] = [];
  for (const row of rows) {
    if (row.state !== 'cancelled' && row.state !== 'expired') continue;
    const left = row.stateEnteredAt ?? 0;
    if (left < ctx.now - cfg.winbackDays * 86_400_000) continue;
    const sub = row.subscriberId;
    if (ctx.store.loaded(sub) ? ctx.store.content[sub]! < cfg.minContentSessions : cfg.minContentSessions > 0) continue;
    out.push({
      subscriberId: sub,
      kind: 'churned',
      reason: row.state,
      serviceId: row.serviceId,
      dedupeKey: `churned:${sub}:${row.serviceId}:${left}`,
      detail: { subscriptionId: row.id, leftAt: new Date(left).toISOString(), renewals: row.renewals, contentSessions: ctx.store.content[sub] ?? 0 },
    });
  }
  return out;
}
