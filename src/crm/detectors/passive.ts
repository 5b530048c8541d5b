import { PERIOD_DAYS } from '../scoring';
import { DetectorStore } from './detector-store';
import type { DetectorContext, FindingDraft, SubscriptionRow } from './types';

/**
 * Passive renewer: `minRenewals` successful renewals (the first charge of a subscription does not count)
 * within the service's window and no content reached in it. They pay only because renewal is automatic; a nudge shows them what they pay for before they
 * notice the charge and leave (or complain).
 */
export async function detectPassive(ctx: DetectorContext, touched: readonly SubscriptionRow[] = []): Promise<FindingDraft[]> {
  const cfg = ctx.config.crm.passive;
  const services = new Map(ctx.config.services.map((s) => [s.id, s]));
  const store = DetectorStore.of(ctx.database);
  // A renewal in this pass is a billing event of its subscription, so its row is almost always among the
  // rows the pass already read: one lookup per renewer saved. (subscriber, service) is unique.
  const read = new Map<string, SubscriptionRow>();
  for (const r of touched) read.set(`${r.subscriberId}\u0000${r.serviceId}`, r);
  const out: FindingDraft[] = [];
  for (const id of ctx.delta.renewedSubs) {
    const charges = ctx.store.charges.get(id);
    if (charges.length === 0) continue;
    const lastContent = ctx.store.lastContentAt[id]!;
    for (const serviceId of new Set(charges.map((c) => c[1]))) {
      const service = services.get(serviceId);
      if (!service) continue;
      const windowStart = ctx.now - cfg.windowDays[service.period] * 86_400_000;
      const ok = charges.filter((c) => c[1] === serviceId && c[2] === 1 && c[0] >= windowStart && c[0] <= ctx.now);
      if (ok.length < cfg.minRenewals) continue;
      if (!Number.isNaN(lastContent) && lastContent >= windowStart) continue;
      const row = read.get(`${id}\u0000${serviceId}`) ?? (await store.subscription(id, serviceId));
      if (!row || row.state !== 'active') continue;
      const last = ok[ok.length - 1]!;
      out.push({
        subscriberId: id,
        kind: 'passive',
        reason: 'renewing_without_use',
        serviceId,
        dedupeKey: `passive:${id}:${serviceId}:${last[0]}`,
        detail: {
          subscriptionId: row.id,
          renewalsInWindow: ok.length,
          windowDays: cfg.windowDays[service.period],
          paidInWindow: ok.reduce((s, c) => s + c[3], 0) / 100,
          currency: service.currency,
          monthlyRevenue: Math.round(service.price * (30 / PERIOD_DAYS[service.period]) * 100) / 100,
          lastContentAt: Number.isNaN(lastContent) ? null : new Date(lastContent).toISOString(),
        },
      });
    }
  }
  return out;
}
