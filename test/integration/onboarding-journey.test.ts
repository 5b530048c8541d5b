import { describe, expect, it } from 'vitest';
import type { FakeSmsc } from '../fakes/smsc';
import { AUTH, eventually, stopAfterEach, type TestGateway } from '../helpers/gateway';
import { apiGet, billing, crmGateway, ussdSession } from '../helpers/crm';

let gw: TestGateway | null = null;
let smsc: FakeSmsc | null = null;
stopAfterEach(() => [gw, smsc]);

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const wire = (msisdn: string) => msisdn.slice(1);
const to = (s: FakeSmsc, msisdn: string) => s.submits.filter((m) => m.to === wire(msisdn));
/** Gives the dispatcher time to send anything it would send (it polls every 10 ms in these tests). */
const settle = () => new Promise((r) => setTimeout(r, 150));
const onboardingOn = (holdoutPercent: number) => ({ crm: { holdoutPercent, onboarding: { enabled: true, minGroupReaches: 3 } } });

async function profile(g: TestGateway, msisdn: string, body: Record<string, unknown>): Promise<void> {
  const r = await g.app.inject({ method: 'PATCH', url: `/api/v1/subscribers/${encodeURIComponent(msisdn)}`, headers: AUTH, payload: body });
  expect(r.statusCode, r.body).toBe(200);
}

/** A farmer who used the service weeks ago: each of `paths` is one visit, found at the first go. */
async function established(g: TestGateway, msisdn: string, region: string, crop: string, paths: string[][]): Promise<void> {
  await profile(g, msisdn, { region, crop, language: 'en' });
  for (const keys of paths) {
    const screens = await ussdSession(g, msisdn, keys); // the language is in the profile: no language screen
    expect(screens.at(-1)).toMatch(/^CON |^END /);
    g.clock.advance(45 * MIN); // past the episode gap: the next visit is another episode
  }
}

const MAIZE_PESTS = ['1', '1', '2']; // Crop advice > Maize > Pests: *384*1*1*1*2#
const MARKET_MAIZE = ['2', '1']; // Market prices > Maize: *384*1*2*1#
const BEANS_FIRST = ['1', '2', '1']; // Crop advice > Beans > its first option: *384*1*1*2*1#
// The maize menu has 4 options, so 7, 8 and 9 are invalid: a stuck first visit.
const LOST_IN_MAIZE = ['1', '1', '1', '9', '8', '7'];

