import { sql } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { Days } from '../../src/crm/days';
import { PackageFitCollector, type LifeTable } from '../../src/crm/package-fit';
import { Scoring } from '../../src/crm/scoring';
import { takeSnapshot } from '../../src/crm/snapshot';
import { computeTiers, TierCollector } from '../../src/crm/tiers';
import { json } from '../../src/db/portable';
import { crmFits, crmLapseDays, crmRiskRankings, crmSnapshots, crmSubscribers, crmTierExits, crmTiers, subscribers, subscriptions } from '../../src/db/schema';
import { silentLogger } from '../../src/lib/logger';
import { eachBackend, type Backend } from '../helpers/backends';

// The models the CRM pass computes after ingest, on both engines, over a planted base larger than one
// page of the scans (5,010 subscribers): the refit and the lapse days, the daily snapshot (paying vs
// using, risk, reach), the value tiers with who left, and the package-fit life tables. Each is asserted
// against what was planted, so both engines give the same figures.
const config = loadConfig({ env: {} });
const days = new Days(config.defaults.timezone);
const NOW = Date.parse('2026-11-20T09:00:00Z');
const DAY = 86_400_000;
const TODAY = days.of(NOW);
const SVC = 'crop-daily';
/** Subscribers 11..5010 pay for the service and never use it. */
const FILLER = Array.from({ length: 5000 }, (_, i) => 11 + i);

type State = (typeof subscriptions.$inferInsert)['state'];
const subscription = (id: string, subscriberId: number, state: State, o: Partial<typeof subscriptions.$inferInsert> = {}) => ({
  id,
  subscriberId,
  serviceId: SVC,
  state,
  currency: 'KES',
  renewals: 1,
  subscribedAt: NOW - 60 * DAY,
  stateEnteredAt: NOW - 60 * DAY,
  lastChargedAt: NOW - DAY,
  evaluatedAt: NOW,
  createdAt: NOW,
  updatedAt: NOW,
  ...o,
});

async function snapshotOf(b: Backend, kind: string): Promise<Record<string, unknown>> {
  const t = crmSnapshots;
  const row = await b.database.get<{ data: unknown }>(sql`SELECT ${t.data} AS "data" FROM ${t} WHERE ${t.kind} = ${kind} AND ${t.day} = ${TODAY}`);
  return json<Record<string, unknown>>(row!.data);
}

async function count(b: Backend, table: typeof crmFits | typeof crmLapseDays | typeof crmTiers, where = sql`1 = 1`): Promise<number> {
  return Number((await b.database.get<{ n: number }>(sql`SELECT count(*) AS "n" FROM ${table} WHERE ${where}`))!.n);
}

