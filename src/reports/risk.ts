import type { Days } from '../crm/days';
import { RISK_SUMMARY_KEYS } from '../crm/snapshot';
import { keysDeepInOrder } from '../db/portable';
import { iso } from '../lib/clock';
import type { RiskStore } from './stores/risk-store';
import type { SnapshotStore } from './stores/snapshot-store';

const r3 = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 1000);

/** The two risks, each with its own ranking and its own remedy. */
export const RISK_KINDS = {
  lapse: 'billing: the subscription ends because renewals fail (sBG renewal probability, failing charges, grace or suspension)',
  disengagement: 'usage: the subscriber stops using the service (BG/BB probability of still being an active user)',
} as const;

/** The states the risk rankings hold (live subscriptions); `state` picks one. */
export const LIVE_STATES = ['active', 'grace', 'suspended'] as const;
export type LiveState = (typeof LIVE_STATES)[number];

/**
 * The risk report: separate `lapse` and `disengagement` rankings of live subscriptions, each by its own
 * value at risk (its risk times the subscription's residual value), with the evidence of both risks on
 * every item, as of the last scoring.
 */
export async function riskReport(stores: { risk: RiskStore; snapshots: SnapshotStore }, days: Days, service: string | undefined, state: LiveState | undefined, limit: number): Promise<Record<string, unknown>> {
  const ranking = async (kind: keyof typeof RISK_KINDS) =>
    (await stores.risk.ranking(kind, service || null, state || null, limit)).map((r, i) => ({
      rank: i + 1,
      msisdn: r.msisdn,
      region: r.region,
      crop: r.crop,
      serviceId: r.serviceId,
      risk: r3(r.risk),
      valueAtRisk: r3(r.valueAtRisk),
      residualValue: r3(r.residualValue),
      residualPeriods: r3(r.residualPeriods),
      evidence: {
        state: r.state,
        renewProbability: r3(r.renewProbability),
        renewals: r.renewals,
        consecutiveFailures: r.consecutiveFailures,
        recentFailedCharges: r.recentFailedCharges,
        pAlive: r3(r.pAlive),
        neverActive: r.lastActiveDay === null,
        lastActiveDay: r.lastActiveDay === null ? null : days.iso(r.lastActiveDay),
        activeDays: r.activeDays,
      },
    }));
  const lapse = await ranking('lapse');
  const disengagement = await ranking('disengagement');
  const summary = (await stores.snapshots.latest('risk'))?.data as { byState?: Record<string, unknown> } | undefined;
  return {
    computedAt: iso(await stores.risk.computedAt()),
    kinds: RISK_KINDS,
    // As the snapshot wrote it, the states in their lifecycle order (the console lists them so), not in jsonb's order.
    summary: summary ? keysDeepInOrder(summary, RISK_SUMMARY_KEYS) : null,
    lapse,
    disengagement,
  };
}
