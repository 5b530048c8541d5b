import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config';
import type { FakeSmsc } from '../fakes/smsc';
import type { FakeVoiceProvider } from '../fakes/voice-provider';
import { apiGet, billing, crmGateway, ussdSession, voiceGateway } from '../helpers/crm';
import { AUTH, eventually, stopAfterEach, type DeepPartial, type TestGateway } from '../helpers/gateway';
import { findSubscriber } from '../helpers/subscribers';

let gw: TestGateway | null = null;
let smsc: FakeSmsc | null = null;
let voice: FakeVoiceProvider | null = null;
stopAfterEach(() => [voice, gw, smsc]);

const HOUR = 3_600_000;
const NOW = '2026-11-20T07:00:00Z'; // 10:00 in Nairobi
const wire = (m: string) => m.replace('+', '');
const textsTo = (s: FakeSmsc, m: string) => s.submits.filter((x) => x.to === wire(m)).map((x) => x.text);
const settle = () => new Promise((r) => setTimeout(r, 150));

/** Two packages of one family: leaving the weekly one can be answered with the daily one. */
const SERVICES = [
  { id: 'crop-daily', name: 'Crop advice (daily)', price: 5, currency: 'KES', period: 'daily', shortCode: '20123', keywords: ['SHAMBA'], family: 'crop' },
  { id: 'crop-weekly', name: 'Crop advice (weekly)', price: 25, currency: 'KES', period: 'weekly', shortCode: '20123', keywords: ['SHAMBAWIKI'], family: 'crop' },
];
const base = (extra: DeepPartial<Config> = {}): DeepPartial<Config> => ({ crm: { holdoutPercent: 0 }, services: SERVICES as Config['services'], ...extra });

async function setLanguage(g: TestGateway, msisdn: string, language: string): Promise<void> {
  const r = await g.app.inject({ method: 'PATCH', url: `/api/v1/subscribers/${encodeURIComponent(msisdn)}`, headers: AUTH, payload: { language } });
  expect(r.statusCode).toBe(200);
}

type ReasonRow = { reason: string; answers: number; share: number | null; followUp: string | null };
type ExitReport = Record<string, unknown> & { answered: number; reasons: ReasonRow[]; groups?: unknown[]; freeText: unknown[] };

async function exitReport(g: TestGateway, query = ''): Promise<ExitReport> {
  const r = await apiGet(g, `/reports/exit-reasons${query}`);
  expect(r.status).toBe(200);
  return r.body as ExitReport;
}

describe('exit question after the operator deletes a subscription', () => {
  it('asks a Swahili subscriber in Swahili; "3" is hard to use and the next pass places the guidance call', async () => {
    ({ gw, smsc, voice } = await voiceGateway(base(), NOW));
    const m = '+254711000501';
    voice.script(m, [{ kind: 'answer', keys: [] }]);
    await billing(gw, m, 'subscribed', '2026-11-10T07:00:00Z');
    await setLanguage(gw, m, 'sw');
    await billing(gw, m, 'unsubscribed', NOW);

    const question = await eventually(() => textsTo(smsc!, m)[0], { what: 'the exit question' });
    expect(question).toBe('Umeondoka Crop advice (daily). Kwa nini? Jibu kwa namba: 1 Bei ghali, 2 Haina manufaa, 3 Ngumu kutumia, 4 Mtandao mbaya, 5 Nyingine');
    // The same exit told again (a retried notification) is not asked again.
    await billing(gw, m, 'unsubscribed', NOW);

    gw.clock.advance(HOUR);
    smsc.sendMo({ from: wire(m), to: '20123', text: '3' });
    expect(await eventually(() => textsTo(smsc!, m)[1], { what: 'thanks' })).toBe('Asante kwa kutueleza.');

    const report = await exitReport(gw, '?by=tenure');
    expect(report).toMatchObject({ exits: 1, asked: 1, answered: 1, pending: 0, responseRate: 1 });
    expect(report.reasons.find((r) => r.reason === 'hard_to_use')).toMatchObject({ answers: 1, share: 1, followUp: 'exit_guidance' });
    expect(report.groups).toEqual([expect.objectContaining({ value: '1_4_weeks', answered: 1 })]);

    const pass = await gw.core.crm.runPass();
    expect(pass.findings.exit_reason ?? 0).toBe(0); // raised when the answer came, not by a detector
    expect(pass.interventions.exit_guidance).toEqual({ treatment: 1, holdout: 0, blocked: 0 });
    await eventually(() => voice!.calls.find((c) => c.to === m), { what: 'guidance call placed' });
    const ints = await apiGet(gw, '/reports/interventions?kind=exit_guidance&windows=all');
    expect(JSON.stringify(ints.body)).toContain('exit_guidance');
    await settle();
    expect(textsTo(smsc, m)).toHaveLength(2);
  });

  it('puts a subscriber in the holdout like every other intervention: recorded, no call', async () => {
    ({ gw, smsc } = await crmGateway(base({ crm: { holdoutPercent: 100 } } as DeepPartial<Config>), NOW));
    const m = '+254711000502';
    await billing(gw, m, 'subscribed', '2026-11-01T07:00:00Z');
    await billing(gw, m, 'unsubscribed', NOW);
    await eventually(() => textsTo(smsc!, m)[0], { what: 'the exit question' });
    smsc.sendMo({ from: wire(m), to: '20123', text: 'hard to use' });
    await eventually(() => textsTo(smsc!, m)[1], { what: 'thanks' });
    const pass = await gw.core.crm.runPass();
    expect(pass.interventions.exit_guidance).toEqual({ treatment: 0, holdout: 1, blocked: 0 });
  });
});

