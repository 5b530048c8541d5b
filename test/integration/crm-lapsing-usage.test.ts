import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { DAY } from '../../src/lib/clock';
import { stopAfterEach, testGateway, type TestGateway } from '../helpers/gateway';
import { apiGet } from '../helpers/crm';
import { generatePopulation } from '../helpers/crm-pass';
import { findSubscriberById } from '../helpers/subscribers';

let gw: TestGateway | null = null;
stopAfterEach(() => [gw]);

const START = Date.parse('2026-10-01T21:00:00Z'); // midnight in Nairobi

describe('lapsing by usage', () => {
  it('fits BG/BB on the population and flags regulars whose probability of still being active has just fallen', async () => {
    gw = await testGateway({ crm: { holdoutPercent: 0 } }, { now: new Date(START + 40 * DAY + 9 * 3_600_000).toISOString() });
    await generatePopulation(gw, { subscribers: 3000, days: 40, seed: 5, startAt: START, now: START });
    const pass = await gw.core.crm.runPass();
    expect(pass.refit).toMatchObject({ bgbb: 3 }); // the October and November cohorts, and all together
    const db = gw.core.database;
    const usage = await db.all<{ subscriber_id: number; detail: unknown }>(sql`SELECT subscriber_id, detail FROM crm_findings WHERE kind = 'lapsing' AND reason = 'usage_fading'`);
    expect(usage.length).toBeGreaterThan(0);
    for (const f of usage) {
      // JSON text on SQLite, decoded already on PostgreSQL.
      const d = (typeof f.detail === 'string' ? JSON.parse(f.detail) : f.detail) as { pAlive: number; activeDays: number };
      expect(d.pAlive).toBeLessThanOrEqual(0.3); // rounded to 3 decimals
      expect(d.activeDays).toBeGreaterThanOrEqual(3);
    }
    // The save message for fading usage went to the outbox, in the subscriber's language.
    const sample = (await Promise.all(usage.map((f) => findSubscriberById(gw!.core, f.subscriber_id)))).find((s) => !s!.optedOut)!;
    const msgs = await db.all<{ text: string }>(sql`SELECT text FROM messages WHERE source = 'intervention' AND msisdn = ${sample.msisdn}`);
    expect(msgs.map((m) => m.text)).toContainEqual(
      sample.language === 'sw'
        ? 'Tuna ushauri mpya wa mazao kwa ajili yako. Piga *384*1# kupata ushauri wa kupanda, wadudu, hali ya hewa na bei.'
        : 'We have new crop advice for you. Dial *384*1# for planting, pests, weather and market tips.',
    );
    // Scores show on the subscriber: P(alive) below the threshold.
    const crm = (await apiGet(gw, `/subscribers/${sample.msisdn}`)).body.crm as { scores: { pAlive: number; expectedActiveDays30: number } };
    expect(crm.scores.pAlive).toBeLessThanOrEqual(0.3);
    expect(crm.scores.expectedActiveDays30).toBeGreaterThanOrEqual(0);
    // The next day's pass does not flag them again.
    gw.clock.advance(DAY);
    const next = await gw.core.crm.runPass();
    const again = (await db.get<{ n: number }>(sql`SELECT count(*) AS n FROM crm_findings WHERE kind = 'lapsing' AND reason = 'usage_fading' AND subscriber_id = ${sample.id}`))!;
    expect(again.n).toBe(1);
    expect(next.findings.lapsing).toBeGreaterThanOrEqual(0);
  }, 300_000); // 3000 subscribers over 40 days: a CRM pass over their whole history (on PostgreSQL its rollups are written a row at a time), then another
});
