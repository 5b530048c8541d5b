import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { FakeSmsc } from '../fakes/smsc';
import type { FakeVoiceProvider } from '../fakes/voice-provider';
import { eventually, stopAfterEach, type TestGateway } from '../helpers/gateway';
import { apiGet, crmGateway, ivrCall, ussdSession, voiceGateway } from '../helpers/crm';
import { findSubscriber } from '../helpers/subscribers';

let gw: TestGateway | null = null;
let smsc: FakeSmsc | null = null;
let voice: FakeVoiceProvider | null = null;
stopAfterEach(() => [voice, gw, smsc]);

const FARMER = '+254711000001';
const WIRE = '254711000001';
// crop-advice: 1 Crop advice -> 1 Maize; the maize menu has 4 options, so 7, 8 and 9 are invalid.
const lostInMaize = (firstTime: boolean) => [...(firstTime ? ['1'] : []), '1', '1', '9', '8', '7'];

async function threeFailures(g: TestGateway, msisdn = FARMER): Promise<void> {
  for (let i = 0; i < 3; i++) {
    const screens = await ussdSession(g, msisdn, lostInMaize(i === 0));
    expect(screens.at(-1)).toMatch(/^END /);
    g.clock.advance(30 * 60_000);
  }
}

const decode = (d: unknown): unknown => (typeof d === 'string' ? JSON.parse(d) : d);
const toFarmer = (s: FakeSmsc) => s.submits.filter((m) => m.to === WIRE);
/** Gives the dispatcher time to send anything it would send (it polls every 10 ms in these tests). */
const settle = () => new Promise((r) => setTimeout(r, 150));

describe('a subscriber who fails three times in the maize branch', () => {
  it('gets the maize shortcut SMS at the SMSC, once', async () => {
    ({ gw, smsc } = await crmGateway({ crm: { holdoutPercent: 0 } }, '2026-11-20T07:00:00Z')); // 10:00 in Nairobi
    await threeFailures(gw);
    const pass = await gw.core.crm.runPass();
    expect(pass.findings.stuck).toBe(1);
    expect(pass.interventions.education_sms).toEqual({ treatment: 1, holdout: 0, blocked: 0 });
    const sms = await eventually(() => toFarmer(smsc!)[0], { what: 'education SMS' });
    expect(sms.text).toBe('Tip: dial *384*1*1*1# to go straight to Maize. Press 0 to go back, 00 for the main menu.');

    // The finding, what they sought and the intervention show on the subscriber.
    const view = (await apiGet(gw, `/subscribers/${FARMER}`)).body.crm as { flags: Record<string, unknown>[]; interventions: Record<string, unknown>[] };
    expect(view.flags).toEqual([expect.objectContaining({ kind: 'stuck', status: 'acted', detail: expect.objectContaining({ nodeId: 'maize', shortcut: '*384*1*1*1#', stuckSessions: 3 }) })]);
    expect(view.interventions).toEqual([expect.objectContaining({ kind: 'education_sms', arm: 'treatment', channel: 'sms', status: 'queued' })]);

    // Stuck again the next day, more passes: still only one SMS.
    gw.clock.advance(24 * 3_600_000);
    await threeFailures(gw);
    const again = await gw.core.crm.runPass();
    expect(again.findings.stuck).toBe(0);
    expect(again.interventions).toEqual({});
    gw.clock.advance(3_600_000);
    await gw.core.crm.runPass();
    await settle();
    expect(toFarmer(smsc)).toHaveLength(1);
  });

  it('in the evening, gets it only after quiet hours end', async () => {
    ({ gw, smsc } = await crmGateway({ crm: { holdoutPercent: 0 } }, '2026-11-20T16:00:00Z')); // 19:00 in Nairobi
    await threeFailures(gw); // the pass runs after 20:00
    expect(gw.clock.now()).toBeGreaterThan(Date.parse('2026-11-20T17:00:00Z'));
    const pass = await gw.core.crm.runPass();
    expect(pass.interventions.education_sms?.treatment).toBe(1);
    await settle();
    expect(toFarmer(smsc)).toHaveLength(0);
    gw.clock.set('2026-11-21T03:59:00Z');
    await settle();
    expect(toFarmer(smsc)).toHaveLength(0);
    gw.clock.set('2026-11-21T04:00:00Z'); // 07:00 in Nairobi
    const sms = await eventually(() => toFarmer(smsc!)[0], { what: 'education SMS after quiet hours' });
    expect(sms.text).toContain('*384*1*1*1#');
  });

  it('who sent STOP gets nothing', async () => {
    ({ gw, smsc } = await crmGateway({ crm: { holdoutPercent: 0 } }, '2026-11-20T07:00:00Z'));
    await threeFailures(gw);
    smsc.sendMo({ from: WIRE, to: '20123', text: 'STOP' });
    await eventually(async () => (await findSubscriber(gw!.core, FARMER))?.optedOut, { what: 'opt-out recorded' });
    const stopReply = await eventually(() => toFarmer(smsc!)[0], { what: 'opt-out confirmation' });
    const pass = await gw.core.crm.runPass();
    expect(pass.findings.stuck).toBe(1);
    expect(pass.ineligible).toEqual({ opted_out: 1 });
    expect(pass.interventions).toEqual({});
    await settle();
    expect(toFarmer(smsc).map((m) => m.text)).toEqual([stopReply.text]);
    const view = (await apiGet(gw, `/subscribers/${FARMER}`)).body.crm as { flags: unknown[]; interventions: unknown[] };
    expect(view.interventions).toEqual([]);
  });

  it('in the holdout gets nothing, and the decision is recorded for the experiment', async () => {
    ({ gw, smsc } = await crmGateway({ crm: { holdoutPercent: 100 } }, '2026-11-20T07:00:00Z'));
    await threeFailures(gw);
    const pass = await gw.core.crm.runPass();
    expect(pass.interventions.education_sms).toEqual({ treatment: 0, holdout: 1, blocked: 0 });
    await settle();
    expect(toFarmer(smsc)).toHaveLength(0);
    const events = (await apiGet(gw, `/subscribers/${FARMER}/events?limit=5`)).body as unknown as { type: string; detail?: Record<string, unknown> }[];
    expect(events[0]).toMatchObject({ type: 'intervention', detail: { kind: 'education_sms', arm: 'holdout', finding: 'stuck', status: 'held_out' } });
  });
});

