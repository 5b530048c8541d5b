import { sql, type SQL } from 'drizzle-orm';
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
    const t = Date.parse(NOW) - 86_400_000;
    let n = 0;
    const rows: SQL[] = [];
    for (const [region, crop, language, operator, count] of planted) {
      for (let i = 0; i < count; i++) rows.push(sql`(${`+2547${String(++n).padStart(8, '0')}`}, ${region}, ${crop}, ${language}, ${operator}, ${t}, ${t})`);
    }
    await gw.core.database.run(sql`INSERT INTO subscribers (msisdn, region, crop, language, operator, first_seen_at, updated_at) VALUES ${sql.join(rows, sql`, `)}`);
    await gw.core.crm.runPass(Date.parse(NOW));
  });
  afterAll(async () => {
    await gw.stop();
  });

  it('stores the planted counts, unknown values as "unknown", keys in SQL GROUP BY order', async () => {
    const db = gw.core.database;
    const { data } = (await db.get<{ data: unknown }>(sql`SELECT data FROM crm_snapshots WHERE kind = 'reach' ORDER BY day DESC LIMIT 1`))!;
    const expected = { region: {}, crop: {}, language: {}, operator: {} } as Record<string, Record<string, number>>;
    const groups = await db.all<{ region: string | null; crop: string | null; language: string | null; operator: string | null; n: number }>(
      sql`SELECT region, crop, language, operator, count(*) AS n FROM subscribers GROUP BY 1, 2, 3, 4`,
    );
    for (const { region, crop, language, operator, n } of groups) {
      for (const [dim, v] of [['region', region], ['crop', crop], ['language', language], ['operator', operator]] as const) expected[dim]![v ?? 'unknown'] = (expected[dim]![v ?? 'unknown'] ?? 0) + n;
    }
    // The key order is SQLite's to keep: its JSON is stored as text and its GROUP BY comes out sorted.
    // PostgreSQL stores the snapshot as jsonb, which orders keys its own way, and hashes its groups.
    if (db.dialect === 'sqlite') expect(data).toBe(JSON.stringify(expected));
    const stored = (typeof data === 'string' ? JSON.parse(data) : data) as Record<string, Record<string, number>>;
    expect(stored).toEqual(expected);
    expect(stored).toEqual({
      region: { unknown: 3, Bungoma: 1, Nakuru: 13, Zeta: 4, nakuru: 2, Éldoret: 5, Ñandarua: 2 },
      crop: { maize: 12, unknown: 2, sorghum: 1, beans: 15 },
      language: { en: 14, sw: 12, unknown: 4 },
      operator: { airtel: 10, unknown: 2, safaricom: 12, telkom: 6 },
    });
  });
});
