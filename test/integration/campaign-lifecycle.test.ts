import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { SECOND } from '../../src/lib/clock';
import { AUTH, stopAfterEach, testGateway, type TestGateway } from '../helpers/gateway';

let gw: TestGateway | null = null;
stopAfterEach(() => [gw]);

type Body = Record<string, unknown> & { error?: { code: string; message: string } };
async function api(g: TestGateway, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) {
  const r = await g.app.inject({ method, url: `/api/v1${url}`, headers: AUTH, ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}) });
  return { status: r.statusCode, body: (r.body ? r.json() : {}) as Body };
}

const dueTimes = async (g: TestGateway, campaignId: string) =>
  (await g.core.database.all<{ t: number }>(sql`SELECT due_at AS t FROM messages WHERE source = 'campaign' AND source_ref = ${campaignId} ORDER BY due_at`)).map((r) =>
    new Date(Number(r.t)).toISOString().slice(11, 23),
  );

async function tenFarmers(g: TestGateway): Promise<string> {
  for (let i = 0; i < 10; i++) await api(g, 'PATCH', `/subscribers/+25470000001${i}`, { region: 'Meru', language: i % 2 ? 'sw' : 'en' });
  return (await api(g, 'POST', '/segments', { name: 'Meru', filter: { region: 'Meru' } })).body.id as string;
}