describe('exit question after STOP <keyword>', () => {
  it('confirms the STOP first, asks once (the operator confirming later asks nothing), and "expensive" gets the cheaper package', async () => {
    ({ gw, smsc } = await crmGateway(base(), NOW));
    const m = '+254711000503';
    await billing(gw, m, 'subscribed', '2026-11-15T07:00:00Z', { serviceId: 'crop-weekly' });
    smsc.sendMo({ from: wire(m), to: '20123', text: 'STOP SHAMBAWIKI' });
    const [confirm, question] = await eventually(() => (textsTo(smsc!, m).length >= 2 ? textsTo(smsc!, m) : null), { what: 'confirmation and question' });
    expect(confirm).toContain('Your request to stop Crop advice (weekly)');
    expect(question).toBe('You left Crop advice (weekly). Why? Reply with a number: 1 Too expensive, 2 Not useful, 3 Hard to use, 4 Poor network, 5 Other');
    await billing(gw, m, 'unsubscribed', new Date(gw.clock.now()).toISOString(), { serviceId: 'crop-weekly' });

    gw.clock.advance(HOUR);
    smsc.sendMo({ from: wire(m), to: '20123', text: 'Expensive!' });
    await eventually(() => textsTo(smsc!, m)[2], { what: 'thanks' });
    const pass = await gw.core.crm.runPass();
    expect(pass.interventions.exit_offer).toEqual({ treatment: 1, holdout: 0, blocked: 0 });
    const offer = await eventually(() => textsTo(smsc!, m)[3], { what: 'the exit offer' });
    expect(offer).toBe('Sorry to see you go. Crop advice (daily) costs only KES 5 per day. To join, send SHAMBA to 20123.');
    await settle();
    expect(textsTo(smsc, m)).toHaveLength(4);

    // Taking the offer: a new subscription charge inside the window is the offer's "renewed" outcome.
    gw.clock.advance(24 * HOUR);
    await billing(gw, m, 'subscribed', new Date(gw.clock.now()).toISOString(), { serviceId: 'crop-daily' });
    await gw.core.crm.runPass();
    const view = (await apiGet(gw, `/subscribers/${m}`)).body.crm as { interventions: Record<string, unknown>[] };
    expect(view.interventions).toEqual([expect.objectContaining({ kind: 'exit_offer', arm: 'treatment' })]);
    expect(JSON.stringify(view.interventions[0])).toMatch(/"renewedAt":"?[\d-]/);
  });

  it('keeps free text as "other"; a reply after the window is routed as any other SMS', async () => {
    ({ gw, smsc } = await crmGateway(base(), NOW));
    const a = '+254711000504';
    const b = '+254711000505';
    for (const m of [a, b]) {
      await billing(gw, m, 'subscribed', '2026-11-18T07:00:00Z');
      smsc.sendMo({ from: wire(m), to: '20123', text: 'STOP SHAMBA' });
    }
    await eventually(() => textsTo(smsc!, a).length >= 2 && textsTo(smsc!, b).length >= 2, { what: 'questions' });
    smsc.sendMo({ from: wire(a), to: '20123', text: 'I moved to town' });
    await eventually(() => textsTo(smsc!, a)[2], { what: 'thanks' });
    gw.clock.advance(73 * HOUR);
    smsc.sendMo({ from: wire(b), to: '20123', text: '2' });
    const late = await eventually(() => textsTo(smsc!, b)[2], { what: 'the default reply' });
    expect(late).not.toBe('Thank you for telling us.');

    const report = await exitReport(gw, '?by=channel');
    expect(report).toMatchObject({ exits: 2, asked: 2, answered: 1, pending: 0, unanswered: 1, responseRate: 0.5 });
    expect(report.reasons.find((r) => r.reason === 'other')).toMatchObject({ answers: 1, followUp: null });
    expect(report.freeText).toEqual([expect.objectContaining({ text: 'I moved to town', msisdn: a })]);
    expect(report.groups).toEqual([expect.objectContaining({ value: 'sms', exits: 2 })]);
    const pass = await gw.core.crm.runPass();
    expect(pass.interventions.exit_guidance).toBeUndefined();
    expect(pass.interventions.exit_offer).toBeUndefined();
  });

  it('asks nobody who opted out of messages; a bare STOP still opts out at once', async () => {
    ({ gw, smsc } = await crmGateway(base(), NOW));
    const m = '+254711000506';
    await billing(gw, m, 'subscribed', '2026-11-18T07:00:00Z');
    smsc.sendMo({ from: wire(m), to: '20123', text: 'STOP' });
    await eventually(async () => (await findSubscriber(gw!.core, m))?.optedOut, { what: 'opt-out' });
    await billing(gw, m, 'unsubscribed', NOW);
    await settle();
    expect(textsTo(smsc, m)).toHaveLength(1); // the opt-out confirmation only
    expect(await exitReport(gw)).toMatchObject({ exits: 1, asked: 0, notAsked: 1, notAskedBecause: { opted_out: 1 }, responseRate: null });
  });

  it('leaves a reply to an SMS poll sent after the exit question to the poll (newest question wins)', async () => {
    ({ gw, smsc } = await crmGateway(base(), NOW));
    const m = '+254711000507';
    await billing(gw, m, 'subscribed', '2026-11-18T07:00:00Z');
    await billing(gw, m, 'unsubscribed', NOW);
    await eventually(() => textsTo(smsc!, m)[0], { what: 'the exit question' });
    gw.clock.advance(HOUR);
    const r1 = await gw.app.inject({ method: 'PATCH', url: `/api/v1/subscribers/${encodeURIComponent(m)}`, headers: AUTH, payload: { region: 'Nakuru' } });
    expect(r1.statusCode, r1.body).toBe(200);
    const poll = await gw.app.inject({ method: 'POST', url: '/api/v1/polls', headers: AUTH, payload: { type: 'choice', question: { en: 'Did it rain?' }, answers: [{ en: 'Yes' }, { en: 'No' }] } });
    expect(poll.statusCode, poll.body).toBe(201);
    const pollId = (poll.json() as { id: string }).id;
    const segment = await gw.app.inject({ method: 'POST', url: '/api/v1/segments', headers: AUTH, payload: { name: 'Nakuru', filter: { region: 'Nakuru' } } });
    expect(segment.statusCode, segment.body).toBe(201);
    const campaign = await gw.app.inject({
      method: 'POST',
      url: '/api/v1/campaigns',
      headers: AUTH,
      payload: { kind: 'poll', pollId, segmentId: (segment.json() as { id: string }).id, schedule: { at: new Date(gw.clock.now()).toISOString() } },
    });
    expect(campaign.statusCode, campaign.body).toBe(201);
    await gw.core.campaignScheduler.tick();
    await eventually(() => textsTo(smsc!, m)[1], { what: 'the poll question', timeoutMs: 8000 });
    smsc.sendMo({ from: wire(m), to: '20123', text: '1' });
    await eventually(() => textsTo(smsc!, m)[2], { what: 'the poll thanks' });
    expect((await exitReport(gw)).answered).toBe(0);
  });
});

describe('exit question in the USSD session', () => {
  it('asks on the screen after the unsubscribe confirmation; answering ends the session; no SMS question', async () => {
    ({ gw, smsc } = await crmGateway(base(), NOW));
    const m = '+254711000508';
    await billing(gw, m, 'subscribed', '2026-11-18T07:00:00Z');
    await setLanguage(gw, m, 'en');
    // My account (4) > Stop daily advice SMS (3) > Yes, stop (1) > Continue (1) > Hard to use (3)
    const screens = await ussdSession(gw, m, ['4', '3', '1', '1', '3']);
    expect(screens[3]).toMatch(/^CON Your request to stop is received/);
    expect(screens[4]).toMatch(/^CON Why are you leaving\?\n1\. Too expensive\n2\. Not useful\n3\. Hard to use/);
    expect(screens[5]).toMatch(/^END /);
    await settle();
    const texts = textsTo(smsc, m);
    expect(texts).toHaveLength(1); // the unsubscribe confirmation; the question was on the screen
    expect(texts[0]).toContain('Your request to stop');
    const report = await exitReport(gw, '?by=channel');
    expect(report).toMatchObject({ exits: 1, asked: 1, answered: 1 });
    expect(report.groups).toEqual([expect.objectContaining({ value: 'ussd', answered: 1 })]);
    expect(report.reasons.find((r) => r.reason === 'hard_to_use')?.answers).toBe(1);
  });
});

describe('bad input', () => {
  it('answers 400 to an unknown by', async () => {
    ({ gw, smsc } = await crmGateway(base(), NOW));
    const r = await apiGet(gw, '/reports/exit-reasons?by=shoe');
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: { code: 'INVALID_BY' } });
  });
});