eachBackend((get) => {
  let scoring: Scoring;

  beforeAll(async () => {
    const b = get();
    scoring = new Scoring({ database: b.database, config, days, log: silentLogger });
    await b.plant(
      subscribers,
      [...Array.from({ length: 10 }, (_, i) => i + 1), ...FILLER].map((id) => ({
        id,
        msisdn: `+2547200${String(id).padStart(5, '0')}`,
        region: id % 2 ? 'Nakuru' : 'Meru',
        profile: id <= 10 ? { gender: id % 2 ? 'f' : 'm' } : ({} as Record<string, string>),
        firstSeenAt: NOW - 90 * DAY,
        updatedAt: NOW,
      })),
    );
    await b.plant(subscriptions, [
      // Pays and uses; uses without paying lately (charged 20 days ago, the daily service's window is 7).
      subscription('s1', 1, 'active', { renewals: 50 }),
      subscription('s2', 2, 'active', { lastChargedAt: NOW - 20 * DAY }),
      // In grace since ten days, subscribed ten days ago: too young to rank.
      subscription('s3', 3, 'grace', { subscribedAt: NOW - 10 * DAY, stateEnteredAt: NOW - 2 * DAY, lastChargedAt: NOW - 10 * DAY, consecutiveFailures: 1 }),
      // Left after 50 and 30 days.
      subscription('s4', 4, 'cancelled', { stateEnteredAt: NOW - 10 * DAY }),
      subscription('s5', 5, 'expired', { stateEnteredAt: NOW - 30 * DAY }),
      ...FILLER.map((id) => subscription(`f${id}`, id, 'active')),
    ]);
    // Activity: 1 nearly every day, 2 some days, 6 without a subscription.
    await b.plant(crmSubscribers, [
      { subscriberId: 1, firstDay: TODAY - 50, lastDay: TODAY - 1, activeDays: 40, lastContentAt: NOW - DAY, updatedAt: NOW },
      { subscriberId: 2, firstDay: TODAY - 50, lastDay: TODAY - 1, activeDays: 10, lastContentAt: NOW - DAY, updatedAt: NOW },
      { subscriberId: 6, firstDay: TODAY - 45, lastDay: TODAY - 2, activeDays: 5, lastContentAt: NOW - 2 * DAY, updatedAt: NOW },
    ]);
    // The last computation's tiers: 1 was `new` then, 4 (gone since) was growth.
    await b.plant(crmTiers, [
      { subscriberId: 1, tier: 'new', residualValue: 10, tenureDays: 29, since: NOW - 30 * DAY, firstTieredAt: NOW - 30 * DAY, computedAt: NOW - DAY },
      { subscriberId: 4, tier: 'growth', rank: 1, score: 1, residualValue: 80, tenureDays: 49, since: NOW - 20 * DAY, firstTieredAt: NOW - 40 * DAY, computedAt: NOW - DAY },
    ]);
  });

  it('refits BG/BB and sBG per cohort, each cohort on the pooled fit saying why, and rebuilds the lapse days', async () => {
    const b = get();
    const r = await b.units.unit(async (tx) => ({ ...(await scoring.refit(NOW, tx)), histories: await scoring.rebuildLapseDays(tx) }));
    expect(r).toMatchObject({ bgbb: 2, sbg: 3, histories: 3 });
    const f = crmFits;
    const fits = await b.database.all<{ model: string; serviceId: string; cohort: string; params: unknown; quality: unknown; size: number }>(
      sql`SELECT ${f.model} AS "model", ${f.serviceId} AS "serviceId", ${f.cohort} AS "cohort", ${f.params} AS "params", ${f.quality} AS "quality", ${f.size} AS "size" FROM ${f}`,
    );
    // Sorted here: the engines' text collations order '*' and digits differently.
    const byKey = (x: { model: string; cohort: string }) => `${x.model} ${x.cohort}`;
    fits.sort((x, y) => (byKey(x) < byKey(y) ? -1 : 1));
    expect(fits.map((x) => [x.model, x.serviceId, x.cohort, Number(x.size), json<{ usedPooled: boolean }>(x.quality).usedPooled, json<{ reasons: string[] }>(x.quality).reasons])).toEqual([
      // Three activity histories: thin even pooled, and the October cohort shows the pooled curve.
      ['bgbb', '', '*', 3, false, ['too_small']],
      ['bgbb', '', '2026-10', 3, true, ['too_small']],
      // Two lapses in 5,005 subscriptions: too few to estimate a cohort's own churn.
      ['sbg', SVC, '*', 5005, false, ['too_few_events']],
      ['sbg', SVC, '2026-09', 5004, true, ['too_few_events']],
      ['sbg', SVC, '2026-11', 1, true, ['too_young', 'too_small', 'too_few_events']],
    ]);
    for (const x of fits) for (const v of Object.values(json<Record<string, number>>(x.params))) expect(v).toBeGreaterThan(0);
    expect(await count(b, crmLapseDays)).toBe(3);
    // A refit again replaces the fits and the lapse days, it does not add to them.
    await b.units.unit(async (tx) => {
      await scoring.refit(NOW, tx);
      await scoring.rebuildLapseDays(tx);
    });
    expect(await count(b, crmFits)).toBe(5);
    expect(await count(b, crmLapseDays)).toBe(3);
    // The regular active yesterday is far likelier to be still around than one quiet for weeks.
    expect(scoring.pAlive(TODAY - 50, TODAY - 1, 40, TODAY)!).toBeGreaterThan(scoring.pAlive(TODAY - 50, TODAY - 30, 20, TODAY)!);
  });

  it('takes the daily snapshot, ranks the tiers with who left, and saves the package-fit life tables', async () => {
    const b = get();
    const tiers = new TierCollector(days);
    const packageFit = new PackageFitCollector({ config, days }, NOW);
    const snap = await b.units.unit((tx) => takeSnapshot(scoring, { database: b.database, config, days, log: silentLogger }, NOW, (...a) => tiers.add(...a), packageFit, tx));
    expect(snap.subscriptions).toBe(5003);
    const summary = await b.units.unit((tx) => computeTiers({ database: b.database, config, days }, tiers, NOW, tx));
    await b.units.unit((tx) => packageFit.save(b.database, tx));

    const payingUsing = await snapshotOf(b, 'paying_using');
    expect(payingUsing).toMatchObject({
      services: {
        [SVC]: {
          payingUsing: { subscribers: 1, monthlyRevenue: 150 },
          payingNotUsing: { subscribers: 5000, monthlyRevenue: 750_000 },
          notPayingUsing: { subscribers: 1, monthlyRevenue: 0 },
          notPayingNotUsing: { subscribers: 1, monthlyRevenue: 0 },
          windowDays: 7,
          revenueAtStake: 750_000,
        },
      },
      usingWithoutSubscription: { subscribers: 1, windowDays: 30 },
    });
    const risk = await snapshotOf(b, 'risk');
    expect(risk).toMatchObject({ subscriptions: 5003, byState: { active: { subscribers: 5002 }, grace: { subscribers: 1 } } });
    expect((await snapshotOf(b, 'reach')).region).toEqual({ Meru: 2505, Nakuru: 2505 });
    expect(await snapshotOf(b, 'profile_reach')).toEqual({ gender: { f: 5, m: 5, '(not set)': 5000 } });
    // Paying without any activity to judge by, for longer than a usage window: the disengagement ranking.
    const r = crmRiskRankings;
    const ranked = await b.database.all<{ id: number }>(sql`SELECT ${r.subscriberId} AS "id" FROM ${r} WHERE ${r.kind} = 'disengagement' AND (${r.subscriberId} > 10 OR ${r.subscriberId} = 3)`);
    expect(ranked.length).toBe(5001);

    // 5,002 ranked (10% core, rounded up; 30% growth), 3 too young; 4 left.
    expect(summary).toEqual({ subscribers: { core: 501, growth: 1501, base: 3000, new: 1 }, exits: 1, changed: 5003 });
    expect(await snapshotOf(b, 'tiers')).toMatchObject({ subscribers: { core: 501, growth: 1501, base: 3000, new: 1 } });
    expect(await count(b, crmTiers)).toBe(5003);
    const t = crmTiers;
    const one = await b.database.get<{ since: number; first: number; tenure: number }>(sql`SELECT ${t.since} AS "since", ${t.firstTieredAt} AS "first", ${t.tenureDays} AS "tenure" FROM ${t} WHERE ${t.subscriberId} = 1`);
    // A new tier starts now; first tiered stays when they were first tiered; tenure from their subscription.
    expect([Number(one!.since), Number(one!.first), Number(one!.tenure)]).toEqual([NOW, NOW - 30 * DAY, 60]);
    const e = crmTierExits;
    const exits = await b.database.all<{ id: number; tier: string; value: number; leftAt: number }>(
      sql`SELECT ${e.subscriberId} AS "id", ${e.tier} AS "tier", ${e.residualValue} AS "value", ${e.leftAt} AS "leftAt" FROM ${e}`,
    );
    expect(exits.map((x) => [Number(x.id), x.tier, Number(x.value), Number(x.leftAt)])).toEqual([[4, 'growth', 80, NOW - 10 * DAY]]);

    const fit = (await snapshotOf(b, 'package_fit')) as { subscriptions: number; tables: LifeTable[] };
    expect(fit.subscriptions).toBe(5005);
    const tables = fit.tables.map((x) => [x.pattern, x.period, x.subscriptions, x.ended, x.censored]).sort((x, y) => String(x[0]).localeCompare(String(y[0])));
    expect(tables).toEqual([
      ['daily', 'daily', 1, [], [[60, 1]]],
      [
        'lapsed',
        'daily',
        5003,
        [
          [30, 1],
          [50, 1],
        ],
        [
          [10, 1],
          [60, 5000],
        ],
      ],
      ['weekly', 'daily', 1, [], [[60, 1]]],
    ]);
  });

  it('a snapshot written in a unit that fails leaves the previous one in place', async () => {
    const b = get();
    const before = await snapshotOf(b, 'risk');
    await expect(
      b.units.unit(async (tx) => {
        await takeSnapshot(scoring, { database: b.database, config, days, log: silentLogger }, NOW + 1000, undefined, undefined, tx);
        throw new Error('the pass was stopped');
      }),
    ).rejects.toThrow('the pass was stopped');
    expect(await snapshotOf(b, 'risk')).toEqual(before);
    const r = crmRiskRankings;
    expect(Number((await b.database.get<{ at: number }>(sql`SELECT max(${r.computedAt}) AS "at" FROM ${r}`))!.at)).toBe(NOW);
  });
});
