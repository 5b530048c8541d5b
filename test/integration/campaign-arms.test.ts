import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { assignArm } from '../../src/campaigns/arms-assign';
import type { CampaignArm } from '../../src/db/schema/campaigns';
import { DAY, HOUR } from '../../src/lib/clock';
import type { AddressInfo } from 'node:net';
import type { FakeSmsc } from '../fakes/smsc';
import { FakeVoiceProvider } from '../fakes/voice-provider';
import { AUTH, eventually, stopAfterEach, testGateway, type TestGateway } from '../helpers/gateway';
import { billing, crmGateway, ussdSession } from '../helpers/crm';

let gw: TestGateway | null = null;
let smsc: FakeSmsc | null = null;
stopAfterEach(() => [gw, smsc]);

type Body = Record<string, unknown> & { error?: { code: string; message: string } };
async function api(g: TestGateway, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) {
  const r = await g.app.inject({ method, url: `/api/v1${url}`, headers: AUTH, ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}) });
  return { status: r.statusCode, body: (r.body ? r.json() : {}) as Body };
}

const N = 48;
const msisdn = (i: number) => `+2547100${String(i).padStart(5, '0')}`;

/** The farmers' subscriber ids, read once: what their arms follow from. */
async function subscriberIds(g: TestGateway): Promise<(i: number) => number> {
  const rows = await g.core.database.all<{ id: number; msisdn: string }>(sql`SELECT id, msisdn FROM subscribers`);
  const ids = new Map(rows.map((r) => [r.msisdn, Number(r.id)]));
  return (i: number) => {
    const id = ids.get(msisdn(i));
    if (id === undefined) throw new Error(`no subscriber ${msisdn(i)}`);
    return id;
  };
}

async function farmers(g: TestGateway): Promise<string> {
  for (let i = 0; i < N; i++) await api(g, 'PATCH', `/subscribers/${msisdn(i)}`, { region: 'Embu', language: i % 3 === 0 ? 'sw' : 'en' });
  return (await api(g, 'POST', '/segments', { name: 'Embu', filter: { region: 'Embu' } })).body.id as string;
}

const ARMS: CampaignArm[] = [
  { name: 'daily-5', text: { en: 'Daily tips for KES 5: reply SHAMBA', sw: 'Vidokezo kila siku KES 5: jibu SHAMBA' }, serviceId: 'crop-daily', price: 'KES 5 a day' },
  { name: 'free-week', text: { en: 'First week free: reply SHAMBA', sw: 'Wiki ya kwanza bure: jibu SHAMBA' }, serviceId: 'crop-daily', price: 'free first week' },
  { name: 'plain', text: { en: 'Crop advice on *384*1#', sw: 'Ushauri wa mazao *384*1#' } },
];

