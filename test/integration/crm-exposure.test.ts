import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config';
import type { FakeSmsc } from '../fakes/smsc';
import type { FakeVoiceProvider } from '../fakes/voice-provider';
import { eventually, stopAfterEach, testGateway, type TestGateway } from '../helpers/gateway';
import { apiGet, billing, crmGateway, ivrCall, ussdSession, voiceGateway } from '../helpers/crm';

let gw: TestGateway | null = null;
let smsc: FakeSmsc | null = null;
let voice: FakeVoiceProvider | null = null;
stopAfterEach(() => [voice, gw, smsc]);

const SERVICES = [{ id: 'crop-daily', name: 'Crop advice', price: 5, currency: 'KES', period: 'daily', shortCode: '20123', keywords: ['SHAMBA'], operators: {} }] as unknown as Config['services'];
const payers = Array.from({ length: 24 }, (_, i) => `+2547560000${String(i + 10)}`);
// The fake SMSC's receipts: even last digit delivered, odd undeliverable.
const deliverable = (msisdn: string) => Number(msisdn.slice(-1)) % 2 === 0;

interface Effect {
  uplift: number | null;
  ci95: [number, number] | null;
  significant: boolean;
}
interface Outcome extends Effect {
  treatment: number | null;
  holdout: number | null;
  effectOnReached: Effect;
}
interface KindReport {
  kind: string;
  channel: string;
  treated: { subscribers: number; sent: number; reached: number; blocked: number; smsParts: number };
  holdout: { subscribers: number };
  delivery: Record<string, number>;
  deliveryRate: { rate: number | null; ci95: [number, number] | null };
  outcomes: Record<string, Outcome>;
  revenue: Record<string, unknown>;
  cost: number;
  incrementalRevenue: number | null;
  net: number | null;
}
interface Pending {
  kind: string;
  interventions: number;
  treatment: number;
  holdout: number;
  firstWindowClosesAt: string;
  lastWindowClosesAt: string;
  closingByDay: { day: string; count: number }[];
}

/** Passive renewers: subscribed and renewing, never dialling in, so the pass nudges them. */
async function passiveRenewers(g: TestGateway, list: string[]): Promise<void> {
  for (const m of list) await billing(g, m, 'subscribed', '2026-11-18T06:00:00Z');
  for (const m of list) await billing(g, m, 'renewed', '2026-11-19T06:00:00Z');
  for (const m of list) await billing(g, m, 'renewed', '2026-11-20T06:00:00Z');
}

async function interventionsOf(g: TestGateway, m: string): Promise<{ kind: string; arm: string; status: string; delivery: string | null }[]> {
  return ((await apiGet(g, `/subscribers/${m}`)).body.crm as { interventions: { kind: string; arm: string; status: string; delivery: string | null }[] }).interventions;
}

async function report(g: TestGateway, query = ''): Promise<{ pendingOutcomes: number; pending: Pending[]; kinds: KindReport[] }> {
  const r = await apiGet(g, `/reports/interventions?from=2026-11-01&to=2026-11-30${query}`);
  expect(r.status).toBe(200);
  return r.body as unknown as { pendingOutcomes: number; pending: Pending[]; kinds: KindReport[] };
}

