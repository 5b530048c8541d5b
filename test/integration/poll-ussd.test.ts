import { describe, expect, it } from 'vitest';
import { AUTH, stopAfterEach, testGateway, type TestGateway } from '../helpers/gateway';

let gw: TestGateway | null = null;
stopAfterEach(() => [gw]);

/** One USSD session through Africa's Talking: main menu, My account (4), Rate our advice (6), then the answer. */
async function rate(g: TestGateway, phoneNumber: string, sessionId: string, answer: string): Promise<string> {
  let body = '';
  for (const text of ['', '4', '4*6', `4*6*${answer}`]) {
    const res = await g.app.inject({
      method: 'POST',
      url: '/ussd/africastalking',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ sessionId, serviceCode: '*384*1#', phoneNumber, networkCode: '63902', text }).toString(),
    });
    body = res.body;
  }
  return body;
}

async function api(g: TestGateway, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) {
  const r = await g.app.inject({ method, url: `/api/v1${url}`, headers: AUTH, ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}) });
  return r.json() as Record<string, unknown>;
}

describe('a poll node in a USSD flow', () => {
  it('becomes a poll on first answer; answers count once per subscriber and show in the same results', async () => {
    gw = await testGateway({}, { now: '2026-11-20T06:00:00Z' });
    for (const [n, region] of [
      ['+254711000001', 'Nakuru'],
      ['+254711000002', 'Kisumu'],
    ] as const)
      await api(gw, 'PATCH', `/subscribers/${n}`, { language: 'en', region });

    expect(await rate(gw, '+254711000001', 'ussd-1', '1')).toMatch(/^END /);
    // The same subscriber answers again in a new session: acknowledged, not counted (the first answer counts).
    expect(await rate(gw, '+254711000001', 'ussd-2', '2')).toMatch(/^END /);
    await rate(gw, '+254711000002', 'ussd-3', '2');

    const polls = (await api(gw, 'GET', '/polls')).items as { id: string; key: string; flowId: string; answers: unknown[] }[];
    expect(polls).toHaveLength(1);
    expect(polls[0]).toMatchObject({ key: 'advice-useful', flowId: 'crop-advice', nodeId: 'advice-useful', answers: [{ en: 'Yes', sw: 'Ndiyo' }, { en: 'No', sw: 'Hapana' }] });
    const results = await api(gw, 'GET', `/polls/${polls[0]!.id}/results`);
    expect(results).toMatchObject({
      sent: 0,
      responses: 2,
      responseRate: null,
      answers: [
        { index: 0, label: 'Yes', count: 1 },
        { index: 1, label: 'No', count: 1 },
      ],
      byChannel: { ussd: 2 },
    });
    expect((results.byRegion as { region: string; responses: number }[]).map((r) => [r.region, r.responses])).toEqual([
      ['Kisumu', 1],
      ['Nakuru', 1],
    ]);

    // Results within a segment.
    const seg = await api(gw, 'POST', '/segments', { name: 'Nakuru', filter: { region: 'Nakuru' } });
    const inSegment = await api(gw, 'GET', `/polls/${polls[0]!.id}/results?segmentId=${seg.id}`);
    expect(inSegment).toMatchObject({ segment: { id: seg.id, name: 'Nakuru' }, responses: 1, answers: [{ index: 0, count: 1 }, { index: 1, count: 0 }] });
  });

  it('lands in a poll the content team created with the same key', async () => {
    gw = await testGateway({}, { now: '2026-11-20T06:00:00Z' });
    const created = await api(gw, 'POST', '/polls', {
      key: 'advice-useful',
      type: 'choice',
      question: { en: 'Was our advice useful to you?', sw: 'Je, ushauri wetu umekusaidia?' },
      answers: [
        { en: 'Yes', sw: 'Ndiyo' },
        { en: 'No', sw: 'Hapana' },
      ],
    });
    await api(gw, 'PATCH', '/subscribers/+254711000001', { language: 'en' });
    await rate(gw, '+254711000001', 'ussd-1', '2');
    expect(await api(gw, 'GET', `/polls/${created.id}/results`)).toMatchObject({ responses: 1, answers: [{ index: 0, count: 0 }, { index: 1, count: 1 }] });
    expect((await api(gw, 'GET', '/polls')).items).toHaveLength(1);
  });
});
