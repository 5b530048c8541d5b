import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARMS_TRUTH, plantArmsCampaign, type ArmsTruth } from '../../src/crm/generator/arms';
import { DAY } from '../../src/lib/clock';
import { generatePopulation } from '../helpers/crm-pass';
import { AUTH, testGateway, type TestGateway } from '../helpers/gateway';

// After the generated days (so only planted events fall in the windows): planted arm effects (A +8 points over the holdout, B +3), then GET /campaigns/:id/results must recover them.
const START = Date.parse('2026-10-01T21:00:00Z'); // midnight in Nairobi
const SUBSCRIBERS = 4000;

let gw: TestGateway;
let truth: ArmsTruth;

beforeAll(async () => {
  gw = await testGateway({}, { now: new Date(START).toISOString() });
  await generatePopulation(gw, { subscribers: SUBSCRIBERS, days: 2, joinDays: 1, seed: 3, startAt: START, now: START });
  truth = await plantArmsCampaign(gw.core, { recipients: SUBSCRIBERS, sentAt: START + 2 * DAY + 3_600_000, seed: 3 });
  gw.clock.set(START + 13 * DAY);
  await gw.core.crm.runPass();
}, 120_000);

afterAll(async () => {
  await gw?.stop();
});

interface Line {
  name: string;
  assigned: number;
  reached: number;
  conversions: number;
  rate: number;
  ci95: [number, number];
  uplift: { value: number; ci95: [number, number]; significant: boolean } | null;
}

describe('arms planted by the generator', () => {
  it('are recovered by /campaigns/:id/results: counts exact, planted uplifts inside the 95% intervals, A the winner', async () => {
    const r = await gw.app.inject({ method: 'GET', url: `/api/v1/campaigns/${ARMS_TRUTH.campaignId}/results`, headers: AUTH });
    expect(r.statusCode).toBe(200);
    const res = r.json().arms as { arms: Line[]; holdout: Line; winner: string | null; reason: string; pending: { assignments: number } };
    expect(res.holdout).toMatchObject({ assigned: truth.holdout.assigned, conversions: truth.holdout.converted, reached: 0 });
    expect(res.pending.assignments).toBe(0);
    for (const planted of truth.arms) {
      const line = res.arms.find((a) => a.name === planted.name)!;
      // What happened is counted exactly: assignment, delivery, conversions inside the window only.
      expect(line).toMatchObject({ assigned: planted.assigned, reached: planted.delivered, conversions: planted.converted });
      const u = ARMS_TRUTH.uplift[planted.name]!;
      expect(line.uplift!.ci95[0], `${planted.name} lower`).toBeLessThanOrEqual(u);
      expect(line.uplift!.ci95[1], `${planted.name} upper`).toBeGreaterThanOrEqual(u);
      expect(line.ci95[0]).toBeLessThanOrEqual(ARMS_TRUTH.natural + u);
      expect(line.ci95[1]).toBeGreaterThanOrEqual(ARMS_TRUTH.natural + u);
    }
    expect(res.holdout.ci95[0]).toBeLessThanOrEqual(ARMS_TRUTH.natural);
    expect(res.holdout.ci95[1]).toBeGreaterThanOrEqual(ARMS_TRUTH.natural);
    expect(res.winner, res.reason).toBe('A');
    // Printed for the closing note: recovered against planted.
    console.log(JSON.stringify({ planted: ARMS_TRUTH.uplift, recovered: Object.fromEntries(res.arms.map((a) => [a.name, a.uplift])), assigned: Object.fromEntries([...res.arms, res.holdout].map((a) => [a.name, a.assigned])) }));
  });
});
