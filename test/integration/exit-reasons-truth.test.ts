import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config';
import { AUTH, stopAfterEach, testGateway, type TestGateway } from '../helpers/gateway';

let gw: TestGateway | null = null;
stopAfterEach(() => [gw]);

const SECRET = 'cb-secret-exit';
const NOW = '2026-11-20T07:00:00Z';
const CB = { 'content-type': 'application/json', 'x-callback-secret': SECRET };
let seq = 0;

async function billing(g: TestGateway, msisdn: string, type: string, at: string): Promise<void> {
  const r = await g.app.inject({ method: 'POST', url: '/billing/events', headers: CB, payload: { eventId: `truth-${++seq}`, msisdn, serviceId: 'crop-daily', type, at } });
  expect(r.statusCode, r.body).toBe(200);
}

// A planted mix: per region, how many leavers answer each way (by number, by word, by free text) and
// how many never answer. The report must give back exactly these counts.
const PLANT: Record<string, { replies: string[]; silent: number }> = {
  Nakuru: { replies: [...Array(30).fill('1'), ...Array(6).fill('2'), ...Array(4).fill('ghali')], silent: 10 },
  Kisumu: { replies: [...Array(5).fill('3'), ...Array(15).fill('4'), ...Array(5).fill('Mtandao mbaya'), ...Array(5).fill('the SMS come too late')], silent: 20 },
};

describe('exit-reasons report on a planted answer mix', () => {
  it('recovers the counts, shares with intervals, response rate and the per-region split', async () => {
    gw = await testGateway({ callbacks: { secret: SECRET }, crm: { holdoutPercent: 0 } } as unknown as Partial<Config>, { now: NOW });
    let n = 0;
    for (const [region, plant] of Object.entries(PLANT)) {
      const all = [...plant.replies, ...Array<string | null>(plant.silent).fill(null)];
      for (const reply of all) {
        const msisdn = `+2547120${String(++n).padStart(5, '0')}`;
        await billing(gw, msisdn, 'subscribed', '2026-11-18T07:00:00Z');
        const p = await gw.app.inject({ method: 'PATCH', url: `/api/v1/subscribers/${encodeURIComponent(msisdn)}`, headers: AUTH, payload: { region } });
        expect(p.statusCode).toBe(200);
        await billing(gw, msisdn, 'unsubscribed', NOW);
        if (reply === null) continue;
        const r = await gw.app.inject({ method: 'POST', url: '/sms/inbound', headers: CB, payload: { from: msisdn, to: '20123', text: reply } });
        expect(r.statusCode).toBe(202);
      }
    }
    gw.clock.advance(80 * 3_600_000); // every reply window has closed
    const r = await gw.app.inject({ method: 'GET', url: '/api/v1/reports/exit-reasons?by=region', headers: AUTH });
    expect(r.statusCode).toBe(200);
    const body = r.json() as { exits: number; asked: number; answered: number; pending: number; unanswered: number; responseRate: number; reasons: { reason: string; answers: number; share: number; ci95: [number, number] }[]; groups: { value: string; answered: number; reasons: { reason: string; answers: number }[] }[] };
    expect(body).toMatchObject({ exits: 100, asked: 100, answered: 70, pending: 0, unanswered: 30, responseRate: 0.7 });
    const counts = Object.fromEntries(body.reasons.map((x) => [x.reason, x.answers]));
    expect(counts).toEqual({ too_expensive: 34, not_useful: 6, hard_to_use: 5, poor_network: 20, other: 5 });
    for (const x of body.reasons) {
      expect(x.share).toBeCloseTo(x.answers / 70, 4);
      expect(x.ci95[0]).toBeLessThanOrEqual(x.share);
      expect(x.ci95[1]).toBeGreaterThanOrEqual(x.share);
    }
    const region = (v: string) => Object.fromEntries(body.groups.find((g) => g.value === v)!.reasons.map((x) => [x.reason, x.answers]));
    expect(region('Nakuru')).toEqual({ too_expensive: 34, not_useful: 6, hard_to_use: 0, poor_network: 0, other: 0 });
    expect(region('Kisumu')).toEqual({ too_expensive: 0, not_useful: 0, hard_to_use: 5, poor_network: 20, other: 5 });
    // The follow-ups raised: one finding per "too expensive" and "hard to use" answer.
    const findings = await gw.app.inject({ method: 'GET', url: '/api/v1/reports/findings?from=2026-11-20', headers: AUTH });
    expect(findings.json()).toMatchObject({ kinds: { exit_reason: { subscribers: 39 } } });
  });
});
