import { afterEach, describe, expect, it } from 'vitest';
import { AUTH, testGateway, type TestGateway } from '../helpers/gateway';
import { genericEvent, postGeneric, usageOf } from '../helpers/billing';
import { loadConfig } from '../../src/config';
import { setOptOut, subscriberId } from '../helpers/subscribers';

// Quiet hours 20:00-07:00 in Africa/Nairobi (UTC+3), the defaults. The subscription renews daily at
// 06:00 Nairobi time (03:00 UTC).
const SUBSCRIBED = '2026-11-20T03:00:00Z';
const RENEWAL = '2026-11-21T03:00:00.000Z';

let gw: TestGateway;
afterEach(async () => {
  await gw.stop();
});

/** crop-daily with its reminder `hoursBefore` changed (the rest as in config/default.yaml). */
async function gatewayWithReminder(hoursBefore: number) {
  const [service] = loadConfig({ env: {} }).services;
  gw = await testGateway({ services: [{ ...service!, reminder: { ...service!.reminder!, hoursBefore } }] }, { now: SUBSCRIBED });
  const r = await postGeneric(gw, genericEvent({ msisdn: '+254711000401', eventId: 'rem-1', type: 'subscribed', at: SUBSCRIBED }));
  expect(r.json().state).toBe('active');
}

/** Runs the lifecycle job at a UTC instant; returns the reminders it queued. */
async function runAt(isoUtc: string) {
  gw.clock.set(isoUtc);
  return (await gw.core.subscriptionJob.run()).reminders;
}

async function reminderEvents() {
  return (await usageOf(gw, '+254711000401')).filter((e) => e.detail?.event === 'renewal_reminder');
}

async function reminderMessage() {
  const [e] = await reminderEvents();
  const r = await gw.app.inject({ method: 'GET', url: `/api/v1/messages/${String(e!.detail!.messageId)}`, headers: AUTH });
  return r.json() as { text: string; kind: string; status: string; sendAt: string | null; source: string };
}

describe('renewal reminders', () => {
  it('sends one reminder hoursBefore the renewal, outside quiet hours', async () => {
    await gatewayWithReminder(12); // 18:00 Nairobi the day before
    expect(await runAt('2026-11-20T14:59:00Z')).toBe(0);
    expect(await runAt('2026-11-20T15:00:00Z')).toBe(1);
    expect(await runAt('2026-11-20T15:05:00Z')).toBe(0); // once per renewal
    const msg = await reminderMessage();
    expect(msg).toMatchObject({ kind: 'transactional', status: 'queued', source: 'reminder' });
    expect(msg.text).toBe('Reminder: Crop advice (daily) renews on 21 Nov 06:00 for KES 5. To stop, send STOP SHAMBA to 20123.');
    expect((await reminderEvents())[0]!.detail).toMatchObject({ renewalAt: RENEWAL, status: 'queued' });

    // After the renewal, the next one gets its own reminder.
    await postGeneric(gw, genericEvent({ msisdn: '+254711000401', eventId: 'rem-2', type: 'renewed', at: RENEWAL }));
    expect(await runAt('2026-11-21T14:59:00Z')).toBe(0);
    expect(await runAt('2026-11-21T15:00:00Z')).toBe(1);
  });

  it('moves a reminder that would fall in quiet hours to the last minute before them', async () => {
    await gatewayWithReminder(8); // nominal 22:00 Nairobi: quiet, so 19:59
    expect(await runAt('2026-11-20T16:58:00Z')).toBe(0); // 19:58 Nairobi
    expect(await runAt('2026-11-20T16:59:00Z')).toBe(1); // 19:59 Nairobi
    const msg = await reminderMessage();
    expect(msg).toMatchObject({ status: 'queued', sendAt: '2026-11-20T16:59:00.000Z' });
  });

  it('holds a late reminder until quiet hours end, and drops it when that is after the renewal', async () => {
    await gatewayWithReminder(24); // nominal 06:00 Nairobi on the day of subscribing: quiet, so 19:59 the evening before
    // The job first runs at 21:00 Nairobi (quiet); the renewal is at 06:00, before quiet hours end at 07:00.
    expect(await runAt('2026-11-20T18:00:00Z')).toBe(0);
    const [missed] = await reminderEvents();
    expect(missed!.detail).toMatchObject({ status: 'missed', reason: 'quiet_hours', renewalAt: RENEWAL });
    expect(await runAt('2026-11-20T18:30:00Z')).toBe(0); // decided once

    // The next renewal (22 Nov 06:00) with the job running at 02:00 UTC on 21 Nov (05:00 Nairobi, quiet):
    await postGeneric(gw, genericEvent({ msisdn: '+254711000401', eventId: 'rem-3', type: 'renewed', at: RENEWAL }));
    expect(await runAt('2026-11-21T03:30:00Z')).toBe(1); // 06:30 Nairobi: waits until 07:00
    const msg = await reminderMessage();
    expect(msg).toMatchObject({ kind: 'transactional', status: 'queued', sendAt: '2026-11-21T04:00:00.000Z' });
  });

  it('reaches subscribers who opted out of promotional messages', async () => {
    await gatewayWithReminder(12);
    await setOptOut(gw.core, await subscriberId(gw.core, '+254711000401'), true);
    expect(await runAt('2026-11-20T15:00:00Z')).toBe(1);
    expect((await reminderMessage()).status).toBe('queued');
  });

  it('sends nothing for services without a reminder or subscriptions that are not active', async () => {
    const [service] = loadConfig({ env: {} }).services;
    const { reminder: _none, ...withoutReminder } = service!;
    gw = await testGateway({ services: [withoutReminder] }, { now: SUBSCRIBED });
    await postGeneric(gw, genericEvent({ msisdn: '+254711000401', eventId: 'n1', type: 'subscribed', at: SUBSCRIBED }));
    expect(await runAt('2026-11-20T20:00:00Z')).toBe(0);
    expect(await reminderEvents()).toEqual([]);
  });
});
