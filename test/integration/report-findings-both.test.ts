import { beforeAll, expect, it } from 'vitest';
import { Days } from '../../src/crm/days';
import { crmFindings, subscribers } from '../../src/db/schema';
import { findingsReport } from '../../src/reports/findings';
import { parseRange } from '../../src/reports/range';
import { FindingsStore } from '../../src/reports/stores/findings-store';
import { eachBackend } from '../helpers/backends';

// The findings report on both engines: planted findings come back counted per kind by detection time,
// both ends of the range included, those before or after it left out.
const days = new Days('Africa/Nairobi');
const now = Date.parse('2026-12-01T00:00:00Z');
const range = (from: string, to: string) => parseRange({ from, to }, now, days);
const nov = range('2026-11-01', '2026-11-30');

let seq = 0;
const finding = (kind: string, detectedAt: number) => ({
  id: `f${++seq}`, subscriberId: 1, kind, dedupeKey: `k${seq}`, status: 'acted', reason: 'r', detail: { why: kind, n: seq }, detectedAt, notBefore: detectedAt, expiresAt: detectedAt + 86_400_000, closedAt: detectedAt + 1,
});

eachBackend((get) => {
  let store: FindingsStore;
  beforeAll(async () => {
    const b = get();
    store = new FindingsStore(b.database);
    await b.plant(subscribers, [{ id: 1, msisdn: '254700000001', firstSeenAt: 0, updatedAt: 0 }]);
    await b.plant(crmFindings, [
      finding('stuck', nov.from),
      finding('stuck', nov.from + 5 * 86_400_000),
      finding('stuck', nov.to),
      finding('passive', nov.from + 86_400_000),
      finding('churned', nov.to - 1),
      finding('exit_reason', nov.from + 3 * 86_400_000),
      finding('new_subscriber', nov.from + 2 * 86_400_000),
      finding('new_subscriber', nov.from + 4 * 86_400_000),
      finding('first_sessions_stuck', nov.to - 86_400_000),
      finding('stuck', nov.from - 1),
      finding('lapsing', nov.to + 1),
    ]);
  });

  it('counts each kind detected in the range, both ends included', async () => {
    const r = (await findingsReport(store, nov)) as { kinds: Record<string, { subscribers: number }> };
    const counts = Object.fromEntries(Object.entries(r.kinds).map(([k, v]) => [k, v.subscribers]));
    expect(counts).toEqual({ stuck: 3, passive: 1, lapsing: 0, churned: 1, new_subscriber: 2, first_sessions_stuck: 1, exit_reason: 1 });
  });

  it('counts the finding just outside November in the next month', async () => {
    const r = (await findingsReport(store, range('2026-12-01', '2026-12-01'))) as { kinds: Record<string, { subscribers: number }> };
    expect(r.kinds.lapsing!.subscribers).toBe(1);
    expect(r.kinds.stuck!.subscribers).toBe(0);
  });

  it('counts nothing in an empty range', async () => {
    const r = (await findingsReport(store, range('2025-01-01', '2025-01-31'))) as { kinds: Record<string, { subscribers: number }> };
    expect(Object.values(r.kinds).every((k) => k.subscribers === 0)).toBe(true);
  });
});
