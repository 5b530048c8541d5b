import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config';
import type { FakeSmsc } from '../fakes/smsc';
import type { FakeVoiceProvider } from '../fakes/voice-provider';
import { AUTH, eventually, stopAfterEach, type TestGateway } from '../helpers/gateway';
import { apiGet, billing, crmGateway, voiceGateway } from '../helpers/crm';

let gw: TestGateway | null = null;
let smsc: FakeSmsc | null = null;
let voice: FakeVoiceProvider | null = null;
stopAfterEach(() => [voice, gw, smsc]);

// Two daily services, one ten times the price: with the same renewal odds, its subscribers carry ten
// times the residual value, so they (and only they) are the top decile.
const SERVICES = [
  { id: 'crop-daily', name: 'Crop advice', price: 5, currency: 'KES', period: 'daily', shortCode: '20123', keywords: ['SHAMBA'], operators: {} },
  { id: 'crop-premium', name: 'Crop advice premium', price: 50, currency: 'KES', period: 'daily', shortCode: '20124', keywords: ['SHAMBAPLUS'], operators: {} },
] as unknown as Config['services'];

const PREMIUM = ['+254755000001', '+254755000002'];
const YOUNG = '+254755000099'; // premium too, but too young to rank on the day the tiers are checked
const DAILY = Array.from({ length: 16 }, (_, i) => `+2547560000${String(i + 10)}`);
const price = (m: string) => (PREMIUM.includes(m) || m === YOUNG ? 50 : 5);
const service = (m: string) => (price(m) === 50 ? 'crop-premium' : 'crop-daily');
const charge = (m: string, type: string, at: string) => billing(gw!, m, type, at, { serviceId: service(m), amount: price(m), currency: 'KES' });

type TierRow = { tier: string; subscribers: number; revenue: { amount: number; charges: number }; retention: { atStart: number; left: number; rate: number; ci95: [number, number] } | null; churned: { subscribers: number; lostValue: number }; interventions: { decided: number; treated: number; cost: number } };

async function population(crm: Record<string, unknown> = {}): Promise<{ gw: TestGateway; smsc: FakeSmsc; voice: FakeVoiceProvider }> {
  ({ gw, smsc, voice } = await voiceGateway(
    {
      services: SERVICES,
      // No holdout and no passive nudges: every SMS and call here is the tiers' doing.
      crm: { holdoutPercent: 0, passive: { minRenewals: 50 }, ...crm, tiers: { minTenureDays: 2, ...((crm.tiers as object | undefined) ?? {}) } },
    },
    '2026-11-10T07:00:00Z',
  ));
  for (const m of [...PREMIUM, ...DAILY]) await charge(m, 'subscribed', '2026-11-10T06:00:00Z');
  await gw.core.crm.runPass(); // everyone is new on their first day
  for (const day of ['11', '12']) for (const m of [...PREMIUM, ...DAILY]) await charge(m, 'renewed', `2026-11-${day}T06:00:00Z`);
  await charge(YOUNG, 'subscribed', '2026-11-12T06:00:00Z');
  gw.clock.set('2026-11-12T07:00:00Z');
  await gw.core.crm.runPass(); // tiers of 11-12: two days of tenure, ranked
  return { gw, smsc: smsc!, voice };
}

