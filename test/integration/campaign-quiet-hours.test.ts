import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { AUTH, stopAfterEach, testGateway, type TestGateway } from '../helpers/gateway';

let gw: TestGateway | null = null;
stopAfterEach(() => [gw]);

async function api(g: TestGateway, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) {
  const r = await g.app.inject({ method, url: `/api/v1${url}`, headers: AUTH, ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}) });
  return { status: r.statusCode, body: r.json() as Record<string, unknown> };
}

const outbox = (g: TestGateway, campaignId: string) =>
  g.core.database.all<{ msisdn: string; dueAt: number }>(sql`SELECT msisdn, due_at AS "dueAt" FROM messages WHERE source = 'campaign' AND source_ref = ${campaignId} ORDER BY msisdn`);

describe('quiet hours', () => {
  it('hold a campaign started in the evening until the morning, then it goes', async () => {
    // 21:00 in Nairobi; quiet hours are 20:00-07:00 there (config/default.yaml).
    gw = await testGateway({}, { now: '2026-11-20T18:00:00Z' });
    for (const n of ['+254700000001', '+254700000002', '+254700000003']) await api(gw, 'PATCH', `/subscribers/${n}`, { crop: 'beans' });
    const seg = await api(gw, 'POST', '/segments', { name: 'Beans', filter: { crop: 'beans' } });
    const c = await api(gw, 'POST', '/campaigns', { kind: 'sms', segmentId: seg.body.id, text: { en: 'Harvest beans when the pods are dry.' }, schedule: { at: '2026-11-20T18:00:00Z' } });
    expect(c.body.status).toBe('running');
    const id = c.body.id as string;

    await gw.core.campaignScheduler.tick();
    expect(await outbox(gw, id)).toEqual([]);
    const held = await api(gw, 'GET', `/campaigns/${id}`);
    expect(held.body.latestRuns).toEqual([expect.objectContaining({ status: 'sending', total: 3, queued: 0, pending: 3, deferredUntil: '2026-11-21T04:00:00.000Z' })]);

    gw.clock.set('2026-11-21T03:59:00Z');
    await gw.core.campaignScheduler.tick();
    expect(await outbox(gw, id)).toEqual([]);

    gw.clock.set('2026-11-21T04:00:00Z'); // 07:00 in Nairobi
    await gw.core.campaignScheduler.tick();
    expect((await outbox(gw, id)).map((m) => m.msisdn)).toEqual(['+254700000001', '+254700000002', '+254700000003']);
    expect((await api(gw, 'GET', `/campaigns/${id}`)).body.status).toBe('completed');
  });

  it('stop a rate-limited run at the start of quiet hours instead of piling messages up for the morning', async () => {
    gw = await testGateway({ campaigns: { tickSeconds: 1 } }, { now: '2026-11-20T16:59:58Z' }); // 19:59:58 in Nairobi
    for (let i = 1; i <= 6; i++) await api(gw, 'PATCH', `/subscribers/+25470000000${i}`, { crop: 'maize' });
    const seg = await api(gw, 'POST', '/segments', { name: 'Maize', filter: { crop: 'maize' } });
    const c = await api(gw, 'POST', '/campaigns', { kind: 'sms', segmentId: seg.body.id, text: { en: 'Top-dress maize now.' }, ratePerSecond: 1, schedule: { at: '2026-11-20T16:59:58Z' } });
    const id = c.body.id as string;
    // One a second, handed over a tick ahead of its slot: :58 now, :59 a second later.
    await gw.core.campaignScheduler.tick();
    gw.clock.set('2026-11-20T16:59:59Z');
    await gw.core.campaignScheduler.tick();
    const dueTimes = async () => (await outbox(gw!, id)).map((m) => new Date(Number(m.dueAt)).toISOString()).sort();
    expect(await dueTimes()).toEqual(['2026-11-20T16:59:58.000Z', '2026-11-20T16:59:59.000Z']);
    // The next slot would fall at 20:00: the run waits for the morning.
    for (const t of ['2026-11-20T17:00:00Z', '2026-11-20T21:30:00Z', '2026-11-21T03:59:59Z']) {
      gw.clock.set(t);
      await gw.core.campaignScheduler.tick();
    }
    expect(await dueTimes()).toHaveLength(2);
    // The morning resumes at one a second, not all at once.
    gw.clock.set('2026-11-21T04:00:00Z');
    await gw.core.campaignScheduler.tick();
    gw.clock.set('2026-11-21T04:00:01Z');
    await gw.core.campaignScheduler.tick();
    expect((await dueTimes()).slice(2)).toEqual(['2026-11-21T04:00:00.000Z', '2026-11-21T04:00:01.000Z']);
  });
});
