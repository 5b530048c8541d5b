import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config';
import type { FakeSmsc } from '../fakes/smsc';
import { eventually, stopAfterEach, type TestGateway } from '../helpers/gateway';
import { apiGet, billing, crmGateway, ussdSession } from '../helpers/crm';

let gw: TestGateway | null = null;
let smsc: FakeSmsc | null = null;
stopAfterEach(() => [gw, smsc]);

// The demo service without its renewal reminder, so the only promotional SMS in these scenarios are the CRM's.
const SERVICES = [{ id: 'crop-daily', name: 'Crop advice', price: 5, currency: 'KES', period: 'daily', shortCode: '20123', keywords: ['SHAMBA'], operators: {} }] as unknown as Config['services'];
const settle = () => new Promise((r) => setTimeout(r, 150));
const to = (s: FakeSmsc, msisdn: string) => s.submits.filter((m) => `+${m.to}` === msisdn);

// Exit questions are off: these tests count the CRM's own messages (docs/exit-reasons.md covers the question).
async function setup(now: string) {
  ({ gw, smsc } = await crmGateway({ services: SERVICES, crm: { holdoutPercent: 0, exitReasons: { enabled: false } } }, now));
  return { gw, smsc };
}

describe('passive renewer', () => {
  it('pays two renewals without using the service and gets one nudge', async () => {
    const { gw, smsc } = await setup('2026-11-22T06:00:00Z');
    const payer = '+254722000001';
    await billing(gw, payer, 'subscribed', '2026-11-20T06:00:00Z');
    await billing(gw, payer, 'renewed', '2026-11-21T06:00:00Z');
    expect((await gw.core.crm.runPass()).findings.passive).toBe(0); // one renewal is not yet a pattern
    await billing(gw, payer, 'renewed', '2026-11-22T06:00:00Z');
    const pass = await gw.core.crm.runPass();
    expect(pass.findings.passive).toBe(1);
    expect(pass.interventions.nudge).toEqual({ treatment: 1, holdout: 0, blocked: 0 });
    const sms = await eventually(() => to(smsc, payer)[0], { what: 'nudge' });
    expect(sms.text).toBe("Your Crop advice is active. Dial *384*1# now for this week's advice on planting, pests and prices.");
    // Another renewal the next day: the finding is still being measured, no second nudge.
    await billing(gw, payer, 'renewed', '2026-11-23T06:00:00Z');
    gw.clock.set('2026-11-23T07:00:00Z');
    expect((await gw.core.crm.runPass()).findings.passive).toBe(0);
    await settle();
    expect(to(smsc, payer)).toHaveLength(1);
  });

  it('is not flagged while using what they pay for', async () => {
    const { gw } = await setup('2026-11-22T06:30:00Z');
    const user = '+254722000002';
    await ussdSession(gw, user, ['1', '1', '1', '2']); // language, crops, maize, pests: content
    await billing(gw, user, 'subscribed', '2026-11-20T06:00:00Z');
    await billing(gw, user, 'renewed', '2026-11-21T06:00:00Z');
    await billing(gw, user, 'renewed', '2026-11-22T06:00:00Z');
    expect((await gw.core.crm.runPass()).findings.passive).toBe(0);
  });
});

describe('churned subscriber', () => {
  it('who used the service and cancelled gets one win-back; one who never used it does not', async () => {
    const { gw, smsc } = await setup('2026-11-20T07:00:00Z');
    const user = '+254733000001';
    const never = '+254733000002';
    await ussdSession(gw, user, ['1', '1', '2', '1']); // beans planting
    for (const m of [user, never]) {
      await billing(gw, m, 'subscribed', '2026-11-18T06:00:00Z');
      await billing(gw, m, 'renewed', '2026-11-19T06:00:00Z');
    }
    await gw.core.crm.runPass();
    await billing(gw, user, 'unsubscribed', '2026-11-20T07:30:00Z');
    await billing(gw, never, 'unsubscribed', '2026-11-20T07:30:00Z');
    gw.clock.set('2026-11-20T08:00:00Z');
    const pass = await gw.core.crm.runPass();
    expect(pass.findings.churned).toBe(1);
    expect(pass.interventions.winback).toEqual({ treatment: 1, holdout: 0, blocked: 0 });
    const sms = await eventually(() => to(smsc, user)[0], { what: 'win-back' });
    expect(sms.text).toBe('We miss you! Dial *384*1# for crop advice any time. Send STOP to stop messages.');
    gw.clock.set('2026-11-21T08:00:00Z');
    const later = await gw.core.crm.runPass();
    expect(later.findings.churned).toBe(0);
    await settle();
    expect(to(smsc, user)).toHaveLength(1);
    expect(to(smsc, never)).toHaveLength(0);
  });
});

describe('lapsing subscriber', () => {
  it('whose renewal fails gets a save message in their language', async () => {
    const { gw, smsc } = await setup('2026-11-21T07:00:00Z');
    const m = '+254744000001';
    await gw.app.inject({ method: 'PATCH', url: `/api/v1/subscribers/${m}`, headers: { authorization: 'Bearer test-token-0123456789abcdef' }, payload: { language: 'sw' } });
    await billing(gw, m, 'subscribed', '2026-11-19T06:00:00Z');
    await billing(gw, m, 'renewed', '2026-11-20T06:00:00Z');
    await billing(gw, m, 'renewal_failed', '2026-11-21T06:00:00Z', { reason: 'insufficient_balance' });
    const pass = await gw.core.crm.runPass();
    expect(pass.findings.lapsing).toBe(1);
    const sms = await eventually(() => to(smsc, m)[0], { what: 'save message' });
    expect(sms.text).toBe('Hatukuweza kuendeleza Crop advice yako. Ongeza salio ili kuendelea kupata ushauri. Piga *384*1# wakati wowote.');
    const flags = ((await apiGet(gw, `/subscribers/${m}`)).body.crm as { flags: { kind: string; reason: string }[] }).flags;
    expect(flags).toEqual([expect.objectContaining({ kind: 'lapsing', reason: 'state_grace' })]);
  });
});
