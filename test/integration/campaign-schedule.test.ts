import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { MINUTE, SECOND } from '../../src/lib/clock';
import { AUTH, stopAfterEach, testGateway, type TestGateway } from '../helpers/gateway';

let gw: TestGateway | null = null;
stopAfterEach(() => [gw]);

async function api(g: TestGateway, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) {
  const r = await g.app.inject({ method, url: `/api/v1${url}`, headers: AUTH, ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}) });
  return { status: r.statusCode, body: r.json() as Record<string, unknown> & { error?: { code: string; message: string } } };
}

const sentTo = async (g: TestGateway, campaignId: string) =>
  (await g.core.database.all<{ msisdn: string }>(sql`SELECT msisdn FROM messages WHERE source = 'campaign' AND source_ref = ${campaignId} ORDER BY msisdn`)).map((r) => r.msisdn);

async function twoFarmers(g: TestGateway): Promise<string> {
  for (const n of ['+254700000001', '+254700000002']) await api(g, 'PATCH', `/subscribers/${n}`, { region: 'Nakuru', crop: 'maize', language: 'en' });
  const seg = await api(g, 'POST', '/segments', { name: 'Nakuru', filter: { region: 'Nakuru' } });
  return seg.body.id as string;
}

describe('recurring campaigns', () => {
  it('fire at the cron time in the campaign time zone, once per slot, every week', async () => {
    gw = await testGateway({}, { now: '2026-11-16T03:00:00Z' }); // Monday 06:00 in Nairobi
    const segmentId = await twoFarmers(gw);
    const created = await api(gw, 'POST', '/campaigns', {
      kind: 'sms',
      segmentId,
      text: { en: 'Weekly tip: weed your maize two weeks after it comes up.' },
      schedule: { cron: '30 7 * * 1', timezone: 'Africa/Nairobi' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'scheduled', nextRunAt: '2026-11-16T04:30:00.000Z' });
    const id = created.body.id as string;

    await gw.core.campaignScheduler.tick();
    gw.clock.set('2026-11-16T04:29:59Z');
    await gw.core.campaignScheduler.tick();
    expect(await sentTo(gw, id)).toEqual([]);

    gw.clock.advance(SECOND);
    await gw.core.campaignScheduler.tick();
    expect(await sentTo(gw, id)).toEqual(['+254700000001', '+254700000002']);
    gw.clock.advance(MINUTE);
    await gw.core.campaignScheduler.tick();
    expect(await sentTo(gw, id)).toHaveLength(2);
    expect((await api(gw, 'GET', `/campaigns/${id}`)).body).toMatchObject({ status: 'scheduled', runs: 1, nextRunAt: '2026-11-23T04:30:00.000Z' });

    gw.clock.set('2026-11-23T04:30:00Z');
    await gw.core.campaignScheduler.tick();
    expect(await sentTo(gw, id)).toHaveLength(4);
    const runs = (await api(gw, 'GET', `/campaigns/${id}/runs`)).body.items as { dueAt: string; status: string; queued: number }[];
    expect(runs.map((r) => [r.dueAt, r.status, r.queued])).toEqual([
      ['2026-11-23T04:30:00.000Z', 'done', 2],
      ['2026-11-16T04:30:00.000Z', 'done', 2],
    ]);
  });

  it('runs a one-off at its time; an `at` without an offset is read in the campaign time zone', async () => {
    gw = await testGateway({}, { now: '2026-11-20T05:00:00Z' });
    const segmentId = await twoFarmers(gw);
    const created = await api(gw, 'POST', '/campaigns', { kind: 'sms', segmentId, text: { en: 'Rains expected this week.' }, schedule: { at: '2026-11-20T10:15', timezone: 'Africa/Nairobi' } });
    expect(created.body).toMatchObject({ status: 'scheduled', nextRunAt: '2026-11-20T07:15:00.000Z' });
    gw.clock.set('2026-11-20T07:14:00Z');
    await gw.core.campaignScheduler.tick();
    expect(await sentTo(gw, created.body.id as string)).toEqual([]);
    gw.clock.set('2026-11-20T07:15:00Z');
    await gw.core.campaignScheduler.tick();
    expect(await sentTo(gw, created.body.id as string)).toHaveLength(2);
    expect((await api(gw, 'GET', `/campaigns/${created.body.id}`)).body.status).toBe('completed');
  });

  it('rejects invalid cron expressions and time zones with a message saying what is wrong', async () => {
    gw = await testGateway({}, { now: '2026-11-20T05:00:00Z' });
    const segmentId = await twoFarmers(gw);
    const create = (schedule: Record<string, unknown>) => api(gw!, 'POST', '/campaigns', { kind: 'sms', segmentId, text: { en: 'x' }, schedule });

    const badMinute = await create({ cron: '61 6 * * 1' });
    expect(badMinute.status).toBe(400);
    expect(badMinute.body.error).toMatchObject({ code: 'INVALID_CRON' });
    expect(badMinute.body.error!.message).toMatch(/schedule.cron "61 6 \* \* 1" is not a valid cron expression \(minute: 61 is a invalid expression for minute\)/);
    const fourFields = await create({ cron: '0 6 * *' });
    expect(fourFields.body.error!.message).toMatch(/expected 5 or 6 fields but got 4/);
    expect((await create({ cron: '0 6 31 2 *' })).body.error!.message).toMatch(/impossible day of month/);
    // Valid syntax, but the 1st of a month is never its fifth Monday.
    const never = await create({ cron: '0 6 1 * 1#5' });
    expect(never.body.error).toMatchObject({ code: 'INVALID_CRON', message: expect.stringMatching(/never fires in the next five years/) });

    const badZone = await create({ cron: '0 6 * * 1', timezone: 'Africa/Nairobbi' });
    expect(badZone.status).toBe(400);
    expect(badZone.body.error).toEqual({ code: 'INVALID_TIMEZONE', message: 'schedule.timezone "Africa/Nairobbi" is not a known IANA time zone (for example Africa/Nairobi or UTC).' });

    expect((await create({ at: 'tomorrow morning' })).body.error).toMatchObject({ code: 'INVALID_SCHEDULE', message: expect.stringMatching(/not an ISO-8601 time/) });
    expect((await create({ at: '2026-11-21T06:00:00Z', cron: '0 6 * * 1' })).body.error!.message).toMatch(/either at .* or cron/);
    expect((await create({})).body.error!.message).toMatch(/schedule needs at/);
    const noSchedule = await api(gw, 'POST', '/campaigns', { kind: 'sms', segmentId, text: { en: 'x' } });
    expect(noSchedule.body.error).toMatchObject({ code: 'VALIDATION_ERROR', message: expect.stringMatching(/schedule/) });
    const list = await api(gw, 'GET', '/campaigns');
    expect(list.body.items).toEqual([]);
  });
});
