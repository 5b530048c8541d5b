import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { AUTH, eventually, stopAfterEach, testGateway, type TestGateway } from '../helpers/gateway';
import { FakeVoiceProvider } from '../fakes/voice-provider';

const API_KEY = 'at-test-key-0001';

let gw: TestGateway | null = null;
let fake: FakeVoiceProvider | null = null;
stopAfterEach(() => [fake, gw]);

async function api(g: TestGateway, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) {
  const r = await g.app.inject({ method, url: `/api/v1${url}`, headers: AUTH, ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}) });
  return r.json() as Record<string, unknown>;
}

describe('a poll campaign by outbound call', () => {
  it('calls the segment into the flow poll node; the keys pressed are counted', async () => {
    fake = await FakeVoiceProvider.start({ apiKey: API_KEY });
    gw = await testGateway(
      { ivr: { africastalking: { baseUrl: fake.baseUrl, apiKey: API_KEY, username: 'vasgw', callerId: '+254711082000' } }, campaigns: { tickSeconds: 3600 } },
      { now: '2026-11-20T06:00:00Z' },
    );
    await gw.app.listen({ port: 0, host: '127.0.0.1' });
    fake.gatewayUrl = `http://127.0.0.1:${(gw.app.server.address() as AddressInfo).port}`;
    await gw.start();

    const farmers = { '+254711000101': '1', '+254711000102': '2', '+254711000103': '2' } as const;
    for (const n of Object.keys(farmers)) await api(gw, 'PATCH', `/subscribers/${n}`, { language: 'sw', region: 'Embu' });
    await api(gw, 'PATCH', '/subscribers/+254711000199', { language: 'sw', region: 'Meru' });
    for (const [n, key] of Object.entries(farmers)) fake.script(n, [{ kind: 'answer', keys: [key] }]);

    const poll = await api(gw, 'POST', '/polls', {
      key: 'advice-useful',
      type: 'choice',
      question: { en: 'Was our advice useful to you?', sw: 'Je, ushauri wetu umekusaidia?' },
      answers: [
        { en: 'Yes', sw: 'Ndiyo' },
        { en: 'No', sw: 'Hapana' },
      ],
    });
    const seg = await api(gw, 'POST', '/segments', { name: 'Embu', filter: { region: 'Embu' } });
    const c = await api(gw, 'POST', '/campaigns', { kind: 'poll', channel: 'call', flowId: 'crop-advice', segmentId: seg.id, pollId: poll.id, schedule: { at: '2026-11-20T09:00:00+03:00' } });
    expect(c).toMatchObject({ status: 'running', channel: 'call', flowId: 'crop-advice', startNode: 'advice-useful' });

    await gw.core.campaignScheduler.tick();
    await eventually(async () => ((await api(gw!, 'GET', `/polls/${poll.id}/results`)).responses as number) === 3, { what: 'three answers' });
    await fake.settle();

    expect(fake.calls.map((x) => x.to).sort()).toEqual(Object.keys(farmers));
    const results = await api(gw, 'GET', `/polls/${poll.id}/results`);
    expect(results).toMatchObject({ sent: 3, responses: 3, responseRate: 1, answers: [{ index: 0, count: 1 }, { index: 1, count: 2 }], byChannel: { ivr: 3 } });
    // The spoken question came from the poll node, in the subscriber's language.
    const spoken = fake.exchanges.get(fake.calls[0]!.sessionId)!;
    expect(spoken[0]!.body).toContain('Je, ushauri wetu umekusaidia?');
    const campaignResults = await api(gw, 'GET', `/campaigns/${c.id}/results`);
    expect(campaignResults).toMatchObject({ totals: { recipients: 3, queued: 3 }, poll: { responses: 3 } });
  });
});