describe('campaign controls', () => {
  it('paces a rate-limited campaign, pauses, resumes without a burst, and cancels', async () => {
    gw = await testGateway({ campaigns: { tickSeconds: 1 } }, { now: '2026-11-20T06:00:00Z' });
    const segmentId = await tenFarmers(gw);
    const c = await api(gw, 'POST', '/campaigns', { name: 'Meru tips', kind: 'sms', segmentId, text: { en: 'Tip', sw: 'Dokezo' }, ratePerSecond: 2, schedule: { at: '2026-11-20T06:00:00Z' } });
    const id = c.body.id as string;
    const tick = () => gw!.core.campaignScheduler.tick();

    await tick();
    expect(await dueTimes(gw, id)).toEqual(['06:00:00.000', '06:00:00.500']);
    gw.clock.advance(SECOND);
    await tick();
    expect(await dueTimes(gw, id)).toEqual(['06:00:00.000', '06:00:00.500', '06:00:01.000', '06:00:01.500']);

    expect((await api(gw, 'POST', `/campaigns/${id}/pause`)).body).toMatchObject({ status: 'paused', latestRuns: [expect.objectContaining({ status: 'paused', queued: 4, pending: 6 })] });
    gw.clock.advance(10 * SECOND);
    await tick();
    expect(await dueTimes(gw, id)).toHaveLength(4);
    expect((await api(gw, 'POST', `/campaigns/${id}/pause`)).body.error).toMatchObject({ code: 'INVALID_STATE' });

    expect((await api(gw, 'POST', `/campaigns/${id}/resume`)).body.status).toBe('running');
    await tick();
    // Pacing restarts at the resume: two a second from 06:00:11, not ten seconds' worth at once.
    expect((await dueTimes(gw, id)).slice(4)).toEqual(['06:00:11.000', '06:00:11.500']);

    expect((await api(gw, 'POST', `/campaigns/${id}/cancel`)).body.status).toBe('cancelled');
    gw.clock.advance(10 * SECOND);
    await tick();
    expect(await dueTimes(gw, id)).toHaveLength(6);
    const results = await api(gw, 'GET', `/campaigns/${id}/results`);
    expect(results.body).toMatchObject({ status: 'cancelled', totals: { recipients: 10, queued: 6, blocked: 0 }, runs: [expect.objectContaining({ status: 'cancelled', pending: 4, delivery: { queued: 6 } })] });
    const pending = await api(gw, 'GET', `/campaigns/${id}/recipients?status=pending&limit=2`);
    expect(pending.body.items).toEqual([expect.objectContaining({ status: 'pending', ref: null }), expect.objectContaining({ status: 'pending', ref: null })]);
    expect(pending.body.nextCursor).toEqual(expect.any(Number));
    expect((await api(gw, 'POST', `/campaigns/${id}/resume`)).body.error).toMatchObject({ code: 'INVALID_STATE' });
  });

  it('keeps a draft until it is started; changes what has not been sent yet', async () => {
    gw = await testGateway({}, { now: '2026-11-20T06:00:00Z' });
    const segmentId = await tenFarmers(gw);
    const draft = await api(gw, 'POST', '/campaigns', { kind: 'sms', segmentId, text: { en: 'Old text' }, schedule: { at: '2026-11-20T06:00:00Z' }, draft: true });
    expect(draft.body).toMatchObject({ status: 'draft', nextRunAt: null });
    const id = draft.body.id as string;
    await gw.core.campaignScheduler.tick();
    expect(await dueTimes(gw, id)).toEqual([]);

    const patched = await api(gw, 'PATCH', `/campaigns/${id}`, { text: { en: 'New text', sw: 'Maandishi mapya' }, name: 'Renamed' });
    expect(patched.body).toMatchObject({ name: 'Renamed', text: { en: 'New text', sw: 'Maandishi mapya' } });
    const moved = await api(gw, 'POST', `/campaigns/${id}/schedule`, { at: '2026-11-21T06:00:00Z' });
    expect(moved.body).toMatchObject({ status: 'draft', schedule: { at: '2026-11-21T06:00:00.000Z', timezone: 'Africa/Nairobi' } });

    const started = await api(gw, 'POST', `/campaigns/${id}/start`);
    expect(started.body).toMatchObject({ status: 'scheduled', nextRunAt: '2026-11-21T06:00:00.000Z' });
    gw.clock.set('2026-11-21T06:00:00Z');
    await gw.core.campaignScheduler.tick();
    const texts = await gw.core.database.all<{ text: string }>(sql`SELECT DISTINCT text FROM messages WHERE source_ref = ${id} ORDER BY text`);
    expect(texts.map((t) => t.text)).toEqual(['Maandishi mapya', 'New text']);
    expect((await api(gw, 'PATCH', `/campaigns/${id}`, { name: 'Too late' })).body.error).toMatchObject({ code: 'CAMPAIGN_FINISHED' });
    // A segment a live campaign uses cannot be deleted; one nobody uses can.
    const other = await api(gw, 'POST', '/campaigns', { kind: 'sms', segmentId, text: { en: 'x' }, schedule: { cron: '0 8 * * *' } });
    expect((await api(gw, 'DELETE', `/segments/${segmentId}`)).body.error).toMatchObject({ code: 'SEGMENT_IN_USE' });
    await api(gw, 'POST', `/campaigns/${other.body.id}/cancel`);
    expect((await api(gw, 'DELETE', `/segments/${segmentId}`)).status).toBe(204);
  });

  it('answers 4xx with a clear message for campaigns that cannot work', async () => {
    gw = await testGateway({}, { now: '2026-11-20T06:00:00Z' });
    const segmentId = await tenFarmers(gw);
    const at = { at: '2026-11-21T06:00:00Z' };
    const err = async (body: Record<string, unknown>) => (await api(gw!, 'POST', '/campaigns', body)).body.error;
    expect(await err({ kind: 'sms', segmentId: 'seg_nope', text: { en: 'x' }, schedule: at })).toMatchObject({ code: 'SEGMENT_NOT_FOUND' });
    expect(await err({ kind: 'sms', segmentId, schedule: at })).toMatchObject({ code: 'INVALID_CAMPAIGN', message: expect.stringMatching(/needs text per language/) });
    expect(await err({ kind: 'poll', segmentId, schedule: at })).toMatchObject({ code: 'INVALID_CAMPAIGN', message: expect.stringMatching(/needs pollId/) });
    expect(await err({ kind: 'poll', segmentId, pollId: 'pol_nope', schedule: at })).toMatchObject({ code: 'POLL_NOT_FOUND' });
    expect(await err({ kind: 'call', segmentId, flowId: 'no-such-flow', schedule: at })).toMatchObject({ code: 'UNKNOWN_FLOW' });
    expect(await err({ kind: 'call', segmentId, flowId: 'voice-guide', startNode: 'nowhere', schedule: at })).toMatchObject({ code: 'INVALID_CAMPAIGN', message: expect.stringMatching(/no node "nowhere"/) });
    expect(await err({ kind: 'fax', segmentId, schedule: at })).toMatchObject({ code: 'VALIDATION_ERROR' });
    expect(await err({ kind: 'sms', segmentId, text: { en: 'x' }, schedule: at, ratePerSecond: 0 })).toMatchObject({ code: 'VALIDATION_ERROR', message: expect.stringMatching(/ratePerSecond/) });
    const poll = await api(gw, 'POST', '/polls', { type: 'choice', question: { en: 'Q?' }, answers: [{ en: 'A' }, { en: 'B' }] });
    expect(await err({ kind: 'poll', segmentId, pollId: poll.body.id, channel: 'call', flowId: 'voice-guide', schedule: at })).toMatchObject({
      code: 'INVALID_CAMPAIGN',
      message: expect.stringMatching(/has no poll node for this poll/),
    });
    expect((await api(gw, 'GET', '/campaigns/cmp_nope')).status).toBe(404);
  });
});
