import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config';
import type { FakeSmsc } from '../fakes/smsc';
import type { FakeVoiceProvider } from '../fakes/voice-provider';
import { AUTH, eventually, stopAfterEach, type TestGateway } from '../helpers/gateway';
import { apiGet, billing, voiceGateway } from '../helpers/crm';

let gw: TestGateway | null = null;
let smsc: FakeSmsc | null = null;
let voice: FakeVoiceProvider | null = null;
stopAfterEach(() => [gw, smsc, voice]);

const SERVICES = [{ id: 'crop-daily', name: 'Crop advice', price: 5, currency: 'KES', period: 'daily', shortCode: '20123', keywords: ['SHAMBA'], operators: {} }] as unknown as Config['services'];
const payers = Array.from({ length: 16 }, (_, i) => `+2547560000${String(i + 10)}`);
const wire = (m: string) => m.replace('+', '');

interface Outcome {
  treatment: number | null;
  holdout: number | null;
  uplift: number | null;
}

// "Came back" is the subscriber's own visit: a session they started or an SMS keyword answered with
// content. Traffic the intervention itself causes exists only in the treated arm (a STOP or "who is this?"
// answering our SMS, a call we place), so counting it would show an uplift where there is none.
describe('intervention outcomes do not count the intervention’s own traffic', () => {
  it('replies to our SMS and a call we placed are not returns; a keyword in the holdout is', async () => {
    ({ gw, smsc, voice } = await voiceGateway({ services: SERVICES, crm: { holdoutPercent: 50 }, messaging: { quietHours: null } }, '2026-11-20T06:00:00Z'));
    for (const m of payers) await billing(gw, m, 'subscribed', '2026-11-18T06:00:00Z');
    for (const m of payers) await billing(gw, m, 'renewed', '2026-11-19T06:00:00Z');
    for (const m of payers) await billing(gw, m, 'renewed', '2026-11-20T06:00:00Z');
    gw.clock.set('2026-11-20T07:00:00Z');
    await gw.core.groupCommit?.idle();
    expect((await gw.core.crm.runPass()).findings.passive).toBe(payers.length);
    const arms = new Map<string, string>();
    for (const m of payers) arms.set(m, ((await apiGet(gw, `/subscribers/${m}`)).body.crm as { interventions: { arm: string }[] }).interventions[0]!.arm);
    const treated = payers.filter((m) => arms.get(m) === 'treatment');
    const held = payers.filter((m) => arms.get(m) === 'holdout');
    expect(treated.length).toBeGreaterThanOrEqual(3);
    expect(held.length).toBeGreaterThan(0);
    await eventually(() => treated.every((m) => smsc!.messages().some((x) => x.to === wire(m))), { what: 'nudges sent' });

    // The next day the treated answer the nudge (STOP, HELP, a question) and one of them gets a call we
    // placed, listened to the end; one held-out subscriber texts a keyword and gets advice.
    gw.clock.set('2026-11-21T08:00:00Z');
    const replies = ['STOP', 'HELP', 'who is this?'];
    const before = smsc.messages().length;
    treated.slice(0, 3).forEach((m, i) => smsc!.sendMo({ from: wire(m), to: '20123', text: replies[i]! }));
    smsc.sendMo({ from: wire(held[0]!), to: '20123', text: 'MAIZE' });
    await eventually(() => smsc!.messages().length >= before + 4, { what: 'replies to the MO messages' });
    const called = treated[treated.length - 1]!;
    voice.script(called, [{ kind: 'answer', keys: ['1', '1', '1', '1', '0'], durationSeconds: 64 }]);
    const res = await gw.app.inject({ method: 'POST', url: '/api/v1/calls', headers: AUTH, payload: { to: called, flowId: 'crop-advice' } });
    expect(res.statusCode).toBeLessThan(300);
    const { id } = res.json() as { id: string };
    await eventually(async () => ((await gw!.app.inject({ method: 'GET', url: `/api/v1/calls/${id}`, headers: AUTH })).json() as { status: string }).status === 'completed', { what: 'call completed' });
    await voice.settle();
    gw.clock.advance(3_600_000);
    await gw.core.groupCommit?.idle();
    await gw.core.crm.runPass();

    gw.clock.set('2026-12-05T08:00:00Z');
    await gw.core.groupCommit?.idle();
    await gw.core.crm.runPass();
    const r = await apiGet(gw, '/reports/interventions?from=2026-11-01&to=2026-11-30');
    const nudge = (r.body.kinds as { kind: string; outcomes: Record<string, Outcome> }[]).find((k) => k.kind === 'nudge')!;
    // The treated only answered us or were called by us: none came back. The held-out keyword did.
    expect(nudge.outcomes.returned).toMatchObject({ treatment: 0, holdout: 1 / held.length });
    expect(nudge.outcomes.reachedContent).toMatchObject({ treatment: 0, holdout: 1 / held.length });
  });
});
