import { describe, expect, it } from 'vitest';
import type { FakeSmsc } from '../fakes/smsc';
import type { FakeVoiceProvider } from '../fakes/voice-provider';
import { bestChannelOf, callPlaced, channelGateway, profile, smsDelivered } from '../helpers/best-channel';
import { ussdSession } from '../helpers/crm';
import { eventually, stopAfterEach, type TestGateway } from '../helpers/gateway';

let gw: TestGateway | null = null;
let smsc: FakeSmsc | null = null;
let voice: FakeVoiceProvider | null = null;
stopAfterEach(() => [voice, gw, smsc]);

// Planted: a caller picks up every call and ignores every SMS; a texter answers every SMS with a keyword and
// never picks up; a dialler goes to the USSD menu after every SMS; a newcomer got a single SMS.
const CALLER = '+254711000301';
const TEXTER = '+254711000302';
const DIALLER = '+254711000303';
const NEWCOMER = '+254711000304';

describe('best channel per subscriber', () => {
  it('recovers planted habits from SMS receipts, replies, USSD visits and answered calls, with exact evidence', async () => {
    ({ gw, smsc, voice } = await channelGateway({ crm: { act: false } }, '2026-11-10T06:00:00Z'));
    for (const m of [CALLER, TEXTER, DIALLER, NEWCOMER]) await profile(gw, m, { language: 'en' });
    const smsCount = () => smsc!.messages().length;

    for (let day = 0; day < 3; day++) {
      gw.clock.set(`2026-11-1${day}T06:00:00Z`);
      for (const m of [CALLER, TEXTER, DIALLER]) await smsDelivered(gw, m);
      if (day === 0) await smsDelivered(gw, NEWCOMER);
      gw.clock.advance(60 * 60_000);
      const before = smsCount();
      smsc.sendMo({ from: TEXTER.slice(1), to: '20123', text: 'MAIZE' });
      // The keyword's answer (the advice by SMS) is a reply, not a prompt: it adds no attempt.
      await eventually(() => smsCount() > before, { what: 'keyword answered' });
      const screens = await ussdSession(gw, DIALLER, ['1', '1', '1']);
      expect(screens.at(-1)).toContain('Plant when the rains start');
      gw.clock.advance(60 * 60_000);
      expect(await callPlaced(gw, voice, CALLER, true)).toBe('completed');
      expect(await callPlaced(gw, voice, TEXTER, false)).toBe('no_answer');
    }
    // Everything above happened days before; the keyword answers' receipts are in too.
    await eventually(async () => (await gw!.app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200);
    gw.clock.set('2026-11-14T06:00:00Z');
    await gw.core.crm.runPass();

    const caller = await bestChannelOf(gw, CALLER);
    expect(caller.channel).toBe('call');
    expect(caller.evidence).toMatchObject({ sms: { attempts: 3, responses: 0, rate: 0 }, call: { attempts: 3, responses: 3, rate: 1 }, ussd: { attempts: 3, responses: 0, rate: 0 } });
    expect(caller.updatedAt).toBe('2026-11-14T06:00:00.000Z');

    const texter = await bestChannelOf(gw, TEXTER);
    expect(texter.channel).toBe('sms');
    expect(texter.evidence).toMatchObject({ sms: { attempts: 3, responses: 3, rate: 1 }, call: { attempts: 3, responses: 0, rate: 0 }, ussd: { attempts: 3, responses: 0 } });

    const dialler = await bestChannelOf(gw, DIALLER);
    expect(dialler.channel).toBe('ussd');
    expect(dialler.evidence).toMatchObject({ sms: { attempts: 3, responses: 0 }, call: { attempts: 0, responses: 0, rate: null }, ussd: { attempts: 3, responses: 3, rate: 1 } });

    // One SMS is less than the configured minimum of attempts: no call yet.
    const newcomer = await bestChannelOf(gw, NEWCOMER);
    expect(newcomer.channel).toBe('unknown');
    expect(newcomer.evidence.sms).toMatchObject({ attempts: 1, responses: 0 });

    // Scores are pulled towards each channel's base rate over everyone, (responses + 1) / (attempts + 2):
    // SMS and USSD 4/12, calls 4/8; with prior 2 the caller's call score is (3 + 2 x 0.5) / (3 + 2).
    expect(caller.evidence.call!.score).toBe(0.8);
    expect(caller.evidence.sms!.score).toBe(0.133);
    expect(texter.evidence.sms!.score).toBe(0.733);
  });

  it('counts an answer once however many messages it follows, and not after the window', async () => {
    ({ gw, smsc, voice } = await channelGateway({ crm: { act: false, bestChannel: { responseHours: 6 } } }, '2026-11-10T06:00:00Z'));
    await profile(gw, TEXTER, { language: 'en' });
    await smsDelivered(gw, TEXTER);
    await smsDelivered(gw, TEXTER);
    gw.clock.advance(60 * 60_000);
    smsc.sendMo({ from: TEXTER.slice(1), to: '20123', text: 'MAIZE' });
    smsc.sendMo({ from: TEXTER.slice(1), to: '20123', text: 'BEANS' });
    await eventually(() => smsc!.messages().length >= 4, { what: 'keywords answered' });
    await gw.core.crm.runPass();
    expect((await bestChannelOf(gw, TEXTER)).evidence.sms).toMatchObject({ attempts: 2, responses: 1 });

    // A third SMS, answered seven hours later (the window is six): an attempt without a response, across passes.
    gw.clock.advance(60 * 60_000);
    await smsDelivered(gw, TEXTER);
    await gw.core.crm.runPass();
    gw.clock.advance(7 * 60 * 60_000);
    smsc.sendMo({ from: TEXTER.slice(1), to: '20123', text: 'MAIZE' });
    await eventually(() => smsc!.messages().length >= 6, { what: 'late keyword answered' });
    await gw.core.crm.runPass();
    expect((await bestChannelOf(gw, TEXTER)).evidence.sms).toMatchObject({ attempts: 3, responses: 1 });
  });
});
