import { describe, expect, it } from 'vitest';
import type { FakeSmsc } from '../fakes/smsc';
import type { FakeVoiceProvider } from '../fakes/voice-provider';
import { channelGateway, plantHabits, profile } from '../helpers/best-channel';
import { AUTH, eventually, stopAfterEach, type TestGateway } from '../helpers/gateway';

let gw: TestGateway | null = null;
let smsc: FakeSmsc | null = null;
let voice: FakeVoiceProvider | null = null;
stopAfterEach(() => [voice, gw, smsc]);

const CALLERS = ['+254711000501', '+254711000502'];
const TEXTERS = ['+254711000503'];
const STRANGER = '+254711000504';

async function api(g: TestGateway, method: 'GET' | 'POST', url: string, payload?: unknown) {
  const r = await g.app.inject({ method, url: `/api/v1${url}`, headers: AUTH, ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}) });
  return { status: r.statusCode, body: r.json() as Record<string, unknown> };
}

type ChannelCounts = { recipients: number; sent: number; delivered: number; delivery: Record<string, number> };

describe('campaigns by best channel', () => {
  it('texts the texters and calls the callers; unknown goes by the fallback; results count each channel', async () => {
    ({ gw, smsc, voice } = await channelGateway({ crm: { act: false }, campaigns: { tickSeconds: 3600 } }, '2026-11-10T06:00:00Z'));
    await plantHabits(gw, smsc, voice, { callers: CALLERS, texters: TEXTERS }, '2026-11-10', 3);
    await profile(gw, STRANGER, { language: 'en' });
    for (const m of [...CALLERS, ...TEXTERS, STRANGER]) await profile(gw, m, { region: 'Embu' });
    gw.clock.set('2026-11-13T06:00:00Z');
    await gw.core.crm.runPass();
    await gw.start();

    // The segment filter reads the same verdicts.
    const callersOnly = await api(gw, 'POST', '/segments/preview', { filter: { bestChannel: 'call' } });
    expect(callersOnly.body).toMatchObject({ count: 2 });
    const unknownOnly = await api(gw, 'POST', '/segments/preview', { filter: { region: 'Embu', bestChannel: 'unknown' } });
    expect(unknownOnly.body).toMatchObject({ count: 1 });

    const seg = (await api(gw, 'POST', '/segments', { name: 'Embu', filter: { region: 'Embu' } })).body;
    expect((await api(gw, 'POST', '/campaigns', { kind: 'sms', channel: 'best', segmentId: seg.id, text: { en: 'Rains are coming: dial *384*1#' }, schedule: { at: '2026-11-13T09:00:00+03:00' } })).body).toMatchObject({
      error: { code: 'INVALID_CAMPAIGN' },
    });
    const c = await api(gw, 'POST', '/campaigns', { kind: 'sms', channel: 'best', flowId: 'crop-advice', segmentId: seg.id, text: { en: 'Rains are coming: dial *384*1#' }, schedule: { at: '2026-11-13T09:00:00+03:00' } });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({ channel: 'best', fallbackChannel: 'sms', flowId: 'crop-advice' });

    const smsBefore = smsc.submits.length;
    const callsBefore = voice.calls.length;
    await gw.core.campaignScheduler.tick();
    await eventually(async () => ((await api(gw!, 'GET', `/campaigns/${String(c.body.id)}/results`)).body.totals as { delivered: number }).delivered === 4, { what: 'all four reached' });
    await voice.settle();
    expect(voice.calls.slice(callsBefore).map((x) => x.to).sort()).toEqual(CALLERS);
    expect(
      smsc.submits
        .slice(smsBefore)
        .map((x) => `+${x.to}`)
        .sort(),
    ).toEqual([...TEXTERS, STRANGER].sort());

    const results = (await api(gw, 'GET', `/campaigns/${String(c.body.id)}/results`)).body as { channel: string; totals: { recipients: number; delivered: number; byChannel: Record<'sms' | 'call', ChannelCounts> } };
    expect(results.channel).toBe('best');
    expect(results.totals).toMatchObject({ recipients: 4, delivered: 4 });
    expect(results.totals.byChannel.sms).toMatchObject({ recipients: 2, sent: 2, delivered: 2, delivery: { delivered: 2 } });
    expect(results.totals.byChannel.call).toMatchObject({ recipients: 2, sent: 2, delivered: 2, delivery: { answered: 2 } });

    // Fallback call: the subscriber with no verdict is called too.
    const seg2 = (await api(gw, 'POST', '/segments', { name: 'Unknown', filter: { region: 'Embu', bestChannel: 'unknown' } })).body;
    const c2 = await api(gw, 'POST', '/campaigns', { kind: 'sms', channel: 'best', fallbackChannel: 'call', flowId: 'crop-advice', segmentId: seg2.id, text: { en: 'Rains are coming' }, schedule: { at: '2026-11-13T09:00:00+03:00' } });
    await gw.core.campaignScheduler.tick();
    await eventually(async () => ((await api(gw!, 'GET', `/campaigns/${String(c2.body.id)}/results`)).body.totals as { delivered: number }).delivered === 1, { what: 'stranger called' });
    await voice.settle();
    expect(voice.calls.at(-1)!.to).toBe(STRANGER);
  });

  it('a poll by best channel: the texter answers the SMS question, the caller presses a key in the call', async () => {
    ({ gw, smsc, voice } = await channelGateway({ crm: { act: false }, campaigns: { tickSeconds: 3600 } }, '2026-11-10T06:00:00Z'));
    const [caller] = CALLERS;
    const [texter] = TEXTERS;
    await plantHabits(gw, smsc, voice, { callers: [caller!], texters: [texter!] }, '2026-11-10', 3);
    for (const m of [caller!, texter!]) await profile(gw, m, { region: 'Embu' });
    gw.clock.set('2026-11-13T06:00:00Z');
    await gw.core.crm.runPass();
    await gw.start();
    const poll = (await api(gw, 'POST', '/polls', { key: 'advice-useful', type: 'choice', question: { en: 'Was our advice useful to you?', sw: 'Je, ushauri wetu umekusaidia?' }, answers: [{ en: 'Yes', sw: 'Ndiyo' }, { en: 'No', sw: 'Hapana' }] })).body;
    const seg = (await api(gw, 'POST', '/segments', { name: 'Embu', filter: { region: 'Embu' } })).body;
    expect((await api(gw, 'POST', '/campaigns', { kind: 'poll', channel: 'best', pollId: poll.id, flowId: 'voice-guide', segmentId: seg.id, schedule: { at: '2026-11-13T09:00:00+03:00' } })).body).toMatchObject({ error: { code: 'INVALID_CAMPAIGN' } });
    expect((await api(gw, 'POST', '/campaigns', { kind: 'poll', channel: 'sms', fallbackChannel: 'call', pollId: poll.id, segmentId: seg.id, schedule: { at: '2026-11-13T09:00:00+03:00' } })).body).toMatchObject({ error: { code: 'INVALID_CAMPAIGN' } });
    const c = await api(gw, 'POST', '/campaigns', { kind: 'poll', channel: 'best', pollId: poll.id, flowId: 'crop-advice', segmentId: seg.id, schedule: { at: '2026-11-13T09:00:00+03:00' } });
    expect(c.body).toMatchObject({ channel: 'best', startNode: 'advice-useful' });

    voice.script(caller!, [{ kind: 'answer', keys: ['1'] }]);
    const before = smsc.submits.length;
    await gw.core.campaignScheduler.tick();
    await eventually(() => smsc!.submits.slice(before).find((x) => `+${x.to}` === texter), { what: 'poll SMS to the texter' });
    smsc.sendMo({ from: texter!.slice(1), to: '20123', text: '2' });
    await eventually(async () => ((await api(gw!, 'GET', `/polls/${String(poll.id)}/results`)).body.responses as number) === 2, { what: 'two answers' });
    await voice.settle();
    const results = (await api(gw, 'GET', `/polls/${String(poll.id)}/results`)).body;
    expect(results).toMatchObject({ responses: 2, answers: [{ index: 0, count: 1 }, { index: 1, count: 1 }], byChannel: { ivr: 1, sms: 1 } });
  });
});
