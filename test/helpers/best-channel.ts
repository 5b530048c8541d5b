import type { Config } from '../../src/config';
import { deepMerge } from '../../src/config';
import type { FakeVoiceProvider } from '../fakes/voice-provider';
import type { FakeSmsc } from '../fakes/smsc';
import { voiceGateway } from './crm';
import { AUTH, eventually, type DeepPartial, type TestGateway } from './gateway';

/** A gateway with a fake SMSC (receipts on) and a fake voice provider, both over loopback; one dial per call. */
export async function channelGateway(overrides: DeepPartial<Config>, now: string): Promise<{ gw: TestGateway; smsc: FakeSmsc; voice: FakeVoiceProvider }> {
  // One dial per call: an unanswered call is one unanswered attempt, not three.
  return voiceGateway(deepMerge(overrides, { ivr: { retry: { attempts: 1, spacingSeconds: 60 } } }) as DeepPartial<Config>, now);
}

async function api(gw: TestGateway, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown): Promise<Record<string, unknown>> {
  const r = await gw.app.inject({ method, url: `/api/v1${url}`, headers: AUTH, ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}) });
  return r.json() as Record<string, unknown>;
}

/** Sends one SMS through POST /api/v1/messages and waits for the SMSC's receipt. */
export async function smsDelivered(gw: TestGateway, to: string, text = 'New advice is ready: dial *384*1#'): Promise<void> {
  const m = await api(gw, 'POST', '/messages', { to, text, kind: 'transactional' });
  await eventually(async () => (await api(gw, 'GET', `/messages/${String(m.id)}`)).status === 'delivered', { what: `SMS to ${to} delivered` });
}

/** Dials one call through POST /api/v1/calls and waits for its final status. */
export async function callPlaced(gw: TestGateway, voice: FakeVoiceProvider, to: string, answer: boolean): Promise<string> {
  voice.script(to, [answer ? { kind: 'answer', keys: [], durationSeconds: 30 } : { kind: 'no_answer' }]);
  const c = await api(gw, 'POST', '/calls', { to, flowId: 'crop-advice', kind: 'transactional' });
  const status = await eventually(
    async () => {
      const s = String((await api(gw, 'GET', `/calls/${String(c.id)}`)).status);
      return ['completed', 'no_answer', 'busy', 'failed'].includes(s) ? s : null;
    },
    { what: `call to ${to} finished` },
  );
  await voice.settle();
  return status;
}

/** The `crm.bestChannel` block of a profile. */
export async function bestChannelOf(gw: TestGateway, msisdn: string): Promise<{ channel: string; evidence: Record<string, { attempts: number; responses: number; rate: number | null; score: number }>; updatedAt: string | null }> {
  const body = await api(gw, 'GET', `/subscribers/${msisdn}`);
  return (body.crm as { bestChannel: never }).bestChannel;
}

/** Sets profile fields through PATCH /api/v1/subscribers/:msisdn. */
export async function profile(gw: TestGateway, msisdn: string, fields: Record<string, unknown>): Promise<void> {
  await api(gw, 'PATCH', `/subscribers/${msisdn}`, fields);
}

/**
 * Plants habits over `days` days from `start` (YYYY-MM-DD, at 09:00 Nairobi): every day each subscriber gets an
 * SMS (delivered) and a call; callers pick up and ignore the SMS, texters answer the SMS with a keyword and let
 * the call ring out. Leaves the clock at the last day's end of business.
 */
export async function plantHabits(gw: TestGateway, smsc: FakeSmsc, voice: FakeVoiceProvider, who: { callers: string[]; texters: string[] }, start: string, days: number): Promise<void> {
  for (const m of [...who.callers, ...who.texters]) await profile(gw, m, { language: 'en' });
  for (let day = 0; day < days; day++) {
    gw.clock.set(new Date(Date.parse(`${start}T06:00:00Z`) + day * 86_400_000).toISOString());
    for (const m of [...who.callers, ...who.texters]) await smsDelivered(gw, m);
    gw.clock.advance(60 * 60_000);
    for (const m of who.texters) {
      const before = smsc.messages().length;
      smsc.sendMo({ from: m.slice(1), to: '20123', text: 'MAIZE' });
      await eventually(() => smsc.messages().length > before, { what: 'keyword answered' });
    }
    for (const m of who.callers) await callPlaced(gw, voice, m, true);
    for (const m of who.texters) await callPlaced(gw, voice, m, false);
  }
  gw.clock.advance(8 * 60 * 60_000);
}
