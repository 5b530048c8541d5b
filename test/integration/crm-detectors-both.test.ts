import { sql } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import type { ActivityStore } from '../../src/crm/activity-store';
import { Days } from '../../src/crm/days';
import { detectChurned } from '../../src/crm/detectors/churned';
import { detectLapsingBilling, detectLapsingUsage, touchedSubscriptions } from '../../src/crm/detectors/lapsing';
import { detectPassive } from '../../src/crm/detectors/passive';
import type { DetectorContext, FindingDraft } from '../../src/crm/detectors/types';
import { FindingsRepo } from '../../src/crm/findings-repo';
import type { FlowIndex } from '../../src/crm/flow-index';
import type { IngestResult } from '../../src/crm/ingest';
import { Scoring } from '../../src/crm/scoring';
import { json } from '../../src/db/portable';
import { crmFindings, crmLapseDays, crmSubscribers, subscribers, subscriptions } from '../../src/db/schema';
import { silentLogger } from '../../src/lib/logger';
import { eachBackend, type Backend } from '../helpers/backends';

// The detectors' reads and the findings repository on both engines. A planted base: who cancelled ten
// days ago after using the service (churned), who is in grace or failed a renewal (lapsing), who pays
// renewals without using the service (passive), a regular whose P(alive) crosses the threshold this
// week (lapsing, from usage), and those who must not be flagged (left too long ago, never used the
// service, paying and using). The findings are stored once per situation, even by two processes at once.
const config = loadConfig({ env: {} });
const days = new Days(config.defaults.timezone);
const NOW = Date.parse('2026-11-20T09:00:00Z');
const DAY = 86_400_000;
const TODAY = days.of(NOW);
const TTL = config.crm.interventions.findingTtlDays * DAY;
const SVC = 'crop-daily';
/** Subscribers of healthy subscriptions that also had billing events this pass: more than one batch of reads. */
const FILLER = Array.from({ length: 300 }, (_, i) => 100 + i);

type State = (typeof subscriptions.$inferInsert)['state'];
const subscription = (id: string, subscriberId: number, state: State, o: Partial<typeof subscriptions.$inferInsert> = {}) => ({
  id,
  subscriberId,
  serviceId: SVC,
  state,
  currency: 'KES',
  subscribedAt: NOW - 60 * DAY,
  stateEnteredAt: NOW - 60 * DAY,
  evaluatedAt: NOW,
  createdAt: NOW,
  updatedAt: NOW,
  ...o,
});

/** What the pass's activity store holds for the planted subscribers (the detectors read it in memory). */
const charges = new Map<number, [number, string, number, number][]>([
  // Two renewals paid within the daily service's 7-day window, no content reached: passive.
  [5, [[NOW - 3 * DAY, SVC, 1, 500], [NOW - 2 * DAY, SVC, 1, 500]]],
  // Two of three charges went through: not lapsing.
  [6, [[NOW - 5 * DAY, SVC, 1, 500], [NOW - 4 * DAY, SVC, 0, 0], [NOW - 3 * DAY, SVC, 1, 500]]],
]);
const activity = {
  loaded: (s: number) => s === 1,
  content: { 1: 5 },
  lastContentAt: { 5: NaN },
  charges: { get: (s: number) => charges.get(s) ?? [] },
} as unknown as ActivityStore;

function context(b: Backend): DetectorContext {
  const delta = {
    subscriptions: new Set(['s1', 's2', 's3', 's4', 's6', 's7', ...FILLER.map((id) => `f${id}`)]),
    renewedSubs: new Set([5]),
  } as unknown as IngestResult;
  return { database: b.database, config, store: activity, flows: {} as FlowIndex, days, now: NOW, delta };
}

const view = (d: FindingDraft) => [d.subscriberId, d.kind, d.reason];

