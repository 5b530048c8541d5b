import { describe, expect, it } from 'vitest';
import { PopulationGenerator } from '../../src/crm/generator/population';
import { DAY } from '../../src/lib/clock';
import { stopAfterEach, testGateway, type TestGateway } from '../helpers/gateway';
import { apiGet } from '../helpers/crm';
import { findSubscriberById } from '../helpers/subscribers';

let gw: TestGateway | null = null;
stopAfterEach(() => [gw]);

const START = Date.parse('2026-10-01T21:00:00Z'); // midnight in Nairobi

describe('lapsing by usage', () => {
  it('fits BG/BB on the population and flags regulars whose probability of still being active has just fallen', async () => {
    gw = await testGateway({ crm: { holdoutPercent: 0 } }, { now: new Date(START + 40 * DAY + 9 * 3_600_000).toISOString() });
    await new PopulationGenerator(gw.core.db, gw.core.flows, gw.config).generate({ subscribers: 3000, days: 40, seed: 5, startAt: START, now: START });
    const pass = await gw.core.crm.runPass();
    expect(pass.refit).toMatchObject({ bgbb: 3 }); // the October and November cohorts, and all together
    const usage = gw.core.db.$client.prepare("SELECT subscriber_id, detail FROM crm_findings WHERE kind = 'lapsing' AND reason = 'usage_fading'").all() as { subscriber_id: number; detail: string }[];
    expect(usage.length).toBeGreaterThan(0);
    for (const f of usage) {
      const d = JSON.parse(f.detail) as { pAlive: number; activeDays: number };
      expect(d.pAlive).toBeLessThanOrEqual(0.3); // rounded to 3 decimals
      expect(d.activeDays).toBeGreaterThanOrEqual(3);
    }
    // The save message for fading usage went to the outbox, in the subscriber's language.
    const sample = (await Promise.all(usage.map((f) => findSubscriberById(gw!.core, f.subscriber_id)))).find((s) => !s!.optedOut)!;
    const msgs = gw.core.db.$client.prepare("SELECT text FROM messages WHERE source = 'intervention' AND msisdn = ?").all(sample.msisdn) as { text: string }[];
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
    const again = gw.core.db.$client.prepare("SELECT count(*) AS n FROM crm_findings WHERE kind = 'lapsing' AND reason = 'usage_fading' AND subscriber_id = ?").get(sample.id) as { n: number };
    expect(again.n).toBe(1);
    expect(next.findings.lapsing).toBeGreaterThanOrEqual(0);
  });
});
