import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH, testGateway, type TestGateway } from '../helpers/gateway';
import { apiGet, ussdSession } from '../helpers/crm';

// Planted truth, through the real channels: maize planting advice (months 3-5 and 10-11, crops: maize from
// the maize menu) and cassava prices (crops: cassava; regions: coast, eastern, western, nyanza).
//   April:  A (coast, maize) in context; B (rift-valley, cassava) outside the crops; C (no profile) unknown.
//           Cassava prices: A outside the crops; B outside the regions; C unknown region and crops.
//   July:   A reads maize planting by USSD and by SMS keyword: outside the months, twice.
//   31 May 22:30 UTC is 1 June 01:30 in Nairobi: outside the months in the subscriber's time zone.
const A = '+254777100001';
const B = '+254777100002';
const C = '+254777100003';
const MAIZE_PLANTING = ['1', '1', '1'];
const CASSAVA_PRICES = ['2', '3'];
let gw: TestGateway;
const screens: string[][] = [];

beforeAll(async () => {
  gw = await testGateway({ crm: { holdoutPercent: 0, act: false } }, { now: '2026-04-10T07:00:00Z' });
  const patch = (m: string, body: Record<string, unknown>) => gw.app.inject({ method: 'PATCH', url: `/api/v1/subscribers/${m}`, headers: AUTH, payload: body });
  expect((await patch(A, { language: 'en', region: 'coast', crops: ['maize'] })).statusCode).toBe(200);
  expect((await patch(B, { language: 'en', region: 'rift-valley', crop: 'cassava' })).statusCode).toBe(200);
  expect((await patch(C, { language: 'en' })).statusCode).toBe(200);
  // Sessions 10 minutes apart: past the resume window, so each starts at the main menu.
  const session = async (m: string, inputs: string[]) => {
    screens.push(await ussdSession(gw, m, inputs));
    gw.clock.advance(600_000);
  };
  for (const m of [A, B, C]) {
    await session(m, MAIZE_PLANTING);
    await session(m, CASSAVA_PRICES);
  }
  await gw.core.crm.runPass();
  gw.clock.set('2026-05-31T22:30:00Z');
  await session(A, MAIZE_PLANTING);
  gw.clock.set('2026-07-15T08:00:00Z');
  await session(A, MAIZE_PLANTING);
  const sms = await gw.app.inject({ method: 'POST', url: '/sms/inbound', payload: { from: A, to: '20123', text: 'MAIZE' } });
  expect(sms.statusCode).toBe(202);
  gw.clock.advance(3_600_000);
  await gw.core.crm.runPass();
});
afterAll(async () => {
  await gw?.stop();
});

type Node = { flowId: string; nodeId: string; served: number; outside: Record<string, number>; share: Record<string, number | null>; unknown: Record<string, number>; line: number | null; file: string; context: unknown };

describe('context report', () => {
  it('the sessions reached the planted advice', () => {
    const last = screens.map((s) => s[s.length - 1]!);
    expect(last.filter((s) => s.includes('Plant when the rains start'))).toHaveLength(5);
    expect(last.filter((s) => s.includes('Fresh cassava'))).toHaveLength(3);
  });

  it('counts exactly the planted out-of-context serves, worst first', async () => {
    const r = await apiGet(gw, '/reports/context?from=2026-04-01&to=2026-07-31');
    expect(r.status).toBe(200);
    const nodes = r.body.nodes as Node[];
    const maize = nodes.find((n) => n.nodeId === 'maize-planting')!;
    expect(maize).toMatchObject({
      flowId: 'crop-advice',
      file: 'crop-advice.yaml',
      context: { months: [3, 4, 5, 10, 11], crops: ['maize'] },
      served: 6,
      outside: { any: 4, months: 3, regions: 0, crops: 1 },
      unknown: { region: 0, crops: 1 },
    });
    expect(maize.share.any).toBeCloseTo(4 / 6, 4);
    expect(maize.line).toBeGreaterThan(1);
    const cassava = nodes.find((n) => n.nodeId === 'market-cassava')!;
    expect(cassava).toMatchObject({ served: 3, outside: { any: 2, months: 0, regions: 1, crops: 1 }, unknown: { region: 1, crops: 1 } });
    expect(nodes.indexOf(maize)).toBe(0);
    expect(nodes.indexOf(cassava)).toBe(1);
    // Advice with a context nobody reached is listed, with nothing served.
    expect(nodes.find((n) => n.nodeId === 'beans-planting')).toMatchObject({ served: 0, outside: { any: 0 } });
    expect(r.body).toMatchObject({ served: 9, outsideAny: 6 });
  });

  it('a range holds only its own days', async () => {
    const r = await apiGet(gw, '/reports/context?from=2026-07-01&to=2026-07-31');
    const maize = (r.body.nodes as Node[]).find((n) => n.nodeId === 'maize-planting')!;
    expect(maize).toMatchObject({ served: 2, outside: { any: 2, months: 2 } });
  });

  it('bad input is a 400 and changes nothing', async () => {
    const r = await apiGet(gw, '/reports/context?from=yesterday');
    expect(r.status).toBe(400);
    expect((r.body.error as { code: string }).code).toBe('INVALID_RANGE');
  });
});
