import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config';
import type { FakeSmsc } from '../fakes/smsc';
import type { FakeVoiceProvider } from '../fakes/voice-provider';
import { bestChannelOf, channelGateway, plantHabits } from '../helpers/best-channel';
import { apiGet, billing } from '../helpers/crm';
import { eventually, stopAfterEach, type TestGateway } from '../helpers/gateway';

let gw: TestGateway | null = null;
let smsc: FakeSmsc | null = null;
let voice: FakeVoiceProvider | null = null;
stopAfterEach(() => [voice, gw, smsc]);

const SERVICES = [{ id: 'crop-daily', name: 'Crop advice', price: 5, currency: 'KES', period: 'daily', shortCode: '20123', keywords: ['SHAMBA'], operators: {} }] as unknown as Config['services'];
const CALLER = '+254711000401';
const TEXTER = '+254711000402';

type Intervention = { kind: string; arm: string; channel: string; status: string; delivery: string | null };
const interventionsOf = async (g: TestGateway, m: string) => ((await apiGet(g, `/subscribers/${m}`)).body.crm as { interventions: Intervention[] }).interventions;

describe('interventions that follow the best channel', () => {
  it('a save message to a subscriber whose best channel is call becomes a guidance call; the texter still gets the SMS', async () => {
    ({ gw, smsc, voice } = await channelGateway({ services: SERVICES, crm: { holdoutPercent: 0, interventions: { bestChannel: ['save'] } } }, '2026-11-10T06:00:00Z'));
    await plantHabits(gw, smsc, voice, { callers: [CALLER], texters: [TEXTER] }, '2026-11-10', 3);
    await gw.core.crm.runPass();
    expect((await bestChannelOf(gw, CALLER)).channel).toBe('call');
    expect((await bestChannelOf(gw, TEXTER)).channel).toBe('sms');

    for (const m of [CALLER, TEXTER]) {
      await billing(gw, m, 'subscribed', '2026-11-15T06:00:00Z');
      await billing(gw, m, 'renewed', '2026-11-16T06:00:00Z');
      await billing(gw, m, 'renewal_failed', '2026-11-17T06:00:00Z', { reason: 'insufficient_balance' });
    }
    gw.clock.set('2026-11-17T07:00:00Z');
    const callsBefore = voice.calls.length;
    const smsBefore = smsc.submits.length;
    voice.script(CALLER, [{ kind: 'answer', keys: [], durationSeconds: 40 }]);
    const pass = await gw.core.crm.runPass();
    expect(pass.findings.lapsing).toBe(2);
    expect(pass.interventions.save).toEqual({ treatment: 2, holdout: 0, blocked: 0 });

    await eventually(async () => (await interventionsOf(gw!, CALLER))[0]?.delivery === 'answered', { what: 'save call answered' });
    await eventually(async () => (await interventionsOf(gw!, TEXTER))[0]?.delivery === 'delivered', { what: 'save SMS delivered' });
    await voice.settle();
    expect(voice.calls.slice(callsBefore).map((c) => c.to)).toEqual([CALLER]);
    const saveSms = smsc.submits.slice(smsBefore).map((s) => `+${s.to}`);
    expect(saveSms).toEqual([TEXTER]);
    expect(await interventionsOf(gw, CALLER)).toEqual([expect.objectContaining({ kind: 'save', arm: 'treatment', channel: 'call' })]);
    expect(await interventionsOf(gw, TEXTER)).toEqual([expect.objectContaining({ kind: 'save', arm: 'treatment', channel: 'sms' })]);

    // One report line for the kind, carried by both channels, each reached once.
    const report = (await apiGet(gw, '/reports/interventions?from=2026-11-01&to=2026-11-30&windows=all')).body as { kinds: { kind: string; channel: string; treated: { subscribers: number; reached: number }; delivery: Record<string, number> }[] };
    const save = report.kinds.find((k) => k.kind === 'save')!;
    expect(save).toMatchObject({ channel: 'mixed', treated: { subscribers: 2, reached: 2 }, delivery: { delivered: 1, answered: 1 } });
  });
});
