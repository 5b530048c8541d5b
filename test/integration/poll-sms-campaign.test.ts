import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config';
import { FakeSmsc } from '../fakes/smsc';
import { AUTH, eventually, stopAfterEach, testGateway, type TestGateway } from '../helpers/gateway';

let gw: TestGateway | null = null;
let smsc: FakeSmsc | null = null;
stopAfterEach(() => [gw, smsc]);

const CSV = [
  'msisdn,language,region,crop',
  '0700000001,en,Nakuru,maize',
  '+254700000002,sw,Nakuru,maize',
  '254700000003,sw,nakuru,Maize',
  '0700000004,en,Nakuru,beans',
  '0700000005,sw,Kisumu,maize',
  '0700000006,en,,maize',
].join('\n');

async function api(g: TestGateway, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) {
  const r = await g.app.inject({ method, url: `/api/v1${url}`, headers: AUTH, ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}) });
  return { status: r.statusCode, body: r.body ? (r.json() as Record<string, unknown> & { [k: string]: unknown }) : {} };
}

/** A gateway bound to the fake SMSC (transceiver), at `now`. */
async function bound(now: string): Promise<{ g: TestGateway; s: FakeSmsc }> {
  smsc = await new FakeSmsc().start();
  const binds = [{ id: 'trx', host: '127.0.0.1', port: smsc.port, systemId: 'vasgw', password: 'secret', mode: 'transceiver', sourceAddr: '20123' }];
  gw = await testGateway({ smpp: { binds: binds as Config['smpp']['binds'] }, messaging: { dispatch: { pollMs: 10 } }, campaigns: { tickSeconds: 3600 } } as never, { now });
  await gw.start();
  await eventually(async () => (await gw!.app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200, { what: 'bind ready' });
  return { g: gw, s: smsc };
}

/** The texts the SMSC received for a number (without the +), in order. */
const received = (s: FakeSmsc, to: string) => s.messages().filter((m) => m.to === to).map((m) => m.text);

/** Sends an MO from a farmer and waits for the gateway's next SMS to them. */
async function reply(s: FakeSmsc, from: string, text: string): Promise<string> {
  const before = received(s, from).length;
  s.sendMo({ from, to: '20123', text });
  return eventually(() => received(s, from)[before], { what: `the reply to "${text}"` });
}

describe('a poll campaign by SMS', () => {
  it('reaches exactly the Nakuru maize growers, counts their replies and clarifies an invalid reply once', async () => {
    const { g, s } = await bound('2026-11-20T06:00:00Z'); // 09:00 in Nairobi
    const imported = await g.app.inject({ method: 'POST', url: '/api/v1/subscribers/import', headers: { ...AUTH, 'content-type': 'text/csv' }, payload: CSV });
    expect(imported.json()).toMatchObject({ created: 6, updated: 0, rejected: 0 });

    const seg = await api(g, 'POST', '/segments', { name: 'Nakuru maize', filter: { region: 'Nakuru', crop: 'maize' } });
    expect(seg.status).toBe(201);
    expect(seg.body.count).toBe(3);

    const poll = await api(g, 'POST', '/polls', {
      type: 'choice',
      question: { en: 'Did the planting advice help you?', sw: 'Je, ushauri wa kupanda ulikusaidia?' },
      answers: [
        { en: 'Yes', sw: 'Ndiyo' },
        { en: 'No', sw: 'Hapana' },
      ],
    });
    expect(poll.status).toBe(201);
    const campaign = await api(g, 'POST', '/campaigns', { kind: 'poll', segmentId: seg.body.id, pollId: poll.body.id, schedule: { at: '2026-11-20T09:00:00+03:00' } });
    expect(campaign.status).toBe(201);
    expect(campaign.body.status).toBe('running');
    await g.core.campaignScheduler.tick();

    // Exactly the three Nakuru maize growers get the poll, each in their language.
    await eventually(() => s.messages().length >= 3, { what: 'three poll SMS at the SMSC' });
    expect(s.messages().map((m) => m.to).sort()).toEqual(['254700000001', '254700000002', '254700000003']);
    expect(received(s, '254700000001')).toEqual(['Did the planting advice help you?\n1. Yes\n2. No\nReply with the number of your answer.']);
    expect(received(s, '254700000002')).toEqual(['Je, ushauri wa kupanda ulikusaidia?\n1. Ndiyo\n2. Hapana\nJibu kwa kutuma namba ya jibu lako.']);

    expect(await reply(s, '254700000001', ' 1 ')).toBe('Thank you for your answer.');
    expect(await reply(s, '254700000002', 'ndiyo')).toBe('Asante kwa jibu lako.');
    expect(await reply(s, '254700000003', 'maybe')).toBe('Samahani, hatukuelewa "maybe". Tafadhali jibu kwa namba kutoka 1 hadi 2.');
    // A second unreadable reply gets no second clarification: it goes on to normal routing.
    expect(await reply(s, '254700000003', 'perhaps later')).toBe('Samahani, hatukuelewa. Tuma MSAADA kwa usaidizi au piga *384*1#.');
    expect(await reply(s, '254700000003', '2')).toBe('Asante kwa jibu lako.');
    // The first answer counts; a later one is acknowledged, not counted.
    expect(await reply(s, '254700000001', '2')).toBe('Thank you. You already answered this question; your first answer is the one we count.');
    // STOP still works while a poll is open.
    expect(await reply(s, '254700000002', 'STOP')).toMatch(/^Hutapokea ujumbe/);
    expect(received(s, '254700000003').filter((t) => t.includes('Tafadhali jibu kwa namba'))).toHaveLength(1);
    expect(s.messages().filter((m) => !['254700000001', '254700000002', '254700000003'].includes(m.to))).toEqual([]);

    const results = await api(g, 'GET', `/polls/${poll.body.id}/results`);
    expect(results.status).toBe(200);
    expect(results.body).toMatchObject({
      sent: 3,
      responses: 3,
      responseRate: 1,
      answers: [
        { index: 0, count: 2 },
        { index: 1, count: 1 },
      ],
    });
    expect(results.body.byRegion).toEqual([
      {
        region: 'Nakuru',
        invited: 3,
        sent: 3,
        delivered: 3,
        reached: 3,
        delivery: { sms: { queued: 0, sent: 0, delivered: 3, failed: 0, expired: 0, blocked: 0 } },
        responseRate: 1,
        responses: 3,
        answers: [
          { index: 0, label: 'Yes', count: 2, share: 0.667 },
          { index: 1, label: 'No', count: 1, share: 0.333 },
        ],
      },
    ]);
    expect(results.body.byChannel).toEqual({ sms: 3 });

    // The answers are poll_answer usage events and drive segments.
    const events = await api(g, 'GET', '/subscribers/+254700000001/events?limit=20');
    const answers = (events.body as unknown as { type: string; detail: { counted: boolean } }[]).filter((e) => e.type === 'poll_answer');
    expect(answers.map((e) => e.detail.counted)).toEqual([false, true]);
    const said = await api(g, 'POST', '/segments/preview', { filter: { poll: { pollId: poll.body.id, answers: [1] }, includeOptedOut: true } });
    expect(said.body.count).toBe(1);

    const csv = await g.app.inject({ method: 'GET', url: `/api/v1/polls/${poll.body.id}/results.csv`, headers: AUTH });
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    const lines = csv.body.trim().split('\n');
    expect(lines[0]).toBe('msisdn,answer_index,answer_label,channel,campaign_id,answered_at,region,crop,language,operator');
    expect(lines.slice(1).sort()).toEqual([
      `+254700000001,0,Yes,sms,${campaign.body.id},2026-11-20T06:00:00.000Z,Nakuru,maize,en,`,
      `+254700000002,0,Yes,sms,${campaign.body.id},2026-11-20T06:00:00.000Z,Nakuru,maize,sw,`,
      `+254700000003,1,No,sms,${campaign.body.id},2026-11-20T06:00:00.000Z,nakuru,Maize,sw,`,
    ]);

    const done = await api(g, 'GET', `/campaigns/${campaign.body.id}`);
    expect(done.body).toMatchObject({ status: 'completed', runs: 1 });
  });
});
