import type { Days } from '../crm/days';
import { PAYING_USING_KEYS } from '../crm/snapshot';
import { keysDeepInOrder, keysInOrder } from '../db/portable';
import type { ReportRange } from './range';
import type { SnapshotStore } from './stores/snapshot-store';

/**
 * Paying versus using, per service: live subscriptions split by whether they were charged and whether
 * they reached content within the service's window, with the monthly revenue of each cell; revenue at
 * stake is what the paying-but-not-using bring in (they are the likeliest to cancel or complain). Read
 * from the daily snapshots: the matrix as of the last snapshot in the range, and the trend over it.
 * Services are listed in `serviceOrder` (the configured order), whatever order the snapshot kept.
 */
export async function payingUsingReport(snapshots: SnapshotStore, days: Days, r: ReportRange, service: string | undefined, serviceOrder: readonly string[] = []): Promise<Record<string, unknown>> {
  const rows = await snapshots.between('paying_using', r.fromDay, r.toDay);
  if (rows.length === 0) return { asOf: null, services: {}, trend: [], note: 'No snapshot in this range yet: snapshots are taken by the first detector pass of each day.' };
  type Snap = { services: Record<string, Record<string, unknown> & { payingNotUsing: { subscribers: number } }>; usingWithoutSubscription: unknown };
  const pick = (s: Snap) => keysInOrder(service ? Object.fromEntries(Object.entries(s.services).filter(([k]) => k === service)) : s.services, serviceOrder);
  const last = rows[rows.length - 1]!.data as unknown as Snap;
  return {
    asOf: days.iso(rows[rows.length - 1]!.day),
    services: keysDeepInOrder(pick(last), PAYING_USING_KEYS),
    usingWithoutSubscription: keysDeepInOrder(last.usingWithoutSubscription, PAYING_USING_KEYS),
    trend: rows.map((row) => {
      const s = row.data as unknown as Snap;
      return {
        day: days.iso(row.day),
        services: Object.fromEntries(
          Object.entries(pick(s)).map(([id, m]) => [id, { payingNotUsing: m.payingNotUsing.subscribers, revenueAtStake: m.revenueAtStake }]),
        ),
      };
    }),
  };
}
