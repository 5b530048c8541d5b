import type { TestGateway } from './gateway';
import { AUTH } from './gateway';

/** The callback secret a gateway needs for plantExits (billing notifications and inbound SMS over HTTP). */
export const EXIT_SECRET = 'cb-secret-exit';
let seq = 0;

/**
 * Plants exits through the real endpoints: each subscriber joins crop-daily `joinedDaysAgo` before now, gets
 * a region (the operator says the next charge is due tomorrow, so the run is still live), is deleted by the operator now, and replies `reply` (null: never answers) by SMS.
 */
export async function plantExits(gw: TestGateway, plant: { region: string; joinedDaysAgo: number; reply: string | null }[], prefix = '+2547130'): Promise<string[]> {
  const cb = { 'content-type': 'application/json', 'x-callback-secret': EXIT_SECRET };
  const post = async (url: string, payload: Record<string, unknown>, ok: number) => {
    const r = await gw.app.inject({ method: 'POST', url, headers: cb, payload });
    if (r.statusCode !== ok) throw new Error(`${url} answered ${r.statusCode}: ${r.body}`);
  };
  const out: string[] = [];
  for (const p of plant) {
    const msisdn = `${prefix}${String(++seq).padStart(5, '0')}`;
    const now = gw.clock.now();
    await post('/billing/events', { eventId: `plant-${seq}-a`, msisdn, serviceId: 'crop-daily', type: 'subscribed', at: new Date(now - p.joinedDaysAgo * 86_400_000).toISOString(), nextRenewalAt: new Date(now + 86_400_000).toISOString() }, 200);
    const r = await gw.app.inject({ method: 'PATCH', url: `/api/v1/subscribers/${encodeURIComponent(msisdn)}`, headers: AUTH, payload: { region: p.region } });
    if (r.statusCode !== 200) throw new Error(`PATCH answered ${r.statusCode}`);
    await post('/billing/events', { eventId: `plant-${seq}-b`, msisdn, serviceId: 'crop-daily', type: 'unsubscribed', at: new Date(now).toISOString() }, 200);
    if (p.reply !== null) await post('/sms/inbound', { from: msisdn, to: '20123', text: p.reply }, 202);
    out.push(msisdn);
  }
  return out;
}
