import { describe, expect, it } from 'vitest';
import { AUTH, stopAfterEach, testGateway, type TestGateway } from '../helpers/gateway';
import { consoleLogin, formPost, pageGet } from '../helpers/console-session';

// The console's campaign pages over HTTP: a campaign scheduled through the form has the schedule the
// API shows and reads back in plain words (English and Kiswahili); the status buttons move the API's
// status; a stale edit is refused; mistakes come back inline; the preview and the progress are the
// API's figures.

let gw: TestGateway | null = null;
stopAfterEach(() => [gw]);

const login = (g: TestGateway, role: 'viewer' | 'editor', language: 'en' | 'sw' = 'en') => consoleLogin(g, `t.${role}.${language}`, role, language);
const page = pageGet;
const post = formPost;
type Json = Record<string, unknown> & { items: Record<string, unknown>[] };
const api = async (g: TestGateway, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) => {
  const r = await g.app.inject({ method, url: `/api/v1${url}`, headers: AUTH, ...(payload ? { payload: payload as Record<string, unknown> } : {}) });
  return r.json() as Json;
};
const fieldError = (body: string, name: string) => new RegExp(`<small id="(?:f-)?${name}-error" class="field-error">([^<]*)</small>`).exec(body)?.[1] ?? null;
const scheduleShown = (body: string) => /<dd id="campaign-schedule">([^<]*)<\/dd>/.exec(body)?.[1];
const idFrom = (location: unknown) => /\/console\/campaigns\/([^?]+)/.exec(String(location))![1]!;

async function audience(g: TestGateway): Promise<{ segmentId: string; pollId: string }> {
  const people = ['+254733000001', '+254733000002', '+254733000003', '+254733000004'];
  for (const n of people) await api(g, 'PATCH', `/subscribers/${n}`, { language: 'sw', crop: 'maize', region: 'Nakuru' });
  await api(g, 'PATCH', '/subscribers/+254733000009', { language: 'en', crop: 'tea' });
  const seg = await api(g, 'POST', '/segments', { name: 'Maize growers', filter: { crop: 'maize' } });
  const poll = await api(g, 'POST', '/polls', { type: 'choice', question: { en: 'Rain enough?', sw: 'Mvua inatosha?' }, answers: [{ en: 'Yes', sw: 'Ndiyo' }, { en: 'No', sw: 'Hapana' }] });
  return { segmentId: seg.id as string, pollId: poll.id as string };
}

const base = (segmentId: string) => ({ name: 'Weekly tips', segmentId, pollId: '', channel: 'sms', flowId: '', messageEn: 'Plant early this season.', messageSw: 'Panda mapema msimu huu.', timezone: 'Africa/Nairobi', rate: '' });

