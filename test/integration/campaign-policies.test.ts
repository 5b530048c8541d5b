import { describe, expect, it } from 'vitest';
import { AUTH, stopAfterEach, testGateway, type TestGateway } from '../helpers/gateway';
import { setOptOut, subscriberId } from '../helpers/subscribers';

let gw: TestGateway | null = null;
stopAfterEach(() => [gw]);

type Body = Record<string, unknown> & { error?: { code: string; message: string } };
async function api(g: TestGateway, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) {
  const r = await g.app.inject({ method, url: `/api/v1${url}`, headers: AUTH, ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}) });
  return { status: r.statusCode, body: (r.body ? r.json() : {}) as Body };
}

const PLAIN = '+254700000001';
const CAPPED = '+254700000002';
// On an operator whose subscribers live fourteen hours ahead of UTC: 06:00Z is 20:00 there.
const FAR = '+254790000003';
const OPTED_OUT = '+254700000004';

interface Recipient {
  msisdn: string;
  status: string;
  ref: string | null;
  reason: string | null;
}

/** Runs an SMS campaign to the segment now; `between` runs after the first batch (of two recipients). */
async function runCampaign(g: TestGateway, segmentId: string, text: string, between?: () => Promise<void>): Promise<Map<string, Recipient>> {
  const c = await api(g, 'POST', '/campaigns', { kind: 'sms', segmentId, text: { en: text }, schedule: { at: new Date(g.clock.now()).toISOString() } });
  expect(c.status).toBe(201);
  await g.core.campaignScheduler.tick({ maxBatches: 1 });
  await between?.();
  await g.core.campaignScheduler.tick();
  const r = await api(g, 'GET', `/campaigns/${String(c.body.id)}/recipients`);
  return new Map((r.body.items as Recipient[]).map((x) => [x.msisdn, x]));
}

const smsOut = async (g: TestGateway, msisdn: string) =>
  ((await api(g, 'GET', `/subscribers/${encodeURIComponent(msisdn)}/events?limit=50`)).body as unknown as { type: string; detail?: Record<string, unknown> }[]).filter(
    (e) => e.type === 'sms_out' && e.detail?.source === 'campaign',
  );

describe('campaign recipients and the outbox policies', () => {
  it('blocks the opted out and the capped, defers by the operator time zone, and logs one sms_out per message sent', async () => {
    gw = await testGateway(
      { operators: [{ id: 'far', prefixes: ['+25479'], networkCodes: [], timezone: 'Pacific/Kiritimati' }], campaigns: { batchSize: 2 } },
      { now: '2026-11-20T06:00:00Z' },
    );
    const g = gw;
    for (const m of [PLAIN, CAPPED, FAR, OPTED_OUT]) expect((await api(g, 'PATCH', `/subscribers/${encodeURIComponent(m)}`, { region: 'Meru', language: 'en' })).status).toBe(200);
    // Two promotional messages this week already: the cap (2 in 7 days) is reached.
    for (let i = 0; i < 2; i++) expect((await api(g, 'POST', '/messages', { to: CAPPED, text: `Offer ${i}` })).status).toBe(202);
    const segmentId = (await api(g, 'POST', '/segments', { name: 'Meru', filter: { region: 'Meru' } })).body.id as string;

    // OPTED_OUT sends STOP after the run selected its recipients, before the batch that reaches it.
    const first = await runCampaign(g, segmentId, 'Plant maize with the first rains.', async () => setOptOut(g.core, await subscriberId(g.core, OPTED_OUT), true));
    expect(first.get(OPTED_OUT)).toMatchObject({ status: 'blocked', reason: 'opted_out' });
    expect(first.get(CAPPED)).toMatchObject({ status: 'blocked', reason: 'frequency_cap' });
    expect(first.get(PLAIN)).toMatchObject({ status: 'queued', reason: null });
    expect(first.get(FAR)).toMatchObject({ status: 'queued', reason: 'quiet_hours' });

    // A blocked recipient still has its outbox record, with the reason.
    expect((await api(g, 'GET', `/messages/${first.get(OPTED_OUT)!.ref!}`)).body).toMatchObject({ to: OPTED_OUT, status: 'blocked', reason: 'opted_out' });
    expect((await api(g, 'GET', `/messages/${first.get(CAPPED)!.ref!}`)).body).toMatchObject({ to: CAPPED, status: 'blocked', reason: 'frequency_cap' });
    const plain = (await api(g, 'GET', `/messages/${first.get(PLAIN)!.ref!}`)).body;
    expect(plain).toMatchObject({ to: PLAIN, status: 'queued', kind: 'promotional', source: 'campaign', parts: 1, sendAt: '2026-11-20T06:00:00.000Z' });
    // 07:00 in Kiritimati (UTC+14) is 17:00Z the same day.
    expect((await api(g, 'GET', `/messages/${first.get(FAR)!.ref!}`)).body).toMatchObject({ to: FAR, status: 'queued', reason: 'quiet_hours', sendAt: '2026-11-20T17:00:00.000Z' });

    expect(await smsOut(g, OPTED_OUT)).toEqual([]);
    expect(await smsOut(g, CAPPED)).toEqual([]);
    expect((await smsOut(g, PLAIN)).map((e) => e.detail)).toEqual([{ messageId: first.get(PLAIN)!.ref, kind: 'promotional', source: 'campaign', parts: 1 }]);
    expect((await smsOut(g, FAR)).map((e) => e.detail)).toEqual([
      { messageId: first.get(FAR)!.ref, kind: 'promotional', source: 'campaign', parts: 1, deferred: 'quiet_hours', sendAt: Date.parse('2026-11-20T17:00:00Z') },
    ]);

    // The cap counts earlier campaigns too: the second reaches PLAIN (its 2nd this week), the third does not.
    g.clock.advance(60_000);
    expect((await runCampaign(g, segmentId, 'Weed early.')).get(PLAIN)).toMatchObject({ status: 'queued' });
    g.clock.advance(60_000);
    expect((await runCampaign(g, segmentId, 'Top-dress at knee height.')).get(PLAIN)).toMatchObject({ status: 'blocked', reason: 'frequency_cap' });
    expect(await smsOut(g, PLAIN)).toHaveLength(2);
  });
});
