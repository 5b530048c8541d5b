import { describe, expect, it } from 'vitest';
import { ARMS_TRUTH, plantArmsCampaign } from '../../src/crm/generator/arms';
import { DAY } from '../../src/lib/clock';
import { consoleLogin, formPost, pageGet } from '../helpers/console-session';
import { generatePopulation } from '../helpers/crm-pass';
import { AUTH, stopAfterEach, testGateway, type TestGateway } from '../helpers/gateway';

// The console's side of offers tested: arms set through the new-campaign form are the campaign the API
// shows (empty slots ignored, mistakes inline); the campaign page's results table shows the API's figures
// and the winner sentence in English and Kiswahili.

let gw: TestGateway | null = null;
stopAfterEach(() => [gw]);

const api = async (g: TestGateway, url: string, payload?: object) => {
  const r = await g.app.inject({ method: payload ? 'POST' : 'GET', url: `/api/v1${url}`, headers: AUTH, ...(payload ? { payload: payload as Record<string, unknown> } : {}) });
  return r.json() as Record<string, unknown>;
};
const fieldError = (body: string, name: string) => new RegExp(`<small id="f-${name}-error" class="field-error">([^<]*)</small>`).exec(body)?.[1] ?? null;
const cells = (body: string, tableId: string) => {
  const t = new RegExp(`id="${tableId}"[\\s\\S]*?</table>`).exec(body)?.[0] ?? '';
  return [...t.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].slice(1).map((r) => [...r[1]!.matchAll(/<t[dh][^>]*>([\s\S]*?)<\/t[dh]>/g)].map((c) => c[1]!.replace(/<[^>]+>/g, '').replace(/&nbsp;|\u00a0/g, ' ').trim()));
};

describe('console campaign arms', () => {
  it('creates a campaign with arms from the form, ignoring empty slots and showing mistakes inline', async () => {
    gw = await testGateway({}, { now: '2026-11-20T06:00:00Z' });
    await gw.app.inject({ method: 'PATCH', url: '/api/v1/subscribers/+254733000001', headers: AUTH, payload: { crop: 'maize' } });
    const seg = await api(gw, '/segments', { name: 'Maize', filter: { crop: 'maize' } });
    const editor = await consoleLogin(gw, 'esi', 'editor');
    const fields = {
      name: 'Offer test',
      segmentId: seg.id as string,
      pollId: '',
      channel: 'sms',
      flowId: '',
      messageEn: '',
      messageSw: '',
      when: 'once',
      date: '2026-11-23',
      time: '09:00',
      timezone: 'Africa/Nairobi',
      rate: '',
      arm0Name: 'cheap',
      arm0En: 'Daily tips for KES 5',
      arm0Sw: 'Vidokezo kila siku KES 5',
      arm0Service: 'crop-daily',
      arm0Price: 'KES 5 a day',
      arm1Name: '',
      arm1En: 'Forgot the name',
      holdoutPercent: '15',
      goal: 'subscribed',
      goalService: 'crop-daily',
      goalNode: '',
      windowDays: '7',
    };
    const bad = await formPost(gw, editor, '/console/campaigns/new', fields);
    expect(bad.statusCode).toBe(400);
    expect(fieldError(bad.body, 'arm1Name')).toBe('Give this arm a name (letters, digits, space, - . _).');
    const badSw = await formPost(gw, await consoleLogin(gw, 'mhariri', 'editor', 'sw'), '/console/campaigns/new', { ...fields, holdoutPercent: '95' });
    expect(fieldError(badSw.body, 'holdoutPercent')).toBe('Namba kamili kutoka 0 hadi 90.');
    expect(((await api(gw, '/campaigns')).items as unknown[]).length).toBe(0);

    const ok = await formPost(gw, editor, '/console/campaigns/new', { ...fields, arm1Name: 'free week', arm1Share: '2', arm2Name: '', arm2En: '' });
    expect(ok.statusCode).toBe(303);
    const id = /\/console\/campaigns\/([^?]+)/.exec(String(ok.headers.location))![1]!;
    expect(await api(gw, `/campaigns/${id}`)).toMatchObject({
      kind: 'sms',
      holdoutPercent: 15,
      goal: { type: 'subscribed', serviceId: 'crop-daily', windowDays: 7 },
      arms: [
        { name: 'cheap', text: { en: 'Daily tips for KES 5', sw: 'Vidokezo kila siku KES 5' }, serviceId: 'crop-daily', price: 'KES 5 a day', share: 1, channel: 'sms' },
        { name: 'free week', text: { en: 'Forgot the name' }, share: 2, channel: 'sms' },
      ],
    });
    const shown = await pageGet(gw, editor, `/console/campaigns/${id}`);
    expect(shown.body).toContain('Arms: cheap, free week. Holdout 15%.');
    expect(cells(shown.body, 'arms-table').map((r) => [r[0], r[2]])).toEqual([
      ['cheap', '0'],
      ['free week', '0'],
      ['Holdout (sent nothing)', '0'],
    ]);
    expect(shown.body).toContain('No winner yet: nobody has been assigned.');
  });

  it('shows the API results per arm, with the winner, in English and Kiswahili', async () => {
    const start = Date.parse('2026-10-01T21:00:00Z');
    gw = await testGateway({}, { now: new Date(start).toISOString() });
    await generatePopulation(gw, { subscribers: 4000, days: 1, seed: 3, startAt: start, now: start });
    await plantArmsCampaign(gw.core, { recipients: 4000, sentAt: start + DAY + 3_600_000, seed: 3 });
    gw.clock.set(start + 12 * DAY);
    await gw.core.crm.runPass();
    const json = (await api(gw, `/campaigns/${ARMS_TRUTH.campaignId}/results`)).arms as { arms: Record<string, number | string>[]; holdout: Record<string, number>; winner: string };
    const en = await pageGet(gw, await consoleLogin(gw, 'vic', 'viewer'), `/console/campaigns/${ARMS_TRUTH.campaignId}`);
    expect(en.statusCode).toBe(200);
    const rows = cells(en.body, 'arms-table');
    const n = (x: unknown) => Number(x).toLocaleString('en');
    expect(rows.map((r) => [r[0], r[2], r[3], r[4]])).toEqual([
      ...json.arms.map((a) => [a.name, n(a.assigned), n(a.reached), n(a.conversions)]),
      ['Holdout (sent nothing)', n(json.holdout.assigned), '0', n(json.holdout.conversions)],
    ]);
    expect(json.winner).toBe('A');
    expect(en.body).toContain('Winner: A. It beats the holdout and every other arm');
    expect(en.body).toContain('id="arms-rates"');
    const sw = await pageGet(gw, await consoleLogin(gw, 'wanjiru', 'viewer', 'sw'), `/console/campaigns/${ARMS_TRUTH.campaignId}`);
    expect(sw.body).toContain('Mshindi: A.');
    expect(cells(sw.body, 'arms-table').at(-1)![0]).toBe('Kundi la kulinganisha (halikutumiwa kitu)');
  });
});