describe('console campaigns', () => {
  it('schedules through the form exactly what the API shows, and says it back in plain words in English and Kiswahili', async () => {
    gw = await testGateway();
    const { segmentId } = await audience(gw);
    const editor = await login(gw, 'editor');
    const sw = await login(gw, 'viewer', 'sw');
    const cases: { fields: Record<string, string | string[]>; schedule: Record<string, string>; en: string; sw: string }[] = [
      {
        fields: { when: 'once', date: '2026-11-23', time: '09:00' },
        schedule: { at: '2026-11-23T06:00:00.000Z', timezone: 'Africa/Nairobi' },
        en: 'Once, on Monday, 23 November 2026 at 09:00, Nairobi time',
        sw: 'Mara moja: Jumatatu, 23 Novemba 2026 saa 09:00, saa za Nairobi',
      },
      {
        fields: { when: 'repeating', repeat: 'weekly', weekdays: ['1', '4'], time: '06:30' },
        schedule: { cron: '30 6 * * 1,4', timezone: 'Africa/Nairobi' },
        en: 'Every Monday and Thursday at 06:30, Nairobi time',
        sw: 'Kila Jumatatu na Alhamisi saa 06:30, saa za Nairobi',
      },
      {
        fields: { when: 'repeating', repeat: 'daily', time: '18:05', timezone: 'UTC' },
        schedule: { cron: '5 18 * * *', timezone: 'UTC' },
        en: 'Every day at 18:05, UTC time',
        sw: 'Kila siku saa 18:05, saa za UTC',
      },
      {
        fields: { when: 'repeating', repeat: 'monthly', monthDay: '15', time: '07:00' },
        schedule: { cron: '0 7 15 * *', timezone: 'Africa/Nairobi' },
        en: 'Every month on day 15 at 07:00, Nairobi time',
        sw: 'Kila mwezi tarehe 15 saa 07:00, saa za Nairobi',
      },
      {
        fields: { when: 'repeating', repeat: 'cron', cron: '0 8 * * 1-5' },
        schedule: { cron: '0 8 * * 1-5', timezone: 'Africa/Nairobi' },
        en: 'At 08:00, Monday through Friday, Nairobi time',
        sw: 'Saa 08:00, Jumatatu hadi Ijumaa, saa za Nairobi',
      },
    ];
    for (const k of cases) {
      const r = await post(gw, editor, '/console/campaigns/new', { ...base(segmentId), ...k.fields });
      expect(r.statusCode, JSON.stringify(k.fields)).toBe(303);
      const id = idFrom(r.headers.location);
      const shown = await api(gw, 'GET', `/campaigns/${id}`);
      expect(shown).toMatchObject({ kind: 'sms', status: 'scheduled', segmentId, text: { en: 'Plant early this season.', sw: 'Panda mapema msimu huu.' } });
      expect(shown.schedule).toEqual(k.schedule);
      expect(scheduleShown((await page(gw, editor, `/console/campaigns/${id}`)).body)).toBe(k.en);
      expect(scheduleShown((await page(gw, sw, `/console/campaigns/${id}`)).body)).toBe(k.sw);
    }
    const list = await page(gw, sw, '/console/campaigns');
    expect(list.body).toContain('Kila Jumatatu na Alhamisi saa 06:30, saa za Nairobi');
  });

  it('a poll campaign by the form: the poll, the channel, the rate and the intro as the API has them', async () => {
    gw = await testGateway();
    const { segmentId, pollId } = await audience(gw);
    const editor = await login(gw, 'editor');
    const r = await post(gw, editor, '/console/campaigns/new', { ...base(segmentId), name: 'Rain check', pollId, messageEn: '', messageSw: 'Habari!', rate: '25', when: 'once', date: '2026-12-01', time: '08:00' });
    expect(r.statusCode).toBe(303);
    const shown = await api(gw, 'GET', `/campaigns/${idFrom(r.headers.location)}`);
    expect(shown).toMatchObject({ name: 'Rain check', kind: 'poll', channel: 'sms', pollId, text: { sw: 'Habari!' }, ratePerSecond: 25 });
    expect((await gw.console!.auditPage(5)).map((a) => a.action)).toContain('campaign.create');
  });

  it('start, pause, resume and cancel change the status the API shows', async () => {
    gw = await testGateway();
    const { segmentId } = await audience(gw);
    const editor = await login(gw, 'editor');
    const r = await post(gw, editor, '/console/campaigns/new', { ...base(segmentId), when: 'repeating', repeat: 'daily', time: '06:00', draft: '1' });
    const id = idFrom(r.headers.location);
    const status = async () => (await api(gw!, 'GET', `/campaigns/${id}`)).status;
    expect(await status()).toBe('draft');
    const detail = await page(gw, editor, `/console/campaigns/${id}`);
    expect(detail.body).toContain(`action="/console/campaigns/${id}/start"`);
    expect(detail.body).not.toContain(`action="/console/campaigns/${id}/resume"`);
    for (const [action, after] of [['start', 'scheduled'], ['pause', 'paused'], ['resume', 'scheduled'], ['cancel', 'cancelled']] as const) {
      const res = await post(gw, editor, `/console/campaigns/${id}/${action}`, {});
      expect(res.statusCode, action).toBe(303);
      expect(await status()).toBe(after);
    }
    // A button for a state change the status no longer allows: the service's reason, nothing changed.
    const again = await post(gw, editor, `/console/campaigns/${id}/resume`, {});
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('only a paused campaign can be resumed');
    expect(await status()).toBe('cancelled');
    expect((await gw.console!.auditPage(10)).map((a) => a.action)).toEqual(expect.arrayContaining(['campaign.start', 'campaign.pause', 'campaign.resume', 'campaign.cancel']));
  });

  it('an edit from a stale form is refused (409) with the current version and changes nothing; a fresh one saves', async () => {
    gw = await testGateway();
    const { segmentId } = await audience(gw);
    const editor = await login(gw, 'editor');
    const r = await post(gw, editor, '/console/campaigns/new', { ...base(segmentId), when: 'once', date: '2026-12-01', time: '08:00' });
    const id = idFrom(r.headers.location);
    const opened = await page(gw, editor, `/console/campaigns/${id}`);
    const updatedAt = /name="updatedAt" value="(\d+)"/.exec(opened.body)![1]!;
    gw.clock.advance(60_000);
    await api(gw, 'PATCH', `/campaigns/${id}`, { name: 'Renamed by the API' });
    const stale = await post(gw, editor, `/console/campaigns/${id}/edit`, { ...base(segmentId), name: 'Mine', when: 'once', date: '2026-12-02', time: '08:00', updatedAt });
    expect(stale.statusCode).toBe(409);
    expect(stale.body).toContain('This campaign was changed by someone else since you opened it; here is the current version.');
    expect(stale.body).toContain('value="Renamed by the API"');
    const now = await api(gw, 'GET', `/campaigns/${id}`);
    expect(now.name).toBe('Renamed by the API');
    expect(now.schedule).toEqual({ at: '2026-12-01T05:00:00.000Z', timezone: 'Africa/Nairobi' });

    const fresh = /name="updatedAt" value="(\d+)"/.exec(stale.body)![1]!;
    const ok = await post(gw, editor, `/console/campaigns/${id}/edit`, { ...base(segmentId), name: 'Mine', when: 'repeating', repeat: 'weekly', weekdays: '3', time: '10:00', updatedAt: fresh });
    expect(ok.statusCode).toBe(303);
    expect(await api(gw, 'GET', `/campaigns/${id}`)).toMatchObject({ name: 'Mine', schedule: { cron: '0 10 * * 3', timezone: 'Africa/Nairobi' } });
  });

  it('bad fields come back inline with status 400 and nothing saved; a viewer may not post (403)', async () => {
    gw = await testGateway();
    const { segmentId } = await audience(gw);
    const editor = await login(gw, 'editor');
    const r = await post(gw, editor, '/console/campaigns/new', { ...base(''), name: '', messageEn: '', messageSw: '', when: 'once', date: '', time: '25:00', timezone: 'Africa/Nairobbi' });
    expect(r.statusCode).toBe(400);
    expect(fieldError(r.body, 'name')).toBe('Fill this in.');
    expect(fieldError(r.body, 'segmentId')).toBe('Choose one of the saved segments.');
    expect(fieldError(r.body, 'messageEn')).toBe('Write the message, in English, Kiswahili or both.');
    expect(fieldError(r.body, 'date')).toBe('Choose the date.');
    expect(fieldError(r.body, 'time')).toBe('Write the time as HH:MM (24 hours).');
    expect(fieldError(r.body, 'timezone')).toBe('Not a known time zone: use a name such as Africa/Nairobi or UTC.');
    const weekly = await post(gw, editor, '/console/campaigns/new', { ...base(segmentId), when: 'repeating', repeat: 'weekly', time: '08:00' });
    expect(weekly.statusCode).toBe(400);
    expect(fieldError(weekly.body, 'weekdays')).toBe('Tick at least one day.');
    const sw = await login(gw, 'editor', 'sw');
    const monthly = await post(gw, sw, '/console/campaigns/new', { ...base(segmentId), when: 'repeating', repeat: 'monthly', monthDay: '32', time: '08:00' });
    expect(fieldError(monthly.body, 'monthDay')).toBe('Tarehe kutoka 1 hadi 31.');
    // A call needs a flow with the poll's node: only the service knows, so its message shows above the form.
    const { pollId } = { pollId: ((await api(gw, 'GET', '/polls')).items[0]!.id as string) };
    const call = await post(gw, editor, '/console/campaigns/new', { ...base(segmentId), pollId, channel: 'call', flowId: gw.core.flows.all()[0]!.id, messageEn: '', messageSw: '', when: 'once', date: '2026-12-01', time: '08:00' });
    expect(call.statusCode).toBe(400);
    expect(call.body).toMatch(/<p class="error" role="alert">[^<]*has no poll node for this poll/);
    expect((await api(gw, 'GET', '/campaigns')).items).toEqual([]);

    const viewer = await login(gw, 'viewer');
    const refused = await post(gw, viewer, '/console/campaigns/new', { ...base(segmentId), when: 'once', date: '2026-12-01', time: '08:00' });
    expect(refused.statusCode).toBe(403);
    expect((await api(gw, 'GET', '/campaigns')).items).toEqual([]);
    expect((await page(gw, viewer, '/console/campaigns')).body).not.toContain('New campaign');
  });

  it('previews the recipients as the segments API counts them, with masked numbers, saving nothing', async () => {
    gw = await testGateway();
    const { segmentId } = await audience(gw);
    const editor = await login(gw, 'editor');
    const preview = await api(gw, 'POST', '/segments/preview', { filter: { crop: 'maize' } });
    const r = await post(gw, editor, '/console/campaigns/new', { ...base(segmentId), preview: '1', when: 'once', date: '', time: '' });
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain(`${preview.count} subscribers are in this segment now`);
    expect(r.body).toContain('<code>+2547*****001</code>');
    expect(r.body).not.toContain('+254733000001');
    const fragment = await page(gw, editor, `/console/campaigns/preview?segmentId=${segmentId}`);
    expect(fragment.body).toContain(`${preview.count} subscribers`);
    expect(fragment.body).not.toContain('<html');
    expect((await api(gw, 'GET', '/campaigns')).items).toEqual([]);
  });

  it('shows each run\'s progress as the results API counts it, in a fragment htmx refreshes while it runs', async () => {
    gw = await testGateway({}, { now: '2026-11-20T09:00:00Z' });
    const { segmentId } = await audience(gw);
    await gw.core.messaging.routeMo({ from: '+254733000004', to: '20123', text: 'STOP', at: gw.clock.now() });
    const editor = await login(gw, 'editor');
    const r = await post(gw, editor, '/console/campaigns/new', { ...base(segmentId), when: 'once', date: '2026-11-20', time: '12:00' });
    const id = idFrom(r.headers.location);
    await gw.core.campaignScheduler.tick();
    const results = (await api(gw, 'GET', `/campaigns/${id}/results`)) as unknown as { totals: Record<string, number> };
    const fragment = await page(gw, editor, `/console/campaigns/${id}/progress`);
    expect(fragment.statusCode).toBe(200);
    const cards = [...fragment.body.matchAll(/<span class="sub">([^<]*)<\/span><span class="figure">([^<]*)<\/span>/g)].map((m) => [m[1], m[2]]);
    expect(cards.slice(0, 5)).toEqual([
      ['Recipients', String(results.totals.recipients)],
      ['Handed over', String(results.totals.queued)],
      ['Blocked', String(results.totals.blocked)],
      ['Sent', String(results.totals.sent)],
      ['Delivered', String(results.totals.delivered)],
    ]);
    expect(results.totals.recipients).toBeGreaterThan(0);
    const status = (await api(gw, 'GET', `/campaigns/${id}`)).status;
    if (status === 'running') expect(fragment.body).toContain('hx-trigger="every 5s"');
    else expect(fragment.body).not.toContain('hx-trigger');
  });
});
