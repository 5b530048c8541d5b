import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { AUTH, stopAfterEach, testGateway, type TestGateway } from '../helpers/gateway';

let gw: TestGateway | null = null;
stopAfterEach(() => [gw]);

type Body = Record<string, unknown> & { error?: { code: string; message: string } };
async function api(g: TestGateway, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) {
  const r = await g.app.inject({ method, url: `/api/v1${url}`, headers: AUTH, ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}) });
  return { status: r.statusCode, body: r.json() as Body };
}

const reply = (g: TestGateway, from: string, text: string) => g.core.messaging.routeMo({ from, to: '20123', text, at: g.clock.now() });
// Ids of one process sort in creation order (src/lib/ids.ts): the tie-break within one millisecond.
const lastText = async (g: TestGateway, msisdn: string) =>
  (await g.core.database.get<{ text: string }>(sql`SELECT text FROM messages WHERE msisdn = ${msisdn} ORDER BY created_at DESC, id DESC LIMIT 1`))!.text;

describe('polls', () => {
  it('an NPS poll by SMS: scores 0-10, the NPS, and a clarification that names the range', async () => {
    gw = await testGateway({}, { now: '2026-11-20T06:00:00Z' });
    const people = ['+254722000001', '+254722000002', '+254722000003', '+254722000004'];
    for (const n of people) await api(gw, 'PATCH', `/subscribers/${n}`, { language: 'en', crop: 'tea' });
    const poll = await api(gw, 'POST', '/polls', { type: 'nps', question: { en: 'How likely are you to recommend Crop Advice to a friend?' } });
    expect(poll.status).toBe(201);
    const seg = await api(gw, 'POST', '/segments', { name: 'Tea', filter: { crop: 'tea' } });
    const c = await api(gw, 'POST', '/campaigns', { kind: 'poll', segmentId: seg.body.id, pollId: poll.body.id, text: { en: 'Hello from Crop Advice!' }, schedule: { at: '2026-11-20T06:00:00Z' } });
    await gw.core.campaignScheduler.tick();
    expect(await lastText(gw, people[0]!)).toBe('Hello from Crop Advice!\nHow likely are you to recommend Crop Advice to a friend?\nReply with a number from 0 (not at all likely) to 10 (extremely likely).');

    await reply(gw, people[0]!, '10');
    await reply(gw, people[1]!, '9!');
    await reply(gw, people[2]!, '3');
    expect(await reply(gw, people[3]!, 'eleven')).toBe('intercepted');
    expect(await lastText(gw, people[3]!)).toBe('Sorry, we did not understand "eleven". Please reply with a number from 0 to 10.');
    await reply(gw, people[3]!, '7');

    const r = await api(gw, 'GET', `/polls/${poll.body.id}/results`);
    // No SMSC is bound: the invitations are still queued, so none counts as sent or delivered; the
    // answers prove they arrived (here as simulated MO), so the rate is over those reached.
    expect(r.body).toMatchObject({ invited: 4, sent: 0, delivered: 0, reached: 4, responseRate: 1, responses: 4, nps: 25, npsBreakdown: { promoters: 2, passives: 1, detractors: 1 } });
    expect(r.body.delivery).toEqual({ sms: { queued: 4, sent: 0, delivered: 0, failed: 0, expired: 0, blocked: 0 } });
    expect((r.body.answers as { index: number; count: number }[]).filter((a) => a.count > 0).map((a) => a.index)).toEqual([3, 7, 9, 10]);
    expect((r.body.answers as unknown[]).length).toBe(11);
    expect((await api(gw, 'GET', `/campaigns/${c.body.id}/results`)).body).toMatchObject({ poll: { nps: 25 } });
  });

  it('accepts answers by keyword, stops taking replies once closed, and keeps counted answers stable', async () => {
    gw = await testGateway({}, { now: '2026-11-20T06:00:00Z' });
    for (const n of ['+254722000011', '+254722000012']) await api(gw, 'PATCH', `/subscribers/${n}`, { language: 'sw', crop: 'tea' });
    const poll = await api(gw, 'POST', '/polls', {
      type: 'choice',
      question: { en: 'Did it rain this week?', sw: 'Je, mvua ilinyesha wiki hii?' },
      answers: [
        { en: 'Yes', sw: 'Ndiyo' },
        { en: 'No', sw: 'Hapana' },
      ],
      keywords: [['NDIO', 'Y'], ['N']],
    });
    const seg = await api(gw, 'POST', '/segments', { name: 'Tea', filter: { crop: 'tea' } });
    await api(gw, 'POST', '/campaigns', { kind: 'poll', segmentId: seg.body.id, pollId: poll.body.id, schedule: { at: '2026-11-20T06:00:00Z' } });
    await gw.core.campaignScheduler.tick();
    expect(await reply(gw, '+254722000011', 'ndio')).toBe('intercepted');
    expect(await lastText(gw, '+254722000011')).toBe('Asante kwa jibu lako.');

    expect((await api(gw, 'PATCH', `/polls/${poll.body.id}`, { answers: [{ en: 'Yes', sw: 'Ndiyo' }, { en: 'No', sw: 'Hapana' }, { en: 'Maybe', sw: 'Labda' }] })).body.error).toMatchObject({
      code: 'POLL_HAS_ANSWERS',
    });
    expect((await api(gw, 'PATCH', `/polls/${poll.body.id}`, { status: 'closed' })).body).toMatchObject({ status: 'closed' });
    // Closed: the reply is not taken as an answer; it goes on to normal routing.
    expect(await reply(gw, '+254722000012', '2')).toBe('default');
    expect((await api(gw, 'GET', `/polls/${poll.body.id}/results`)).body).toMatchObject({ responses: 1, answers: [{ index: 0, count: 1 }, { index: 1, count: 0 }] });
    const closedCampaign = await api(gw, 'POST', '/campaigns', { kind: 'poll', segmentId: seg.body.id, pollId: poll.body.id, schedule: { at: '2026-11-21T06:00:00Z' } });
    expect(closedCampaign.body.error).toMatchObject({ code: 'INVALID_CAMPAIGN', message: expect.stringMatching(/is closed/) });
  });

  it('rejects polls that cannot be answered, saying why', async () => {
    gw = await testGateway();
    const err = async (body: Record<string, unknown>) => (await api(gw!, 'POST', '/polls', body)).body.error;
    expect(await err({ type: 'choice', question: { en: 'Q?' }, answers: [{ en: 'Only' }] })).toMatchObject({ code: 'INVALID_POLL', message: 'A choice poll needs 2 to 9 answers (one key each); got 1.' });
    expect(await err({ type: 'nps', question: { en: 'Q?' }, answers: [{ en: 'A' }, { en: 'B' }] })).toMatchObject({ code: 'INVALID_POLL', message: expect.stringMatching(/nps poll has no answers/) });
    expect(await err({ type: 'choice', question: { en: 'Q?', sw: 'S?' }, answers: [{ en: 'A', sw: 'A' }, { en: 'B' }] })).toMatchObject({
      code: 'INVALID_POLL',
      message: 'answers[1] has no text for sw (the question has en, sw).',
    });
    expect(await err({ type: 'choice', question: { en: 'Q?' }, answers: [{ en: 'A' }, { en: 'B' }], keywords: [['STOP']] })).toMatchObject({ code: 'INVALID_POLL', message: expect.stringMatching(/"STOP" is reserved/) });
    expect(await err({ type: 'choice', question: { en: 'Q?' }, answers: [{ en: 'A' }, { en: 'B' }], keywords: [['YES'], ['yes']] })).toMatchObject({ code: 'INVALID_POLL', message: expect.stringMatching(/given for answers 0 and 1/) });
    expect(await err({ type: 'survey', question: { en: 'Q?' } })).toMatchObject({ code: 'VALIDATION_ERROR' });
    expect(await err({ type: 'nps', question: { English: 'Q?' } })).toMatchObject({ code: 'INVALID_TEXT', message: 'question: "English" is not a language code (2-3 lower-case letters such as en or sw).' });
    await api(gw, 'POST', '/polls', { key: 'rain-check', type: 'nps', question: { en: 'Q?' } });
    expect(await err({ key: 'rain-check', type: 'nps', question: { en: 'Q?' } })).toMatchObject({ code: 'POLL_KEY_TAKEN' });
    expect((await api(gw, 'GET', '/polls/pol_nope/results')).status).toBe(404);
  });
});