describe('exposure: what reached the subscriber', () => {
  it('counts delivered and undelivered nudges apart, costs what the SMSC accepted, and recovers a planted effect on those reached', async () => {
    ({ gw, smsc } = await crmGateway({ services: SERVICES, crm: { holdoutPercent: 40 } }, '2026-11-20T06:00:00Z'));
    smsc.opts.receiptStatFor = (to) => (deliverable(to) ? 'DELIVRD' : 'UNDELIV');
    await passiveRenewers(gw, payers);
    gw.clock.set('2026-11-20T07:00:00Z');
    expect((await gw.core.crm.runPass()).findings.passive).toBe(payers.length);

    const arms = new Map<string, string>();
    for (const m of payers) arms.set(m, (await interventionsOf(gw, m))[0]!.arm);
    const treated = payers.filter((m) => arms.get(m) === 'treatment');
    const held = payers.filter((m) => arms.get(m) === 'holdout');
    const reached = treated.filter(deliverable);
    expect(held.length).toBeGreaterThan(0);
    expect(reached.length).toBeGreaterThan(0);
    expect(reached.length).toBeLessThan(treated.length);

    // Each treated subscriber's intervention carries the state its receipt gave the message.
    for (const m of treated) {
      await eventually(async () => (await interventionsOf(gw!, m))[0]!.delivery === (deliverable(m) ? 'delivered' : 'failed'), { what: `receipt for ${m}` });
    }
    expect((await interventionsOf(gw, held[0]!))[0]).toMatchObject({ arm: 'holdout', delivery: null });

    // Planted truth: the nudge works on everyone it reaches (they come back and read advice), on no one else.
    gw.clock.set('2026-11-21T08:00:00Z');
    for (const m of reached) await ussdSession(gw, m, ['1', '1', '1', '1']);
    await gw.core.crm.runPass();

    // While the windows are open the report says what it waits for, and when.
    const waiting = await report(gw);
    expect(waiting.kinds).toEqual([]);
    expect(waiting.pendingOutcomes).toBe(payers.length);
    expect(waiting.pending).toEqual([
      expect.objectContaining({
        kind: 'nudge',
        interventions: payers.length,
        treatment: treated.length,
        holdout: held.length,
        firstWindowClosesAt: '2026-12-04T07:00:00.000Z',
        lastWindowClosesAt: '2026-12-04T07:00:00.000Z',
        closingByDay: [{ day: '2026-12-04', count: payers.length }],
      }),
    ]);

    gw.clock.set('2026-12-05T08:00:00Z');
    expect((await gw.core.crm.runPass()).outcomesClosed).toBe(payers.length);
    const final = await report(gw);
    expect(final.pending).toEqual([]);
    const nudge = final.kinds.find((k) => k.kind === 'nudge')!;
    const t = treated.length;
    const d = reached.length;
    expect(nudge.channel).toBe('sms');
    expect(nudge.treated).toEqual({ subscribers: t, sent: t, reached: d, blocked: 0, smsParts: t });
    expect(nudge.delivery).toEqual({ queued: 0, sent: 0, delivered: d, failed: t - d, expired: 0, blocked: 0 });
    expect(nudge.deliveryRate.rate).toBeCloseTo(d / t, 4);
    expect(nudge.deliveryRate.ci95![0]).toBeLessThan(d / t);
    expect(nudge.deliveryRate.ci95![1]).toBeGreaterThan(d / t);
    // ITT is over everyone assigned: diluted by the undelivered; the effect on those reached is the planted 1.
    const returned = nudge.outcomes.returned!;
    expect(returned.treatment).toBeCloseTo(d / t, 4);
    expect(returned.holdout).toBe(0);
    expect(returned.uplift).toBeCloseTo(d / t, 4);
    expect(returned.effectOnReached.uplift).toBeCloseTo(1, 4);
    expect(returned.effectOnReached.ci95![0]).toBeLessThanOrEqual(1);
    expect(returned.effectOnReached.ci95![1]).toBeGreaterThanOrEqual(1);
    expect(nudge.outcomes.renewed).toMatchObject({ uplift: 0, effectOnReached: { uplift: 0 } });
    // Operators bill on submit: the undelivered message was accepted and costs as much as the delivered one.
    expect(nudge.cost).toBeCloseTo(0.8 * t, 5);
    expect(nudge.net).toBeCloseTo(-0.8 * t, 5);
  });

  it('with no SMSC bound nothing is sent, delivered or costed; ITT is still over assignment and the effect on reached is unknown', async () => {
    gw = await testGateway({ services: SERVICES, crm: { holdoutPercent: 40 } }, { now: '2026-11-20T06:00:00Z' });
    await gw.start();
    await passiveRenewers(gw, payers);
    gw.clock.set('2026-11-20T07:00:00Z');
    await gw.core.crm.runPass();
    const arms = new Map<string, string>();
    for (const m of payers) arms.set(m, (await interventionsOf(gw, m))[0]!.arm);
    const t = payers.filter((m) => arms.get(m) === 'treatment').length;
    const h = payers.length - t;
    expect((await interventionsOf(gw, payers.find((m) => arms.get(m) === 'treatment')!))[0]).toMatchObject({ status: 'queued', delivery: 'queued' });

    const running = (await report(gw, '&windows=all')).kinds.find((k) => k.kind === 'nudge')!;
    expect(running.treated).toEqual({ subscribers: t, sent: 0, reached: 0, blocked: 0, smsParts: 0 });
    expect(running.delivery).toMatchObject({ queued: t, sent: 0, delivered: 0 });
    expect(running.cost).toBe(0);

    // Past their validity the messages expire unsent: still nothing sent, nothing costed.
    gw.clock.set('2026-12-05T08:00:00Z');
    await eventually(async () => (await report(gw!, '&windows=all')).kinds[0]?.delivery.expired === t, { what: 'queued messages expire' });
    await gw.core.crm.runPass();
    const nudge = (await report(gw)).kinds.find((k) => k.kind === 'nudge')!;
    expect(nudge.treated).toEqual({ subscribers: t, sent: 0, reached: 0, blocked: 0, smsParts: 0 });
    expect(nudge.holdout).toEqual({ subscribers: h });
    expect(nudge.delivery).toEqual({ queued: 0, sent: 0, delivered: 0, failed: 0, expired: t, blocked: 0 });
    expect(nudge.deliveryRate.rate).toBe(0);
    expect(nudge.cost).toBe(0);
    expect(nudge.outcomes.returned).toMatchObject({ treatment: 0, holdout: 0, uplift: 0, effectOnReached: { uplift: null, ci95: null, significant: false } });
    expect(nudge.outcomes.returned!.ci95).toHaveLength(2);
    expect(nudge.net).toBe(0);
  });

  it('voice guidance the provider refuses costs nothing and reaches no one; an answered call costs what the provider reported', async () => {
    const refused = '+254711000001';
    const answered = '+254711000002';
    ({ gw, smsc, voice } = await voiceGateway({ crm: { holdoutPercent: 0 } }, '2026-11-20T07:00:00Z', { refuse: (to) => (to === refused ? { http: 400 } : null) }));
    voice.script(answered, [{ kind: 'answer', keys: [], durationSeconds: 60 }]);
    for (const m of [refused, answered]) {
      for (let i = 0; i < 3; i++) {
        // Language (first call only), Crop advice, Maize, then three keys the maize menu does not have.
        await ivrCall(gw, m, [...(i === 0 ? ['1'] : []), '1', '1', '9', '8', '7']);
        gw.clock.advance(30 * 60_000);
      }
    }
    expect((await gw.core.crm.runPass()).interventions.voice_guidance).toEqual({ treatment: 2, holdout: 0, blocked: 0 });
    await eventually(async () => (await interventionsOf(gw!, refused))[0]?.delivery === 'failed', { what: 'refused call failed' });
    await eventually(async () => (await interventionsOf(gw!, answered))[0]?.delivery === 'answered', { what: 'guidance call answered' });
    await voice.settle();

    const guidance = (await report(gw, '&windows=all')).kinds.find((k) => k.kind === 'voice_guidance')!;
    expect(guidance.channel).toBe('call');
    expect(guidance.treated).toEqual({ subscribers: 2, sent: 1, reached: 1, blocked: 0, smsParts: 0 });
    expect(guidance.delivery).toEqual({ queued: 0, dialling: 0, answered: 1, not_answered: 0, failed: 1, blocked: 0 });
    expect(guidance.deliveryRate.rate).toBe(0.5);
    // The fake provider bills 0.05 KES a second: 60 s = 3 KES, not the configured 4 KES per call.
    expect(guidance.cost).toBeCloseTo(3, 5);
  });

  it('voice guidance through a provider that fails every call: sent 0, answered 0, cost 0', async () => {
    ({ gw, smsc, voice } = await voiceGateway({ crm: { holdoutPercent: 0 } }, '2026-11-20T07:00:00Z', { refuse: () => ({ entryStatus: 'InvalidPhoneNumber' }) }));
    const farmer = '+254711000003';
    for (let i = 0; i < 3; i++) {
      await ivrCall(gw, farmer, [...(i === 0 ? ['1'] : []), '1', '1', '9', '8', '7']);
      gw.clock.advance(30 * 60_000);
    }
    await gw.core.crm.runPass();
    await eventually(async () => (await interventionsOf(gw!, farmer))[0]?.delivery === 'failed', { what: 'call failed' });
    const guidance = (await report(gw, '&windows=all')).kinds.find((k) => k.kind === 'voice_guidance')!;
    expect(guidance.treated).toMatchObject({ subscribers: 1, sent: 0, reached: 0 });
    expect(guidance.delivery).toMatchObject({ answered: 0, failed: 1 });
    expect(guidance.cost).toBe(0);
    expect(guidance.outcomes.returned!.effectOnReached.uplift).toBeNull();
  });
});