eachBackend((get) => {
  let repo: FindingsRepo;
  let drafts: FindingDraft[];
  const ids = new Map<number, string>();

  beforeAll(async () => {
    const b = get();
    repo = new FindingsRepo(b.database);
    const people = [1, 2, 3, 4, 5, 6, 7, ...FILLER, 500, 501];
    await b.plant(
      subscribers,
      people.map((id) => ({ id, msisdn: `+25471000${String(id).padStart(4, '0')}`, firstSeenAt: NOW - 90 * DAY, updatedAt: NOW })),
    );
    await b.plant(subscriptions, [
      subscription('s1', 1, 'cancelled', { stateEnteredAt: NOW - 10 * DAY, renewals: 4 }),
      subscription('s2', 2, 'grace', { stateEnteredAt: NOW - 2 * DAY }),
      subscription('s3', 3, 'active', { consecutiveFailures: 1, lastChargedAt: NOW - DAY }),
      subscription('s4', 4, 'cancelled', { stateEnteredAt: NOW - 40 * DAY }),
      subscription('s5', 5, 'active', { renewals: 2, lastChargedAt: NOW - 2 * DAY }),
      subscription('s6', 6, 'active', { renewals: 3, lastChargedAt: NOW - 3 * DAY }),
      subscription('s7', 7, 'expired', { stateEnteredAt: NOW - 5 * DAY }),
      ...FILLER.map((id) => subscription(`f${id}`, id, 'active', { renewals: 1, lastChargedAt: NOW - DAY })),
    ]);
    // Subscriber 6: a regular (12 active days) quiet since 20 days ago, whose P(alive) crossed the
    // threshold three days ago; subscriber 3's history crossed a month ago (found then, not now).
    await b.plant(crmSubscribers, [
      { subscriberId: 6, firstDay: TODAY - 60, lastDay: TODAY - 20, activeDays: 12, updatedAt: NOW },
      { subscriberId: 3, firstDay: TODAY - 90, lastDay: TODAY - 50, activeDays: 8, updatedAt: NOW },
    ]);
    await b.plant(crmLapseDays, [
      { firstDay: TODAY - 60, activeDays: 12, lastDay: TODAY - 20, lapseDay: TODAY - 3 },
      { firstDay: TODAY - 90, activeDays: 8, lastDay: TODAY - 50, lapseDay: TODAY - 30 },
    ]);
  });

  it('the detectors read what they need and find exactly the planted situations', async () => {
    const b = get();
    const ctx = context(b);
    const rows = await touchedSubscriptions(ctx);
    expect(rows.length).toBe(6 + FILLER.length);
    const scoring = new Scoring({ database: b.database, config, days, log: silentLogger });
    drafts = [...(await detectPassive(ctx, rows)), ...detectLapsingBilling(ctx, rows), ...detectChurned(ctx, rows), ...(await detectLapsingUsage(b.database, scoring, TODAY - 7, TODAY, TODAY))];
    expect(drafts.map(view).sort((x, y) => Number(x[0]) - Number(y[0]))).toEqual([
      [1, 'churned', 'cancelled'],
      [2, 'lapsing', 'state_grace'],
      [3, 'lapsing', 'renewal_failed'],
      [5, 'passive', 'renewing_without_use'],
      [6, 'lapsing', 'usage_fading'],
    ]);
    const passive = drafts.find((d) => d.kind === 'passive')!;
    expect(passive.detail).toMatchObject({ subscriptionId: 's5', renewalsInWindow: 2, paidInWindow: 10, currency: 'KES', lastContentAt: null });
    expect(drafts.find((d) => d.subscriberId === 6)!.detail).toMatchObject({ activeDays: 12, lastActiveDay: TODAY - 20, lapseDay: TODAY - 3 });
  });

  it('stores each finding once: the same situation again, or a second open one of a kind, stores nothing', async () => {
    const b = get();
    await b.units.unit(async (tx) => {
      for (const d of drafts) ids.set(d.subscriberId, (await repo.insertIn(tx, d, NOW, TTL))!);
    });
    expect([...ids.values()].every((id) => typeof id === 'string')).toBe(true);
    const again = await b.units.unit(async (tx) => {
      const out: (string | null)[] = [];
      for (const d of drafts) out.push(await repo.insertIn(tx, d, NOW + DAY, TTL));
      // A new situation of a kind the subscriber already has open waits for that one to close.
      out.push(await repo.insertIn(tx, { ...drafts.find((d) => d.subscriberId === 2)!, reason: 'state_suspended', dedupeKey: 'lapsing:2:other' }, NOW + DAY, TTL));
      return out;
    });
    expect(again.every((id) => id === null)).toBe(true);
    const due = await repo.due(NOW, 100);
    expect(due.map((f) => [f.subscriberId, f.kind, f.reason, f.status]).sort((x, y) => Number(x[0]) - Number(y[0]))).toEqual([
      [1, 'churned', 'cancelled', 'open'],
      [2, 'lapsing', 'state_grace', 'open'],
      [3, 'lapsing', 'renewal_failed', 'open'],
      [5, 'passive', 'renewing_without_use', 'open'],
      [6, 'lapsing', 'usage_fading', 'open'],
    ]);
    expect(due.find((f) => f.subscriberId === 5)!.detail).toMatchObject({ subscriptionId: 's5', paidInWindow: 10 });
    expect(due.every((f) => f.expiresAt === NOW + TTL)).toBe(true);
  });

  it('defers, closes as ineligible with the reason kept in the detail, records what was done, expires the rest', async () => {
    const b = get();
    await b.units.unit(async (tx) => {
      await repo.deferIn(tx, ids.get(1)!, NOW + DAY);
      await repo.ineligibleIn(tx, ids.get(2)!, 'opted_out', NOW);
      await repo.doneIn(tx, ids.get(3)!, 'acted', 'int-3');
    });
    expect((await repo.due(NOW, 100)).map((f) => f.subscriberId).sort((x, y) => x - y)).toEqual([5, 6]);
    expect((await repo.due(NOW + DAY, 100)).map((f) => f.subscriberId).sort((x, y) => x - y)).toEqual([1, 5, 6]);
    const f = crmFindings;
    const stored = await b.database.all<{ subscriberId: number; status: string; detail: unknown; closedAt: number | null; interventionId: string | null }>(
      sql`SELECT ${f.subscriberId} AS "subscriberId", ${f.status} AS "status", ${f.detail} AS "detail", ${f.closedAt} AS "closedAt", ${f.interventionId} AS "interventionId" FROM ${f} WHERE ${f.subscriberId} IN (2, 3) ORDER BY 1`,
    );
    expect(stored.map((r) => ({ ...r, closedAt: r.closedAt === null ? null : Number(r.closedAt), detail: json<Record<string, unknown>>(r.detail) }))).toEqual([
      { subscriberId: 2, status: 'ineligible', closedAt: NOW, interventionId: null, detail: { subscriptionId: 's2', state: 'grace', consecutiveFailures: 0, renewals: 0, ineligible: 'opted_out' } },
      { subscriberId: 3, status: 'acted', closedAt: null, interventionId: 'int-3', detail: { subscriptionId: 's3', state: 'active', consecutiveFailures: 1, renewals: 0 } },
    ]);
    // Past the TTL the open ones (1 deferred, 5, 6) close as expired; acted and ineligible stay as they are.
    expect(await b.units.unit((tx) => repo.expire(NOW + TTL, tx))).toBe(3);
    expect(await repo.due(NOW + TTL, 100)).toEqual([]);
  });

  it('two processes storing the same findings at once store each exactly once', async () => {
    const b = get();
    const other = await b.reopen();
    try {
      // On PostgreSQL the second is another pool (another process); on SQLite units take turns on one writer.
      const otherUnits = b.dialect === 'postgresql' ? (other.database as unknown as Backend['units']) : b.units;
      const otherRepo = b.dialect === 'postgresql' ? new FindingsRepo(other.database) : repo;
      const race: FindingDraft[] = [500, 501].flatMap((sub) =>
        Array.from({ length: 10 }, (_, k) => ({ subscriberId: sub, kind: k % 2 ? ('stuck' as const) : ('churned' as const), reason: 'race', serviceId: null, dedupeKey: `race:${sub}:${k}`, detail: { k } })),
      );
      const store = (units: Backend['units'], r: FindingsRepo) => Promise.all(race.map((d) => units.unit((tx) => r.insertIn(tx, d, NOW, TTL))));
      const [mine, theirs] = await Promise.all([store(b.units, repo), store(otherUnits, otherRepo)]);
      // One open finding per subscriber and kind: of the ten drafts of a subscriber, one stuck and one churned are kept.
      const kept = [...mine, ...theirs].filter((id) => id !== null);
      expect(kept.length).toBe(4);
      const f = crmFindings;
      const rows = await b.database.all<{ n: number }>(sql`SELECT count(*) AS "n" FROM ${f} WHERE ${f.reason} = 'race'`);
      expect(Number(rows[0]!.n)).toBe(4);
    } finally {
      await other.close();
    }
  });
});