describe('onboarding: a new subscriber is welcomed with the shortcuts farmers like them use', () => {
  it('welcomes a new subscriber in their language with the shortcuts most found by their region and crop, once', async () => {
    ({ gw, smsc } = await crmGateway(onboardingOn(0), '2026-10-01T07:00:00Z')); // 10:00 in Nairobi
    // Weeks of use by others: Nakuru maize growers find maize pests most, then market prices; Kakamega bean growers beans.
    for (const m of ['+254711100001', '+254711100002', '+254711100003']) await established(gw, m, 'Nakuru', 'maize', [MAIZE_PESTS, MAIZE_PESTS, MARKET_MAIZE]);
    for (const m of ['+254711200001', '+254711200002']) await established(gw, m, 'Kakamega', 'beans', [BEANS_FIRST, BEANS_FIRST]);
    gw.clock.set('2026-10-20T07:00:00Z');
    const first = await gw.core.crm.runPass();
    // They joined weeks ago: not new, nothing sent.
    expect(first.findings.new_subscriber).toBe(0);

    // A Kiswahili-speaking maize grower in Nakuru subscribes (the operator's notification), then a bean grower in Kakamega dials for the first time.
    const NEW_SW = '+254722000001';
    const NEW_BEANS = '+254722000002';
    await profile(gw, NEW_SW, { region: 'Nakuru', crop: 'maize', language: 'sw' });
    await billing(gw, NEW_SW, 'subscribed', new Date(gw.clock.now()).toISOString());
    await profile(gw, NEW_BEANS, { region: 'Kakamega', crop: 'beans', language: 'en' });
    await ussdSession(gw, NEW_BEANS, ['3', '1']); // Weather tips: found at once
    gw.clock.advance(45 * MIN);
    const pass = await gw.core.crm.runPass();
    expect(pass.findings.new_subscriber).toBe(2);
    expect(pass.interventions.welcome).toEqual({ treatment: 2, holdout: 0, blocked: 0 });

    const sw = await eventually(() => to(smsc!, NEW_SW)[0], { what: 'Kiswahili welcome' });
    // Their group's own ranking (maize pests 6, market maize 3); the third would add an SMS part, so it is dropped if it must be.
    expect(sw.text).toMatch(/^Karibu! Fika moja kwa moja kwa yanayotumiwa zaidi na wakulima wa eneo lako: \*384\*1\*1\*1\*2# Wadudu, \*384\*1\*2\*1# Mahindi/);
    expect(sw.text).toContain('Piga *384*1# kwa menyu kamili.');
    expect(sw.text.length).toBeLessThanOrEqual(160);
    const en = await eventually(() => to(smsc!, NEW_BEANS)[0], { what: 'English welcome' });
    expect(en.text).toMatch(/^Welcome! Go straight to what farmers near you use most: \*384\*1\*1\*2\*1# /);

    // More passes, more days: nobody is welcomed twice.
    gw.clock.advance(DAY);
    await ussdSession(gw, NEW_SW, ['1', '1', '2']);
    gw.clock.advance(HOUR);
    const later = await gw.core.crm.runPass();
    expect(later.findings.new_subscriber).toBe(0);
    await settle();
    expect(to(smsc, NEW_SW)).toHaveLength(1);
    expect(to(smsc, NEW_BEANS)).toHaveLength(1);

    // The subscriber's profile shows the finding and the welcome.
    const view = (await apiGet(gw, `/subscribers/${NEW_SW}`)).body.crm as { interventions: Record<string, unknown>[] };
    expect(view.interventions).toEqual([expect.objectContaining({ kind: 'welcome', arm: 'treatment', channel: 'sms' })]);
  });

  it('a held-out new subscriber gets neither the welcome nor the follow-up, and is counted as held out', async () => {
    ({ gw, smsc } = await crmGateway(onboardingOn(100), '2026-11-20T07:00:00Z'));
    const NEW = '+254733000001';
    const screens = await ussdSession(gw, NEW, LOST_IN_MAIZE);
    expect(screens.at(-1)).toMatch(/^END /);
    gw.clock.advance(45 * MIN);
    const pass = await gw.core.crm.runPass();
    expect(pass.findings).toMatchObject({ new_subscriber: 1, first_sessions_stuck: 1 });
    expect(pass.interventions.welcome).toEqual({ treatment: 0, holdout: 1, blocked: 0 });
    gw.clock.advance(25 * HOUR);
    const next = await gw.core.crm.runPass();
    expect(next.interventions.onboarding_followup).toEqual({ treatment: 0, holdout: 1, blocked: 0 });
    await settle();
    expect(to(smsc, NEW)).toHaveLength(0);

    const report = (await apiGet(gw, '/reports/onboarding?from=2026-11-01&to=2026-11-30')).body as { newSubscribers: Record<string, number>; followup: Record<string, number> };
    expect(report.newSubscribers).toMatchObject({ joined: 1, onboarded: 0, heldOut: 1, notAssigned: 0 });
    expect(report.followup).toMatchObject({ onboarded: 0, heldOut: 1 });
  });

  it('a new subscriber stuck in their first session is asked "did you find what you need?" with the shortcut they sought, a day after the welcome', async () => {
    ({ gw, smsc } = await crmGateway(onboardingOn(0), '2026-11-20T07:00:00Z'));
    const NEW = '+254744000001';
    await ussdSession(gw, NEW, LOST_IN_MAIZE);
    gw.clock.advance(45 * MIN);
    const pass = await gw.core.crm.runPass();
    expect(pass.findings).toMatchObject({ new_subscriber: 1, first_sessions_stuck: 1 });
    expect(pass.interventions).toEqual({ welcome: { treatment: 1, holdout: 0, blocked: 0 } });
    const welcome = await eventually(() => to(smsc!, NEW)[0], { what: 'welcome' });
    // Nobody has found anything yet: the main menu's options stand in for the ranking.
    expect(welcome.text).toBe('Welcome! Go straight to what farmers near you use most: *384*1*1# Crop advice, *384*1*2# Market prices, *384*1*3# Weather tips. Dial *384*1# for the full menu.');

    gw.clock.advance(2 * HOUR);
    expect((await gw.core.crm.runPass()).interventions).toEqual({});
    gw.clock.advance(23 * HOUR);
    expect((await gw.core.crm.runPass()).interventions).toEqual({ onboarding_followup: { treatment: 1, holdout: 0, blocked: 0 } });
    const followup = await eventually(() => to(smsc!, NEW)[1], { what: 'follow-up' });
    expect(followup.text).toBe('Did you find what you need? Dial *384*1*1*1# to go straight to Maize, or *384*1# for the menu.');

    type Report = { newSubscribers: Record<string, number>; welcome: Record<string, unknown>; followup: Record<string, number> };
    // The SMSC's answers reach the outbox rows shortly after the submits.
    const report = await eventually(async () => {
      const r = (await apiGet(gw!, '/reports/onboarding?from=2026-11-01&to=2026-11-30')).body as Report;
      return r.welcome.sent === 1 && r.followup.sent === 1 ? r : null;
    }, { what: 'welcome and follow-up counted as sent' });
    expect(report.newSubscribers).toMatchObject({ joined: 1, viaSession: 1, onboarded: 1, heldOut: 0 });
    expect(report.welcome).toMatchObject({ onboarded: 1, sent: 1 });
    expect(report.followup).toMatchObject({ onboarded: 1, heldOut: 0, sent: 1 });
  });
});
