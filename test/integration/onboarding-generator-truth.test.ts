import { beforeAll, describe, expect, it } from 'vitest';
import type { GenerateSummary } from '../../src/crm/generator/population';
import { generateWithCrm } from '../helpers/crm-pass';
import { AUTH, stopAfterAll, testGateway, type TestGateway } from '../helpers/gateway';

// The generator plants the welcome's effect (first go on the next visit, a visit in the fourth week) on the
// new subscribers the real CRM welcomed; the onboarding report over HTTP must bracket the true effects.
const START = Date.parse('2026-10-01T21:00:00Z'); // midnight in Nairobi
const DAYS = 40;
const JOIN_DAYS = 8; // everyone joins early enough for their 30-day window to close inside the run

let gw: TestGateway;
let summary: GenerateSummary;

beforeAll(async () => {
  gw = await testGateway({ crm: { holdoutPercent: 50, onboarding: { enabled: true } } }, { now: new Date(START).toISOString() });
  summary = await generateWithCrm(gw, { subscribers: 2000, days: DAYS, joinDays: JOIN_DAYS, seed: 1, start: START });
}, 300_000);

stopAfterAll(() => [gw]);

type Cmp = { uplift: number; ci95: [number, number]; treatment: { subscribers: number }; holdout: { subscribers: number }; pending: { onboarded: number; heldOut: number } };

describe('generator with the CRM acting: planted onboarding effect', () => {
  it('the onboarding report counts every welcome decided, and its intervals bracket the planted first-go and retention effects', async () => {
    const res = await gw.app.inject({ url: '/api/v1/reports/onboarding?from=2026-10-01&to=2026-11-30', headers: AUTH });
    expect(res.statusCode).toBe(200);
    const r = res.json() as { newSubscribers: Record<string, number>; firstGo: Cmp; retention: Cmp };
    const truth = summary.crm!.onboarding;
    expect({ onboarded: r.newSubscribers.onboarded, heldOut: r.newSubscribers.heldOut }).toEqual({ onboarded: truth.welcomed.treatment, heldOut: truth.welcomed.holdout });
    // The effects are real (the planted shares move people) and the report's interval holds the true ITT.
    for (const [name, t, got] of [['first go', truth.firstGo, r.firstGo], ['retention', truth.retention, r.retention]] as const) {
      expect(t.itt!, name).toBeGreaterThan(0.03);
      expect(t.itt!, `${name}: planted ITT ${t.itt} outside ${JSON.stringify(got.ci95)}`).toBeGreaterThanOrEqual(got.ci95[0]);
      expect(t.itt!, `${name}: planted ITT ${t.itt} outside ${JSON.stringify(got.ci95)}`).toBeLessThanOrEqual(got.ci95[1]);
      // Each arm holds the subscribers the generator followed, give or take a visit the CRM grouped differently.
      expect(Math.abs(got.treatment.subscribers - t.treatment.n), name).toBeLessThanOrEqual(Math.max(5, t.treatment.n * 0.1));
      expect(Math.abs(got.holdout.subscribers - t.holdout.n), name).toBeLessThanOrEqual(Math.max(5, t.holdout.n * 0.1));
    }
    // Every retention window has closed.
    expect(r.retention.pending).toEqual({ onboarded: 0, heldOut: 0 });
  });
});
