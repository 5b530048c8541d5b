import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config';
import type { FakeSmsc } from '../fakes/smsc';
import { stopAfterEach, type TestGateway } from '../helpers/gateway';
import { apiGet, billing, crmGateway, ussdSession } from '../helpers/crm';

let gw: TestGateway | null = null;
let smsc: FakeSmsc | null = null;
stopAfterEach(() => [gw, smsc]);

const SERVICES = [{ id: 'crop-daily', name: 'Crop advice', price: 5, currency: 'KES', period: 'daily', shortCode: '20123', keywords: ['SHAMBA'], operators: {} }] as unknown as Config['services'];
const payers = Array.from({ length: 16 }, (_, i) => `+2547550000${String(i + 10)}`);

interface Arm {
  subscribers: number;
}
interface Outcome {
  treatment: number | null;
  holdout: number | null;
  uplift: number | null;
  ci95: [number, number] | null;
  significant: boolean;
}

describe('intervention outcomes and uplift', () => {
  it('measure what treated passive renewers did against the holdout, from later events', async () => {
    ({ gw, smsc } = await crmGateway({ services: SERVICES, crm: { holdoutPercent: 50 } }, '2026-11-20T06:00:00Z'));
    for (const m of payers) await billing(gw, m, 'subscribed', '2026-11-18T06:00:00Z');
    for (const m of payers) await billing(gw, m, 'renewed', '2026-11-19T06:00:00Z');
    for (const m of payers) await billing(gw, m, 'renewed', '2026-11-20T06:00:00Z');
    gw.clock.set('2026-11-20T07:00:00Z');
    const pass = await gw.core.crm.runPass();
    expect(pass.findings.passive).toBe(payers.length);
    const arms = new Map<string, string>();
    for (const m of payers) {
      const crm = (await apiGet(gw, `/subscribers/${m}`)).body.crm as { interventions: { kind: string; arm: string }[] };
      expect(crm.interventions).toHaveLength(1);
      arms.set(m, crm.interventions[0]!.arm);
    }
    const treated = payers.filter((m) => arms.get(m) === 'treatment');
    const held = payers.filter((m) => arms.get(m) === 'holdout');
    expect(treated.length).toBeGreaterThan(0);
    expect(held.length).toBeGreaterThan(0);
    expect(pass.interventions.nudge).toEqual({ treatment: treated.length, holdout: held.length, blocked: 0 });

    // The next day every treated subscriber dials in and reads advice; everyone renews once more.
    gw.clock.set('2026-11-21T08:00:00Z');
    for (const m of treated) await ussdSession(gw, m, ['1', '1', '1', '1']);
    for (const m of payers) await billing(gw, m, 'renewed', '2026-11-21T06:00:00Z');
    await gw.core.crm.runPass();

    // While windows are open the report waits for them; with windows=all it shows the running figures.
    const running = (await apiGet(gw, '/reports/interventions?from=2026-11-01&to=2026-11-30')).body as { pendingOutcomes: number; kinds: unknown[] };
    expect(running).toMatchObject({ pendingOutcomes: payers.length, kinds: [] });

    // After the 14-day window (and a day's grace for late events) the outcomes are final.
    gw.clock.set('2026-12-05T08:00:00Z');
    expect((await gw.core.crm.runPass()).outcomesClosed).toBe(payers.length);
    const r = await apiGet(gw, '/reports/interventions?from=2026-11-01&to=2026-11-30');
    expect(r.status).toBe(200);
    const nudge = (r.body.kinds as { kind: string; treated: Arm & { sent: number }; holdout: Arm; outcomes: Record<string, Outcome>; revenue: Record<string, unknown>; cost: number; net: number }[]).find((k) => k.kind === 'nudge')!;
    expect(nudge.treated).toMatchObject({ subscribers: treated.length, sent: treated.length });
    expect(nudge.holdout).toEqual({ subscribers: held.length });
    expect(nudge.outcomes.reachedContent).toMatchObject({ treatment: 1, holdout: 0, uplift: 1, significant: true });
    expect(nudge.outcomes.returned).toMatchObject({ treatment: 1, holdout: 0, uplift: 1 });
    expect(nudge.outcomes.reachedContent!.ci95![0]).toBeGreaterThan(0);
    expect(nudge.outcomes.renewed).toMatchObject({ treatment: 1, holdout: 1, uplift: 0, significant: false });
    // Everyone paid the same afterwards: no incremental revenue, so the SMS cost is the net loss.
    expect(nudge.revenue).toMatchObject({ perTreated: 5, perHoldout: 5, differencePerSubscriber: 0 });
    expect(nudge.cost).toBeCloseTo(0.8 * treated.length, 5);
    expect(nudge.net).toBeCloseTo(-0.8 * treated.length, 5);
  });
});