describe('a message messaging refuses', () => {
  it('closes that finding with the reason and lets the pass go on', async () => {
    ({ gw, smsc } = await crmGateway(
      { crm: { holdoutPercent: 0, interventions: { templates: { education_sms: { en: `Dial {shortcut}. ${'Long advice. '.repeat(20)}` } } } }, messaging: { maxParts: 1 } },
      '2026-11-20T07:00:00Z',
    ));
    await threeFailures(gw);
    const pass = await gw.core.crm.runPass();
    expect(pass.findings.stuck).toBe(1);
    expect(pass.ineligible).toEqual({ failed: 1 });
    const rows = await gw.core.database.all<{ status: string; detail: unknown }>(sql`SELECT status, detail FROM crm_findings`);
    // JSON comes back as text on SQLite and already decoded on PostgreSQL.
    expect(rows.map((r) => ({ status: r.status, why: (decode(r.detail) as { ineligible?: unknown }).ineligible }))).toEqual([{ status: 'ineligible', why: 'failed: TEXT_TOO_LONG' }]);
    expect(await gw.core.database.get(sql`SELECT count(*) AS n FROM crm_interventions`)).toEqual({ n: 0 });
  });
});

describe('a caller who keeps failing in the IVR menu', () => {
  it('gets a voice-guidance call into the guidance flow', async () => {
    ({ gw, smsc, voice } = await voiceGateway({ crm: { holdoutPercent: 0 } }, '2026-11-20T07:00:00Z'));
    voice.script(FARMER, [{ kind: 'answer', keys: [] }]);
    for (let i = 0; i < 3; i++) {
      // Language (first call only), Crop advice, Maize, then three keys the maize menu does not have.
      await ivrCall(gw, FARMER, [...(i === 0 ? ['1'] : []), '1', '1', '9', '8', '7']);
      gw.clock.advance(30 * 60_000);
    }
    const pass = await gw.core.crm.runPass();
    expect(pass.findings.stuck).toBe(1);
    expect(pass.interventions.voice_guidance).toEqual({ treatment: 1, holdout: 0, blocked: 0 });
    await eventually(() => voice!.calls.find((c) => c.to === FARMER), { what: 'guidance call placed' });
    const calls = await gw.core.database.all(sql`SELECT flow_id AS "flowId" FROM calls WHERE source = 'intervention'`);
    expect(calls).toEqual([{ flowId: 'voice-guide' }]);
    expect(toFarmer(smsc)).toHaveLength(0);
  });
});
