import { describe, expect, it } from 'vitest';
import { num, pct } from '../../src/console/format';
import type { FakeSmsc } from '../fakes/smsc';
import type { FakeVoiceProvider } from '../fakes/voice-provider';
import { bestChannelOf, channelGateway, plantHabits, profile } from '../helpers/best-channel';
import { consoleLogin, formPost, pageGet } from '../helpers/console-session';
import { AUTH, eventually, stopAfterEach, type TestGateway } from '../helpers/gateway';
import { subscriberId } from '../helpers/subscribers';

// The console shows the API's best-channel figures: the profile block, and a campaign by best channel
// scheduled through the form, with its progress per channel.

let gw: TestGateway | null = null;
let smsc: FakeSmsc | null = null;
let voice: FakeVoiceProvider | null = null;
stopAfterEach(() => [voice, gw, smsc]);

const CALLER = '+254711000601';
const TEXTER = '+254711000602';

/** The cells of a console table (by the id of its wrapper), row by row, tags stripped. */
function tableRows(body: string, id: string): string[][] {
  const wrap = new RegExp(`id="${id}"[^>]*><table[\\s\\S]*?<tbody>([\\s\\S]*?)</tbody>`).exec(body);
  if (!wrap) throw new Error(`no table ${id}`);
  return [...wrap[1]!.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((r) => [...r[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => c[1]!.replace(/<[^>]+>/g, '').trim()));
}

async function api(g: TestGateway, method: 'GET' | 'POST', url: string, payload?: unknown) {
  const r = await g.app.inject({ method, url: `/api/v1${url}`, headers: AUTH, ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}) });
  return r.json() as Record<string, unknown>;
}

describe('console: best channel', () => {
  it('the profile block and a best-channel campaign show the figures the API gives, in English and Kiswahili', async () => {
    ({ gw, smsc, voice } = await channelGateway({ crm: { act: false }, campaigns: { tickSeconds: 3600 } }, '2026-11-10T06:00:00Z'));
    await plantHabits(gw, smsc, voice, { callers: [CALLER], texters: [TEXTER] }, '2026-11-10', 3);
    gw.clock.set('2026-11-13T06:00:00Z');
    await gw.core.crm.runPass();
    const en = await consoleLogin(gw, 'esi.editor', 'editor');
    const sw = await consoleLogin(gw, 'vic.viewer', 'viewer', 'sw');

    for (const [m, verdict, kiswahili] of [
      [CALLER, 'Works best: voice call', 'Inafanya kazi vizuri zaidi: simu ya sauti'],
      [TEXTER, 'Works best: SMS', 'Inafanya kazi vizuri zaidi: SMS'],
    ] as const) {
      const b = await bestChannelOf(gw, m);
      const link = `/console/subscribers/s${await subscriberId(gw.core, m)}`;
      const page = await pageGet(gw, en, link);
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain(`<p id="best-channel">${verdict}</p>`);
      const expected = (lang: 'en' | 'sw') =>
        (['sms', 'call', 'ussd'] as const).map((ch) => [num(lang, b.evidence[ch]!.attempts), num(lang, b.evidence[ch]!.responses), pct(lang, b.evidence[ch]!.rate), pct(lang, b.evidence[ch]!.score)]);
      expect(tableRows(page.body, 'crm-best-channel').map((r) => r.slice(1))).toEqual(expected('en'));
      const swPage = await pageGet(gw, sw, link);
      expect(swPage.body).toContain(`<p id="best-channel">${kiswahili}</p>`);
      expect(tableRows(swPage.body, 'crm-best-channel').map((r) => r.slice(1))).toEqual(expected('sw'));
    }

    // A campaign by best channel through the form.
    for (const m of [CALLER, TEXTER]) await profile(gw, m, { region: 'Embu' });
    const seg = await api(gw, 'POST', '/segments', { name: 'Embu', filter: { region: 'Embu' } });
    const form = { name: 'Rains', segmentId: String(seg.id), pollId: '', channel: 'best', fallbackChannel: 'call', flowId: 'crop-advice', messageEn: 'Rains are coming: dial *384*1#', messageSw: '', timezone: 'Africa/Nairobi', rate: '', when: 'once', date: '2026-11-13', time: '09:30' };
    const noFlow = await formPost(gw, en, '/console/campaigns/new', { ...form, flowId: '' });
    expect(noFlow.statusCode).toBe(400);
    expect(noFlow.body).toContain('Choose the flow the call plays.');
    const r = await formPost(gw, en, '/console/campaigns/new', form);
    expect(r.statusCode).toBe(303);
    const id = /\/console\/campaigns\/([^?]+)/.exec(String(r.headers.location))![1]!;
    expect(await api(gw, 'GET', `/campaigns/${id}`)).toMatchObject({ kind: 'sms', channel: 'best', fallbackChannel: 'call', flowId: 'crop-advice' });

    gw.clock.set('2026-11-13T06:30:00Z');
    await gw.start();
    await gw.core.campaignScheduler.tick();
    await eventually(async () => ((await api(gw!, 'GET', `/campaigns/${id}/results`)).totals as { delivered: number }).delivered === 2, { what: 'both reached' });
    await voice.settle();
    const results = (await api(gw, 'GET', `/campaigns/${id}/results`)) as { totals: { byChannel: Record<'sms' | 'call', { recipients: number; sent: number; delivered: number }> } };
    const shown = await pageGet(gw, en, `/console/campaigns/${id}`);
    expect(shown.body).toContain('by each subscriber&#39;s best channel');
    expect(tableRows(shown.body, 'by-channel-table')).toEqual(
      (['sms', 'call'] as const).map((ch, i) => [['SMS', 'Voice call'][i], num('en', results.totals.byChannel[ch].recipients), num('en', results.totals.byChannel[ch].sent), num('en', results.totals.byChannel[ch].delivered)]),
    );
    expect(results.totals.byChannel).toMatchObject({ sms: { recipients: 1, delivered: 1 }, call: { recipients: 1, delivered: 1 } });
  });
});
