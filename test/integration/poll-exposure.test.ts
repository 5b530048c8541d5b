import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config';
import { FakeSmsc } from '../fakes/smsc';
import { FakeVoiceProvider } from '../fakes/voice-provider';
import { AUTH, eventually, stopAfterEach, testGateway, type TestGateway } from '../helpers/gateway';

let gw: TestGateway | null = null;
let smsc: FakeSmsc | null = null;
let voice: FakeVoiceProvider | null = null;
stopAfterEach(() => [voice, gw, smsc]);

async function api(g: TestGateway, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) {
  const r = await g.app.inject({ method, url: `/api/v1${url}`, headers: AUTH, ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}) });
  return r.json() as Record<string, unknown>;
}

const QUESTION = {
  type: 'choice',
  question: { en: 'Did the planting advice help you?', sw: 'Je, ushauri wa kupanda ulikusaidia?' },
  answers: [
    { en: 'Yes', sw: 'Ndiyo' },
    { en: 'No', sw: 'Hapana' },
  ],
};

describe('poll results count what reached the subscriber', () => {
  it('with no SMSC bound the invitations stay queued: sent 0, delivered 0, no response rate', async () => {
    gw = await testGateway({ campaigns: { tickSeconds: 3600 } }, { now: '2026-11-20T06:00:00Z' });
    await gw.start();
    const farmers = ['+254733000001', '+254733000002', '+254733000003', '+254733000004', '+254733000005'];
    for (const n of farmers) await api(gw, 'PATCH', `/subscribers/${n}`, { language: 'en', crop: 'sorghum' });
    const poll = await api(gw, 'POST', '/polls', QUESTION);
    const seg = await api(gw, 'POST', '/segments', { name: 'Sorghum', filter: { crop: 'sorghum' } });
    const c = await api(gw, 'POST', '/campaigns', { kind: 'poll', segmentId: seg.id, pollId: poll.id, schedule: { at: '2026-11-20T06:00:00Z' } });
    await gw.core.campaignScheduler.tick();

    const results = await api(gw, 'GET', `/polls/${poll.id}/results`);
    expect(results).toMatchObject({ invited: 5, sent: 0, delivered: 0, reached: 0, responses: 0, responseRate: null });
    expect(results.delivery).toEqual({ sms: { queued: 5, sent: 0, delivered: 0, failed: 0, expired: 0, blocked: 0 } });
    const campaign = await api(gw, 'GET', `/campaigns/${c.id}/results`);
    expect(campaign.totals).toEqual({ recipients: 5, queued: 5, blocked: 0, sent: 0, delivered: 0, delivery: { queued: 5, sent: 0, delivered: 0, failed: 0, expired: 0, blocked: 0 } });
    expect((campaign.runs as Record<string, unknown>[])[0]).toMatchObject({ sent: 0, delivered: 0, delivery: { queued: 5 } });
  });

  it('an SMS poll: undeliverable invitations are sent but not delivered; the response rate is over those reached', async () => {
    smsc = await new FakeSmsc({ receiptStatFor: (to) => (to.endsWith('1') || to.endsWith('2') ? 'DELIVRD' : 'UNDELIV') }).start();
    const binds = [{ id: 'trx', host: '127.0.0.1', port: smsc.port, systemId: 'vasgw', password: 'secret', mode: 'transceiver', sourceAddr: '20123' }];
    gw = await testGateway({ smpp: { binds: binds as Config['smpp']['binds'] }, messaging: { dispatch: { pollMs: 10 } }, campaigns: { tickSeconds: 3600 } } as never, { now: '2026-11-20T06:00:00Z' });
    await gw.start();
    await eventually(async () => (await gw!.app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200, { what: 'bind ready' });
    const farmers = ['+254733000011', '+254733000012', '+254733000013', '+254733000014'];
    for (const n of farmers) await api(gw, 'PATCH', `/subscribers/${n}`, { language: 'en', crop: 'millet' });
    const poll = await api(gw, 'POST', '/polls', QUESTION);
    const seg = await api(gw, 'POST', '/segments', { name: 'Millet', filter: { crop: 'millet' } });
    const c = await api(gw, 'POST', '/campaigns', { kind: 'poll', segmentId: seg.id, pollId: poll.id, schedule: { at: '2026-11-20T06:00:00Z' } });
    await gw.core.campaignScheduler.tick();
    await eventually(async () => ((await api(gw!, 'GET', `/polls/${poll.id}/results`)).delivery as { sms: Record<string, number> }).sms.failed === 2, { what: 'receipts' });
    // One of the two who got it answers.
    smsc.sendMo({ from: '254733000011', to: '20123', text: '1' });
    await eventually(async () => (await api(gw!, 'GET', `/polls/${poll.id}/results`)).responses === 1, { what: 'the answer' });

    const results = await api(gw, 'GET', `/polls/${poll.id}/results`);
    expect(results).toMatchObject({ invited: 4, sent: 4, delivered: 2, reached: 2, responses: 1, responseRate: 0.5 });
    expect(results.delivery).toEqual({ sms: { queued: 0, sent: 0, delivered: 2, failed: 2, expired: 0, blocked: 0 } });
    const campaign = await api(gw, 'GET', `/campaigns/${c.id}`);
    expect((campaign.latestRuns as Record<string, unknown>[])[0]).toMatchObject({ queued: 4, sent: 4, delivered: 2, delivery: { delivered: 2, failed: 2 } });
  });

  it('a call poll whose dials the provider refuses: sent 0, failed counted, nothing answered', async () => {
    voice = await FakeVoiceProvider.start({ apiKey: 'at-test-key-0001', refuse: () => ({ entryStatus: 'InvalidPhoneNumber' }) });
    gw = await testGateway(
      { ivr: { africastalking: { baseUrl: voice.baseUrl, apiKey: 'at-test-key-0001', username: 'vasgw', callerId: '+254711082000' } }, campaigns: { tickSeconds: 3600 } },
      { now: '2026-11-20T06:00:00Z' },
    );
    await gw.app.listen({ port: 0, host: '127.0.0.1' });
    voice.gatewayUrl = `http://127.0.0.1:${(gw.app.server.address() as AddressInfo).port}`;
    await gw.start();
    const farmers = ['+254711000201', '+254711000202', '+254711000203', '+254711000204'];
    for (const n of farmers) await api(gw, 'PATCH', `/subscribers/${n}`, { language: 'sw', region: 'Kitui' });
    const poll = await api(gw, 'POST', '/polls', { key: 'advice-useful', ...QUESTION });
    const seg = await api(gw, 'POST', '/segments', { name: 'Kitui', filter: { region: 'Kitui' } });
    const c = await api(gw, 'POST', '/campaigns', { kind: 'poll', channel: 'call', flowId: 'crop-advice', segmentId: seg.id, pollId: poll.id, schedule: { at: '2026-11-20T06:00:00Z' } });
    await gw.core.campaignScheduler.tick();
    await eventually(async () => ((await api(gw!, 'GET', `/campaigns/${c.id}/results`)).totals as { delivery: Record<string, number> }).delivery.failed === 4, { what: 'four refused dials' });

    const campaign = await api(gw, 'GET', `/campaigns/${c.id}/results`);
    expect(campaign.totals).toEqual({ recipients: 4, queued: 4, blocked: 0, sent: 0, delivered: 0, delivery: { queued: 0, dialling: 0, answered: 0, not_answered: 0, failed: 4, blocked: 0 } });
    const results = await api(gw, 'GET', `/polls/${poll.id}/results`);
    expect(results).toMatchObject({ invited: 4, sent: 0, delivered: 0, reached: 0, responses: 0, responseRate: null });
    expect(results.delivery).toEqual({ call: { queued: 0, dialling: 0, answered: 0, not_answered: 0, failed: 4, blocked: 0 } });
  });
});