describe('value tiers', () => {
  it('makes exactly the highest residual values core, shows the tier on profiles and in segments, calls a lapsing core customer and reports revenue and lost value', async () => {
    const { gw, smsc, voice } = await population();

    // Tiers of 11-12: 18 ranked (the young one is new): ceil(10% of 18) = 2 core, ceil(30%) = 6 growth, 10 base.
    const tierOf = async (m: string) => ((await apiGet(gw, `/subscribers/${m}`)).body.crm as { tier: { tier: string; residualValue: number; tenureDays: number } | null }).tier;
    for (const m of PREMIUM) expect(await tierOf(m)).toMatchObject({ tier: 'core', tenureDays: 2 });
    expect(await tierOf(YOUNG)).toMatchObject({ tier: 'new', tenureDays: 0 });
    const dailyTiers = await Promise.all(DAILY.map(async (m) => (await tierOf(m))!.tier));
    expect(dailyTiers.filter((t) => t === 'growth')).toHaveLength(6);
    expect(dailyTiers.filter((t) => t === 'base')).toHaveLength(10);

    const preview = await gw.app.inject({ method: 'POST', url: '/api/v1/segments/preview', headers: AUTH, payload: { filter: { tier: 'core' } } });
    expect(preview.statusCode).toBe(200);
    expect(preview.json()).toEqual({ count: 2, sample: [...PREMIUM].sort() });
    const bad = await gw.app.inject({ method: 'POST', url: '/api/v1/segments/preview', headers: AUTH, payload: { filter: { tier: 'gold' } } });
    expect(bad.statusCode).toBe(400);

    // 11-13: one core customer's renewal fails (lapsing), the rest renew; a growth subscriber leaves after the pass.
    const [lapsing, loyal] = PREMIUM as [string, string];
    const growthLeaver = DAILY[dailyTiers.indexOf('growth')]!;
    const leaverValue = (await tierOf(growthLeaver))!.residualValue;
    voice.script(lapsing, [{ kind: 'answer', keys: [] }]);
    await charge(lapsing, 'renewal_failed', '2026-11-13T06:00:00Z');
    for (const m of [loyal, YOUNG, ...DAILY]) await charge(m, 'renewed', '2026-11-13T06:00:00Z');
    gw.clock.set('2026-11-13T07:00:00Z');
    const pass = await gw.core.crm.runPass();
    expect(pass.findings.lapsing).toBe(1);
    expect(pass.interventions.save).toEqual({ treatment: 1, holdout: 0, blocked: 0 });
    expect(pass.interventions.save_call).toEqual({ treatment: 1, holdout: 0, blocked: 0 });
    const sms = await eventually(() => smsc.submits.find((s) => `+${s.to}` === lapsing), { what: 'save SMS' });
    expect(sms.text).toContain('We could not renew your Crop advice premium');
    await eventually(() => voice.callsTo(lapsing)[0], { what: 'save call placed' });
    expect(await gw.core.database.all(sql`SELECT flow_id AS "flowId" FROM calls WHERE source = 'intervention'`)).toEqual([{ flowId: 'voice-guide' }]);
    // Only the core customer is called.
    expect(voice.calls.map((c) => c.to)).toEqual([lapsing]);
    await voice.settle();

    await charge(growthLeaver, 'unsubscribed', '2026-11-13T08:00:00Z');
    gw.clock.set('2026-11-14T07:00:00Z');
    await gw.core.crm.runPass(); // the day's tiers notice who left
    expect(await tierOf(growthLeaver)).toBeNull();

    const report = await apiGet(gw, '/reports/tiers?from=2026-11-13&to=2026-11-13');
    expect(report.status).toBe(200);
    const rows = new Map((report.body.tiers as TierRow[]).map((r) => [r.tier, r]));
    // Revenue of 11-13 by the tier each payer had (11-12's tiers): core one premium renewal, growth 6 x 5, base 10 x 5, new the young premium.
    expect(rows.get('core')!.revenue).toEqual({ amount: 50, charges: 1 });
    expect(rows.get('growth')!.revenue).toEqual({ amount: 30, charges: 6 });
    expect(rows.get('base')!.revenue).toEqual({ amount: 50, charges: 10 });
    expect(rows.get('new')!.revenue).toEqual({ amount: 50, charges: 1 });
    expect(rows.get('growth')!.subscribers).toBe(6);
    expect(rows.get('core')!.subscribers).toBe(2);
    // The leaver took the residual value they had at the last scoring.
    expect(rows.get('growth')!.churned.subscribers).toBe(1);
    expect(rows.get('growth')!.churned.lostValue).toBeCloseTo(leaverValue, 2);
    expect(rows.get('core')!.churned).toEqual({ subscribers: 0, lostValue: 0 });
    expect(rows.get('growth')!.retention).toMatchObject({ atStart: 6, left: 1, rate: 0.8333 });
    expect(rows.get('growth')!.retention!.ci95[0]).toBeLessThan(0.8333);
    expect(rows.get('core')!.retention).toMatchObject({ atStart: 2, left: 0, rate: 1 });
    // What the two interventions on the core customer cost, as the interventions report counts it.
    const iv = await apiGet(gw, '/reports/interventions?from=2026-11-13&to=2026-11-13&windows=all');
    const costOf = (kind: string) => ((iv.body.kinds as { kind: string; cost: number }[]).find((k) => k.kind === kind)?.cost ?? 0);
    expect(rows.get('core')!.interventions).toEqual({ decided: 2, treated: 2, cost: Math.round((costOf('save') + costOf('save_call')) * 100) / 100 });
    expect(rows.get('core')!.interventions.cost).toBeGreaterThan(0);
    expect(rows.get('growth')!.interventions.decided).toBe(0);
  });

  it('never holds a core customer out of a discount offer beyond the cap, while others keep the configured holdout', async () => {
    // Everyone would be held out (100%); `save` is declared a discount offer and core customers may be held out 0% of the time.
    const { gw, smsc, voice } = await population({ holdoutPercent: 100, tiers: { discountKinds: ['save'], coreMaxHoldoutPercent: 0 } });
    const [core] = PREMIUM as [string];
    const other = DAILY[0]!;
    await charge(core, 'renewal_failed', '2026-11-13T06:00:00Z');
    await charge(other, 'renewal_failed', '2026-11-13T06:00:00Z');
    gw.clock.set('2026-11-13T07:00:00Z');
    const pass = await gw.core.crm.runPass();
    expect(pass.findings.lapsing).toBe(2);
    expect(pass.interventions.save).toEqual({ treatment: 1, holdout: 1, blocked: 0 });
    // The save call is not a discount offer: its holdout (100%) stands for core too.
    expect(pass.interventions.save_call).toEqual({ treatment: 0, holdout: 1, blocked: 0 });
    await eventually(() => smsc.submits.find((s) => `+${s.to}` === core), { what: 'save SMS to the core customer' });
    await new Promise((r) => setTimeout(r, 150));
    expect(smsc.submits.filter((s) => `+${s.to}` === other)).toHaveLength(0);
    expect(voice.calls).toHaveLength(0);
  });

  it('keeps core customers out of the holdout of an offer tested with arms beyond the cap, while others keep the holdout', async () => {
    const { gw, smsc } = await population({ tiers: { coreMaxHoldoutPercent: 0 } });
    const segment = await gw.app.inject({ method: 'POST', url: '/api/v1/segments', headers: AUTH, payload: { name: 'Everyone ranked', filter: { tier: ['core', 'growth', 'base'] } } });
    expect(segment.statusCode).toBe(201);
    // An offer (the arm names a package and its price) with a 90% holdout: 16 of the others are held out but hardly
    // all of them kept in (0.1^16), while the cap of 0% keeps both core customers in the arm.
    const created = await gw.app.inject({
      method: 'POST',
      url: '/api/v1/campaigns',
      headers: AUTH,
      payload: {
        name: 'Premium for less',
        kind: 'sms',
        segmentId: (segment.json() as { id: string }).id,
        arms: [{ name: 'half-price', text: { en: 'Premium advice at half price: reply SHAMBAPLUS' }, serviceId: 'crop-premium', price: 'KES 25 a day' }],
        holdoutPercent: 90,
        goal: { type: 'subscribed', serviceId: 'crop-premium', windowDays: 7 },
        schedule: { at: '2026-11-12T07:00:00Z' },
      },
    });
    expect(created.statusCode).toBe(201);
    await gw.core.campaignScheduler.tick();
    for (const m of PREMIUM) await eventually(() => smsc.submits.find((s) => `+${s.to}` === m), { what: `the offer to core customer ${m}` });
    await new Promise((r) => setTimeout(r, 150));
    const othersReached = DAILY.filter((m) => smsc.submits.some((s) => `+${s.to}` === m)).length;
    expect(othersReached).toBeLessThan(DAILY.length);
  });

  it('refuses a bad range with a 400 and changes nothing', async () => {
    ({ gw, smsc } = await crmGateway({ services: SERVICES }, '2026-11-10T07:00:00Z'));
    const r = await apiGet(gw, '/reports/tiers?from=2026-11-14&to=2026-11-13');
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: { code: 'INVALID_RANGE' } });
    const empty = await apiGet(gw, '/reports/tiers');
    expect(empty.status).toBe(200);
    expect(empty.body.computedAt).toBeNull();
  });
});
