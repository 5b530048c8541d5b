import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { genericEvent, postGeneric, usageOf } from '../helpers/billing';
import { AUTH, testGateway, type TestGateway } from '../helpers/gateway';

let gw: TestGateway;
afterEach(async () => {
  await gw.stop();
});

// Quiet hours 20:00-07:00 in Europe/London, where the clocks go back an hour at 01:00 GMT on
// 25 October 2026: that night's quiet hours run from 19:00 UTC (20:00 BST) to 07:00 UTC (07:00 GMT).
describe('renewal reminders on the night the clocks go back', () => {
  it('move to the last minute before quiet hours began, not an hour into them', async () => {
    const [service] = loadConfig({ env: {} }).services;
    gw = await testGateway(
      { messaging: { timezone: 'Europe/London' }, services: [{ ...service!, reminder: { ...service!.reminder!, hoursBefore: 2 } }] },
      { now: '2026-10-24T06:30:00Z' },
    );
    const r = await postGeneric(gw, genericEvent({ msisdn: '+254711000401', eventId: 'dst-1', type: 'subscribed', at: '2026-10-24T06:30:00Z' }));
    expect(r.json().state).toBe('active');
    // Renewal at 06:30 GMT on the 25th; two hours before is 04:30 GMT, inside quiet hours, so 19:59 BST the evening before.
    const runAt = async (iso: string) => {
      gw.clock.set(iso);
      return (await gw.core.subscriptionJob.run()).reminders;
    };
    expect(await runAt('2026-10-24T18:58:00Z')).toBe(0); // 19:58 BST
    expect(await runAt('2026-10-24T18:59:00Z')).toBe(1); // 19:59 BST
    const [e] = (await usageOf(gw, '+254711000401')).filter((u) => u.detail?.event === 'renewal_reminder');
    const msg = (await gw.app.inject({ method: 'GET', url: `/api/v1/messages/${String(e!.detail!.messageId)}`, headers: AUTH })).json();
    expect(msg).toMatchObject({ status: 'queued', sendAt: '2026-10-24T18:59:00.000Z' });
  });
});
