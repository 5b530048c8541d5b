import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testGateway, type TestGateway } from '../helpers/gateway';

// The daily snapshot counts registered subscribers per region, crop, language and operator for the
// usage report. It is counted in the same scan as the profiles; the stored snapshot must be what SQL's
// GROUP BY gave before (same counts, same key order), unknown values included.
describe('CRM snapshot: registered subscribers per region, crop, language, operator', () => {
  let gw: TestGateway;
  const NOW = '2026-11-20T09:00:00Z';
  // [region, crop, language, operator, how many]
  const planted: [string | null, string | null, string | null, string | null, number][] = [
    ['Nakuru', 'maize', 'sw', 'safaricom', 7],
    [null, 'maize', 'en', 'airtel', 3],
    ['Ñandarua', null, 'sw', null, 2],
    ['Zeta', 'beans', null, 'telkom', 4],
    ['Éldoret', 'beans', 'en', 'safaricom', 5],
    ['Bungoma', 'sorghum', 'sw', 'airtel', 1],
    ['Nakuru', 'beans', 'en', 'airtel', 6],
    ['nakuru', 'maize', 'sw', 'telkom', 2],
  ];

  beforeAll(async () => {
    gw = await testGateway({}, { now: NOW });
    const c = gw.core.db.$client;
    const add = c.prepare('INSERT INTO subscribers (msisdn, region, crop, language, operator, first_seen_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    const t = Date.parse(NOW) - 86_400_000;
    let n = 0;
    c.transaction(() => {
      for (const [region, crop, language, operator, count] of planted) {
        for (let i = 0; i < count; i++) add.run(`+2547${String(++n).padStart(8, '0')}`, region, crop, language, operator, t, t);
      }
    })();
    await gw.core.crm.runPass(Date.parse(NOW));
  });
  afterAll(async () => {
    await gw.stop();
  });

  it('stores the planted counts, unknown values as "unknown", keys in SQL GROUP BY order', () => {
    const c = gw.core.db.$client;
    const stored = (c.prepare("SELECT data FROM crm_snapshots WHERE kind = 'reach' ORDER BY day DESC LIMIT 1").get() as { data: string }).data;
    const expected = { region: {}, crop: {}, language: {}, operator: {} } as Record<string, Record<string, number>>;
    const groups = c.prepare('SELECT region, crop, language, operator, count(*) FROM subscribers GROUP BY 1, 2, 3, 4').raw().all() as [string | null, string | null, string | null, string | null, number][];
    for (const [region, crop, language, operator, count] of groups) {
      for (const [dim, v] of [['region', region], ['crop', crop], ['language', language], ['operator', operator]] as const) expected[dim]![v ?? 'unknown'] = (expected[dim]![v ?? 'unknown'] ?? 0) + count;
    }
    expect(stored).toBe(JSON.stringify(expected));
    expect(JSON.parse(stored)).toEqual({
      region: { unknown: 3, Bungoma: 1, Nakuru: 13, Zeta: 4, nakuru: 2, Éldoret: 5, Ñandarua: 2 },
      crop: { maize: 12, unknown: 2, sorghum: 1, beans: 15 },
      language: { en: 14, sw: 12, unknown: 4 },
      operator: { airtel: 10, unknown: 2, safaricom: 12, telkom: 6 },
    });
  });
});
