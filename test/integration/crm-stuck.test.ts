import { afterEach, describe, expect, it } from 'vitest';
import type { FakeSmsc } from '../fakes/smsc';
import { eventually, type TestGateway } from '../helpers/gateway';
import { crmGateway, ussdSession } from '../helpers/crm';

let gw: TestGateway | null = null;
let smsc: FakeSmsc | null = null;
afterEach(async () => {
  await gw?.stop();
  await smsc?.stop();
  gw = smsc = null;
});

const FARMER = '+254711000001';
// crop-advice: 1 Crop advice -> 1 Maize; the maize menu has 4 options, so 7, 8 and 9 are invalid.
const lostInMaize = (firstTime: boolean) => [...(firstTime ? ['1'] : []), '1', '1', '9', '8', '7'];

async function threeFailures(g: TestGateway, msisdn = FARMER): Promise<void> {
  for (let i = 0; i < 3; i++) {
    const screens = await ussdSession(g, msisdn, lostInMaize(i === 0));
    expect(screens.at(-1)).toMatch(/^END /);
    g.clock.advance(30 * 60_000);
  }
}

describe('stuck in the maize branch', () => {
  it('sends the maize shortcut SMS once, through the SMSC', async () => {
    ({ gw, smsc } = await crmGateway({ crm: { holdoutPercent: 0 } }, '2026-11-20T07:00:00Z')); // 10:00 in Nairobi
    await threeFailures(gw);
    const pass = gw.core.crm.runPass();
    expect(pass.findings.stuck).toBe(1);
    expect(pass.interventions.education_sms).toEqual({ treatment: 1, holdout: 0, blocked: 0 });
    const sms = await eventually(() => smsc!.submits.find((s) => s.to === '254711000001'), { what: 'education SMS' });
    expect(sms.text).toContain('*384*1*1*1#');
    expect(sms.text).toContain('Maize');

    // A later pass, and another stuck session: still one SMS.
    await ussdSession(gw, FARMER, lostInMaize(false));
    gw.clock.advance(3_600_000);
    const again = gw.core.crm.runPass();
    expect(again.findings.stuck).toBe(0);
    expect(Object.keys(again.interventions)).toEqual([]);
    await new Promise((r) => setTimeout(r, 100));
    expect(smsc.submits.filter((s) => s.to === '254711000001')).toHaveLength(1);
  });
});