describe('a campaign with arms', () => {
  it('sends each recipient their arm, holds the holdout out, and counts conversions inside the window only', async () => {
    ({ gw, smsc } = await crmGateway({ campaigns: { tickSeconds: 3600 } }, '2026-11-20T06:00:00Z'));
    const g = gw;
    const s = smsc;
    const segmentId = await farmers(g);
    const created = await api(g, 'POST', '/campaigns', {
      name: 'Offer test',
      kind: 'sms',
      segmentId,
      arms: ARMS,
      holdoutPercent: 25,
      goal: { type: 'subscribed', serviceId: 'crop-daily', windowDays: 7 },
      schedule: { at: '2026-11-20T06:00:00Z' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ holdoutPercent: 25, goal: { type: 'subscribed', serviceId: 'crop-daily', windowDays: 7 }, arms: [{ name: 'daily-5', share: 1 }, { name: 'free-week' }, { name: 'plain' }] });
    const id = created.body.id as string;
    await g.core.campaignScheduler.tick();

    // The arm of each farmer follows from the campaign and subscriber alone; the holdout gets nothing.
    const subId = await subscriberIds(g);
    const armOf = new Map<number, string>();
    for (let i = 0; i < N; i++) armOf.set(i, assignArm(id, subId(i), ARMS, 25)?.name ?? 'holdout');
    const members = (arm: string) => [...armOf.entries()].filter(([, a]) => a === arm).map(([i]) => i);
    for (const arm of ['daily-5', 'free-week', 'plain', 'holdout']) expect(members(arm).length).toBeGreaterThan(2);
    const sent = N - members('holdout').length;
    await eventually(() => s.messages().length >= sent, { what: 'every arm SMS at the SMSC' });
    for (let i = 0; i < N; i++) {
      const got = s.messages().filter((m) => `+${m.to}` === msisdn(i)).map((m) => m.text);
      const arm = ARMS.find((a) => a.name === armOf.get(i));
      expect(got).toEqual(arm ? [arm.text![i % 3 === 0 ? 'sw' : 'en']] : []);
    }

    // Planted conversions, each posted when it happens: one plain farmer subscribes on day 1, every
    // daily-5 farmer on day 2, half of free-week on day 3 and the other half on day 9 (outside the 7-day
    // window), one holdout farmer on day 4. A subscription before the campaign does not count.
    const at = (days: number) => new Date(Date.parse('2026-11-20T06:00:00Z') + days * DAY).toISOString();
    const day = (d: number) => g.clock.set(at(d));
    await billing(g, msisdn(members('plain')[1]!), 'subscribed', at(-1));
    await eventually(async () => ((await api(g, 'GET', `/campaigns/${id}/results`)).body.totals as { delivered: number }).delivered === sent, { what: 'delivery receipts' });
    const fw = members('free-week');
    const fwIn = fw.filter((_, k) => k % 2 === 0);
    day(1);
    await billing(g, msisdn(members('plain')[0]!), 'subscribed', at(1));
    day(2);
    for (const i of members('daily-5')) await billing(g, msisdn(i), 'subscribed', at(2));
    day(3);
    for (const i of fwIn) await billing(g, msisdn(i), 'subscribed', at(3));
    g.clock.advance(HOUR);
    await g.core.crm.runPass();
    let r = (await api(g, 'GET', `/campaigns/${id}/results`)).body.arms as Record<string, unknown> & { arms: Record<string, unknown>[]; holdout: Record<string, unknown> };
    // Day 3: the windows are open; what has happened so far is counted and the rest is pending.
    expect(r.pending).toMatchObject({ assignments: N - members('daily-5').length - fwIn.length - 1, windowsOpenUntil: '2026-11-27T06:00:00.000Z' });
    expect(r.arms[0]).toMatchObject({ conversions: members('daily-5').length, pending: 0 });

    day(4);
    await billing(g, msisdn(members('holdout')[0]!), 'subscribed', at(4));
    day(9);
    for (const i of fw.filter((x) => !fwIn.includes(x))) await billing(g, msisdn(i), 'subscribed', at(9));
    g.clock.advance(HOUR);
    await g.core.crm.runPass();
    const res = await api(g, 'GET', `/campaigns/${id}/results`);
    r = res.body.arms as typeof r;
    const nd = members('daily-5').length;
    const nf = fw.length;
    const np = members('plain').length;
    const nh = members('holdout').length;
    expect(r.arms).toEqual([
      expect.objectContaining({ name: 'daily-5', channel: 'sms', serviceId: 'crop-daily', price: 'KES 5 a day', assigned: nd, reached: nd, conversions: nd, rate: 1, pending: 0, cost: Math.round(nd * 0.8 * 100) / 100 }),
      expect.objectContaining({ name: 'free-week', assigned: nf, reached: nf, conversions: fwIn.length, pending: 0 }),
      expect.objectContaining({ name: 'plain', assigned: np, reached: np, conversions: 1, costPerConversion: Math.round(np * 0.8 * 100) / 100 }),
    ]);
    expect(r.holdout).toMatchObject({ name: 'holdout', channel: 'none', assigned: nh, reached: 0, conversions: 1, cost: 0, uplift: null });
    const d5 = r.arms[0] as { uplift: { value: number; ci95: [number, number]; significant: boolean }; ci95: [number, number] };
    expect(d5.uplift.value).toBeCloseTo(1 - 1 / nh, 5);
    expect(d5.uplift.ci95[0]).toBeGreaterThan(0);
    expect(d5.ci95[1]).toBe(1);
    expect(r.pending).toEqual({ assignments: 0, windowsOpenUntil: null, note: null });
    expect(r).toMatchObject({ holdoutPercent: 25, currency: 'KES', conversionsCountedAt: new Date(g.clock.now()).toISOString() });
    // daily-5 converts everyone; whether the call can be made depends on the group sizes: the rule decides.
    expect(r.winner === 'daily-5' || (r.winner === null && /^not enough data/.test(r.reason as string))).toBe(true);
    // The run shows the holdout as blocked with its reason, next to what was handed over.
    expect(res.body.totals).toMatchObject({ recipients: N, queued: sent, blocked: nh });
    expect((res.body.runs as { blockedReasons: Record<string, number> }[])[0]!.blockedReasons).toEqual({ holdout: nh });
  });

  it('counts content reached by USSD for a reached_content goal (that node, inside the window)', async () => {
    ({ gw, smsc } = await crmGateway({ campaigns: { tickSeconds: 3600 } }, '2026-11-20T06:00:00Z'));
    const g = gw;
    const segmentId = await farmers(g);
    const arms: CampaignArm[] = [{ name: 'A', text: { en: 'Maize planting tips on *384*1#' } }, { name: 'B', text: { en: 'New: crop advice on *384*1#' } }];
    const c = await api(g, 'POST', '/campaigns', { kind: 'sms', segmentId, text: { en: 'x' }, arms, holdoutPercent: 30, goal: { type: 'reached_content', flowId: 'crop-advice', nodeId: 'maize-planting', windowDays: 2 }, schedule: { at: '2026-11-20T06:00:00Z' } });
    expect(c.status).toBe(201);
    const id = c.body.id as string;
    await g.core.campaignScheduler.tick();
    const subId = await subscriberIds(g);
    const armOf = (i: number) => assignArm(id, subId(i), arms, 30)?.name ?? 'holdout';
    const inA = [...Array(N).keys()].filter((i) => armOf(i) === 'A');
    const inH = [...Array(N).keys()].filter((i) => armOf(i) === 'holdout');
    // Two A farmers reach maize planting the next hour; one reaches pests (another node); one holdout farmer reaches planting on day 3 (too late).
    g.clock.advance(HOUR);
    await ussdSession(g, msisdn(inA[0]!), ['1', '1', '1']);
    await ussdSession(g, msisdn(inA[1]!), ['1', '1', '1']);
    await ussdSession(g, msisdn(inA[2]!), ['1', '1', '2']);
    g.clock.advance(3 * DAY);
    await ussdSession(g, msisdn(inH[0]!), ['1', '1', '1']);
    g.clock.advance(HOUR);
    await g.core.crm.runPass();
    const r = (await api(g, 'GET', `/campaigns/${id}/results`)).body.arms as { arms: { name: string; conversions: number; assigned: number }[]; holdout: { conversions: number; assigned: number }; winner: string | null; reason: string };
    expect(r.arms.map((a) => [a.name, a.conversions])).toEqual([
      ['A', 2],
      ['B', 0],
    ]);
    expect(r.holdout).toMatchObject({ conversions: 0, assigned: inH.length });
    expect(r.winner).toBeNull();
    expect(r.reason).toMatch(/^not enough data/);
  });

  it('asks each arm its own intro to the poll and counts answers by SMS inside the window for an answered goal', async () => {
    ({ gw, smsc } = await crmGateway({ campaigns: { tickSeconds: 3600 } }, '2026-11-20T06:00:00Z'));
    const g = gw;
    const s = smsc;
    const segmentId = await farmers(g);
    const poll = await api(g, 'POST', '/polls', { type: 'choice', question: { en: 'Rain enough?', sw: 'Mvua inatosha?' }, answers: [{ en: 'Yes', sw: 'Ndiyo' }, { en: 'No', sw: 'Hapana' }] });
    const arms: CampaignArm[] = [{ name: 'friendly', text: { en: 'Hello farmer!', sw: 'Habari mkulima!' } }, { name: 'short', text: { en: 'Quick question:', sw: 'Swali fupi:' } }];
    const c = await api(g, 'POST', '/campaigns', { kind: 'poll', segmentId, pollId: poll.body.id, arms, holdoutPercent: 20, goal: { type: 'answered', windowDays: 2 }, schedule: { at: '2026-11-20T06:00:00Z' } });
    expect(c.status).toBe(201);
    expect(c.body.goal).toEqual({ type: 'answered', pollId: poll.body.id, windowDays: 2 });
    const id = c.body.id as string;
    await g.core.campaignScheduler.tick();
    const subId = await subscriberIds(g);
    const armOf = (i: number) => assignArm(id, subId(i), arms, 20)?.name ?? 'holdout';
    const members = (arm: string) => [...Array(N).keys()].filter((i) => armOf(i) === arm);
    const sent = N - members('holdout').length;
    await eventually(() => s.messages().length >= sent, { what: 'the poll SMS' });
    const first = members('friendly')[0]!;
    expect(s.messages().filter((m) => `+${m.to}` === msisdn(first)).map((m) => m.text)[0]).toMatch(first % 3 === 0 ? /^Habari mkulima!\nMvua inatosha\?/ : /^Hello farmer!\nRain enough\?/);
    expect(s.messages().filter((m) => members('holdout').map(msisdn).includes(`+${m.to}`))).toEqual([]);
    // Three friendly farmers answer the same hour; one short farmer answers after 2 days 2 hours: the poll
    // still takes the answer (72-hour reply window) but it is outside the goal's 2-day window.
    const reply = async (i: number) => {
      const before = s.messages().length;
      s.sendMo({ from: msisdn(i).slice(1), to: '20123', text: '1' });
      await eventually(() => s.messages().length > before, { what: 'the thank-you' });
    };
    g.clock.advance(HOUR);
    for (const i of members('friendly').slice(0, 3)) await reply(i);
    g.clock.advance(2 * DAY + HOUR);
    await reply(members('short')[0]!);
    expect((await api(g, 'GET', `/polls/${poll.body.id as string}/results`)).body.responses).toBe(4);
    await g.core.crm.runPass();
    const r = (await api(g, 'GET', `/campaigns/${id}/results`)).body.arms as { arms: { name: string; conversions: number }[]; holdout: { conversions: number } };
    expect(r.arms.map((a) => [a.name, a.conversions])).toEqual([
      ['friendly', 3],
      ['short', 0],
    ]);
    expect(r.holdout.conversions).toBe(0);
  });

  it('calls the call arm into its flow: reach is the answered calls, cost what the provider billed, content reached in the call converts', async () => {
    const fake = await FakeVoiceProvider.start({ apiKey: 'at-test-key-0001' });
    try {
      gw = await testGateway(
        { ivr: { africastalking: { baseUrl: fake.baseUrl, apiKey: 'at-test-key-0001', username: 'vasgw', callerId: '+254711082000' } }, campaigns: { tickSeconds: 3600 } },
        { now: '2026-11-20T06:00:00Z' },
      );
      const g = gw;
      await g.app.listen({ port: 0, host: '127.0.0.1' });
      fake.gatewayUrl = `http://127.0.0.1:${(g.app.server.address() as AddressInfo).port}`;
      await g.start();
      const segmentId = await farmers(g);
      const arms: CampaignArm[] = [
        { name: 'sms', text: { en: 'Maize planting: reply MAIZE' } },
        { name: 'voice', channel: 'call', flowId: 'crop-advice', startNode: 'maize-planting' },
      ];
      const c = await api(g, 'POST', '/campaigns', { kind: 'sms', segmentId, arms, holdoutPercent: 25, goal: { type: 'reached_content', nodeId: 'maize-planting', flowId: 'crop-advice', windowDays: 3 }, schedule: { at: '2026-11-20T06:00:00Z' } });
      expect(c.status).toBe(201);
      const id = c.body.id as string;
      const subId = await subscriberIds(g);
      const voice = [...Array(N).keys()].filter((i) => assignArm(id, subId(i), arms, 25)?.name === 'voice');
      // Every other voice farmer does not pick up, the retries either (they are due within the hour the
      // clock moves on below, and the dispatcher may dial them before the pass).
      const unanswered = Array.from({ length: g.config.ivr.retry.attempts }, () => ({ kind: 'no_answer' as const }));
      voice.forEach((i, k) => fake.script(msisdn(i), k % 2 ? unanswered : [{ kind: 'answer', keys: [] }]));
      const answered = voice.filter((_, k) => k % 2 === 0).length;
      await g.core.campaignScheduler.tick();
      await eventually(() => fake.calls.length >= voice.length, { what: 'the voice arm dialled' });
      await fake.settle();
      expect(fake.calls.map((x) => x.to).sort()).toEqual(voice.map(msisdn).sort());
      g.clock.advance(HOUR);
      await g.core.crm.runPass();
      const r = (await api(g, 'GET', `/campaigns/${id}/results`)).body.arms as { arms: Record<string, unknown>[] };
      expect(r.arms[1]).toMatchObject({ name: 'voice', channel: 'call', assigned: voice.length, reached: answered, conversions: answered, cost: answered * 1.5, costPerConversion: 1.5 });
      // The SMS arm's messages wait in the outbox (no SMSC here): handed over, not reached, nothing billed.
      expect(r.arms[0]).toMatchObject({ name: 'sms', reached: 0, cost: 0, conversions: 0 });
    } finally {
      await gw?.stop();
      gw = null;
      await fake.stop();
    }
  });

  it('refuses bad arms with a 400 naming the field, and changes nothing', async () => {
    ({ gw, smsc } = await crmGateway({}, '2026-11-20T06:00:00Z'));
    const g = gw;
    const segmentId = await farmers(g);
    const base = { kind: 'sms', segmentId, schedule: { at: '2026-11-21T06:00:00Z' }, holdoutPercent: 10, goal: { type: 'subscribed', windowDays: 7 } };
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ arms: [{ name: 'A' }] }, /arms\[0\]\.text/],
      [{ arms: [{ name: 'A', text: { en: 'a' } }, { name: 'a', text: { en: 'b' } }] }, /arms\[1\]\.name/],
      [{ arms: [{ name: 'holdout', text: { en: 'a' } }] }, /arms\[0\]\.name/],
      [{ arms: [{ name: 'A', text: { en: 'a' }, serviceId: 'nope' }] }, /arms\[0\]\.serviceId/],
      [{ arms: [{ name: 'A', channel: 'call' }] }, /arms\[0\]\.flowId/],
      [{ arms: [{ name: 'A', channel: 'call', flowId: 'crop-advice', startNode: 'nowhere' }] }, /arms\[0\]\.startNode/],
      [{ arms: [{ name: 'A', text: { en: 'a' } }], holdoutPercent: undefined }, /holdoutPercent/],
      [{ arms: [{ name: 'A', text: { en: 'a' } }], goal: undefined }, /goal/],
      [{ arms: [{ name: 'A', text: { en: 'a' } }], goal: { type: 'subscribed', windowDays: 0 } }, /windowDays/],
      [{ arms: [{ name: 'A', text: { en: 'a' } }], goal: { type: 'answered', windowDays: 3 } }, /goal\.pollId/],
      [{ arms: [{ name: 'A', text: { en: 'a' } }], goal: { type: 'renewed', nodeId: 'x', windowDays: 3 } }, /goal\.nodeId/],
      [{ arms: [{ name: 'A', text: { en: 'a' } }], goal: { type: 'reached_content', flowId: 'crop-advice', nodeId: 'nowhere', windowDays: 3 } }, /goal\.nodeId/],
      [{ arms: [{ name: 'A', text: { en: 'a' } }], holdoutPercent: 95 }, /holdoutPercent/],
      [{ arms: [], text: { en: 'a' } }, /arms/],
      [{ text: { en: 'a' }, arms: undefined }, /arms/],
      [{ arms: [{ name: 'A', text: { en: 'a' } }], channel: 'best', flowId: 'crop-advice', text: { en: 'a' } }, /arms: .*"best"/],
    ];
    for (const [extra, field] of cases) {
      const r = await api(g, 'POST', '/campaigns', { ...base, ...extra });
      expect(r.status, JSON.stringify(extra)).toBe(400);
      expect(r.body.error!.message, JSON.stringify(extra)).toMatch(field);
    }
    expect(((await api(g, 'GET', '/campaigns')).body.items as unknown[]).length).toBe(0);

    // Without arms a campaign is as before; with arms, they can change until the first run, not after.
    const plain = await api(g, 'POST', '/campaigns', { kind: 'sms', segmentId, text: { en: 'Hello' }, schedule: { at: '2026-11-21T06:00:00Z' } });
    expect(plain.status).toBe(201);
    expect(plain.body.arms).toBeUndefined();
    const armed = await api(g, 'POST', '/campaigns', { ...base, arms: [{ name: 'A', text: { en: 'a' } }], schedule: { cron: '0 9 * * *' } });
    expect(armed.status).toBe(201);
    const patched = await api(g, 'PATCH', `/campaigns/${armed.body.id as string}`, { arms: [{ name: 'A', text: { en: 'a' } }, { name: 'B', text: { en: 'b' }, share: 3 }] });
    expect(patched.body).toMatchObject({ arms: [{ name: 'A', share: 1 }, { name: 'B', share: 3 }] });
    expect((await api(g, 'PATCH', `/campaigns/${armed.body.id as string}`, { holdoutPercent: 120 })).status).toBe(400);
    g.clock.set('2026-11-21T06:00:00Z'); // 09:00 in Nairobi
    await g.core.campaignScheduler.tick();
    const late = await api(g, 'PATCH', `/campaigns/${armed.body.id as string}`, { holdoutPercent: 20 });
    expect(late.status).toBe(409);
    expect(late.body.error).toMatchObject({ code: 'ARMS_FIXED' });
  });
});
