import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskMsisdn } from '../../src/lib/msisdn';
import { postGeneric } from '../helpers/billing';
import { consoleLogin, formPost, multipart, pageGet, type ConsoleLogin } from '../helpers/console-session';
import { AUTH, eventually, testGateway, type TestGateway } from '../helpers/gateway';
import { subscriberId } from '../helpers/subscribers';

// The subscriber pages as a content team uses them: search, profile and its timeline, editing, import.
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const A = '+254712345678';
const B = '+254700005678';
const C = '+254711111111';
const profileUrl = (m: string) => `/console/subscribers/${encodeURIComponent(m)}`;

describe('console subscribers', () => {
  let gw: TestGateway;
  // The address pages link to: by the subscriber's id, never the number.
  const linkOf = async (m: string) => `/console/subscribers/s${await subscriberId(gw.core, m)}`;
  let editor: ConsoleLogin;
  let viewer: ConsoleLogin;
  const api = (method: 'GET' | 'PATCH' | 'POST', url: string, body?: unknown) =>
    gw.app.inject({ method, url, headers: { ...AUTH, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { payload: JSON.stringify(body) } : {}) });

  beforeAll(async () => {
    gw = await testGateway();
    editor = await consoleLogin(gw, 'esi.editor', 'editor');
    viewer = await consoleLogin(gw, 'vic.viewer', 'viewer');
    for (const [m, region] of [[A, 'Nakuru'], [B, 'Kisumu'], [C, 'Nakuru']] as const) expect((await api('PATCH', `/api/v1/subscribers/${encodeURIComponent(m)}`, { region })).statusCode).toBe(200);
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('finds subscribers by the last digits of their number, and by the whole number', async () => {
    const r = await pageGet(gw, editor, '/console/subscribers?q=5678');
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain(A);
    expect(r.body).toContain(B);
    expect(r.body).not.toContain(C);
    expect(r.body).toContain(`href="${await linkOf(A)}"`);
    const whole = await pageGet(gw, editor, '/console/subscribers?q=0711111111');
    expect(whole.body).toContain(C);
    expect(whole.body).not.toContain(A);
    const none = await pageGet(gw, editor, '/console/subscribers?q=99999');
    expect(none.body).toContain('No subscriber matches.');
  });

  it('shows a viewer masked numbers, yet lets the viewer open the profile by its link', async () => {
    const r = await pageGet(gw, viewer, '/console/subscribers?q=5678');
    expect(r.statusCode).toBe(200);
    expect(r.body).not.toContain(A);
    expect(r.body).toContain(maskMsisdn(A));
    const profile = await pageGet(gw, viewer, profileUrl(A));
    expect(profile.statusCode).toBe(200);
    expect(profile.body).toContain(maskMsisdn(A));
    expect(profile.body).not.toContain('>+254712345678<');
    expect(profile.body).not.toContain('Save profile');
  });

  it('says inline what a search box needs when given letters', async () => {
    const r = await pageGet(gw, editor, '/console/subscribers?q=ab');
    expect(r.statusCode).toBe(400);
    expect(r.body).toMatch(/id="f-q-error"[^>]*>Type a phone number or at least 3 of its last digits/);
  });

  it('lists a USSD session, an SMS and a billing event on the timeline, newest first', async () => {
    const ussd = await gw.app.inject({ method: 'POST', url: '/ussd/africastalking', headers: FORM, payload: new URLSearchParams({ sessionId: 'tl-1', serviceCode: '*384*1#', phoneNumber: A, text: '' }).toString() });
    expect(ussd.body).toMatch(/^CON /);
    gw.clock.advance(60_000);
    expect((await api('POST', '/api/v1/messages', { to: A, text: 'Your maize guide is ready', kind: 'transactional' })).statusCode).toBe(202);
    gw.clock.advance(60_000);
    const billing = await postGeneric(gw, { eventId: 'tl-bill-1', msisdn: A, serviceId: 'crop-daily', type: 'subscribed', at: new Date(gw.clock.now()).toISOString(), amount: 5, currency: 'KES' });
    expect(billing.statusCode).toBe(200);

    const r = await pageGet(gw, editor, profileUrl(A));
    expect(r.statusCode).toBe(200);
    const timeline = r.body.slice(r.body.indexOf('id="timeline"'));
    const session = timeline.indexOf('USSD session');
    const sms = timeline.indexOf('Your maize guide is ready');
    const bill = timeline.indexOf('subscribed');
    expect(session).toBeGreaterThan(0);
    expect(sms).toBeGreaterThan(0);
    expect(bill).toBeGreaterThan(0);
    expect(bill).toBeLessThan(sms);
    expect(sms).toBeLessThan(session);
    // The subscriptions section shows what the API shows.
    const view = (await api('GET', `/api/v1/subscribers/${encodeURIComponent(A)}`)).json() as { subscriptions: Array<{ serviceName: string; state: string }> };
    expect(view.subscriptions[0]?.state).toBe('active');
    expect(r.body).toContain(view.subscriptions[0]!.serviceName);
  });

  it('saves typed profile fields an editor changes, through the same checks as the API', async () => {
    const r = await formPost(gw, editor, profileUrl(B), { gender: 'female', birthYear: '1985', crops: 'maize; beans', region: 'Kisumu' });
    expect(r.statusCode).toBe(303);
    expect(r.headers.location).toBe(`${await linkOf(B)}?notice=saved`);
    const p = (await api('GET', `/api/v1/subscribers/${encodeURIComponent(B)}`)).json() as { region: string; profile: Record<string, unknown> };
    expect(p.profile).toMatchObject({ gender: 'female', birthYear: 1985, crops: ['maize', 'beans'] });
    expect(p.region).toBe('Kisumu');
    const page = await pageGet(gw, editor, `${profileUrl(B)}?notice=saved`);
    expect(page.body).toContain('Profile saved.');
  });

  it('refuses a bad value with an error next to its field and saves nothing of that form', async () => {
    const r = await formPost(gw, editor, profileUrl(B), { gender: 'male', birthYear: 'nineteen', crops: 'maize; beans', region: 'Kisumu' });
    expect(r.statusCode).toBe(400);
    expect(r.body).toMatch(/id="edit-birthYear-error"[^>]*>Year of birth must be a whole number from 1900 to 2030\./);
    expect(r.body).toContain('value="nineteen"');
    const p = (await api('GET', `/api/v1/subscribers/${encodeURIComponent(B)}`)).json() as { profile: Record<string, unknown> };
    expect(p.profile.gender).toBe('female');
  });

  it('refuses a viewer who posts a profile change (403), changing nothing', async () => {
    const r = await formPost(gw, viewer, profileUrl(B), { gender: 'male' });
    expect(r.statusCode).toBe(403);
    const p = (await api('GET', `/api/v1/subscribers/${encodeURIComponent(B)}`)).json() as { profile: Record<string, unknown> };
    expect(p.profile.gender).toBe('female');
  });

  it('imports a CSV through the page with the same result as the API', async () => {
    const csv = (n: string) => `msisdn,region,gender\n07220000${n}1,Nakuru,female\n07220000${n}2,Kisumu,alien\nnot-a-number,Nakuru,male\n07220000${n}3,Kisumu,male\n`;
    const body = multipart([['_csrf', editor.csrf]], { field: 'file', filename: 'farmers.csv', content: csv('1') });
    const r = await gw.app.inject({ method: 'POST', url: '/console/subscribers/import', headers: { cookie: editor.cookie, 'content-type': body.contentType }, payload: body.payload });
    expect(r.statusCode).toBe(200);
    const viaApi = await gw.app.inject({ method: 'POST', url: '/api/v1/subscribers/import', headers: { ...AUTH, 'content-type': 'text/csv' }, payload: csv('2') });
    const expected = viaApi.json() as { created: number; updated: number; rejected: number; errors: Array<{ line: number; reason: string }> };
    expect(expected).toMatchObject({ created: 2, rejected: 2 });
    const figure = (id: string) => Number(new RegExp(`id="${id}">([\\d,]+)<`).exec(r.body)?.[1]?.replace(/,/g, ''));
    expect(figure('import-created')).toBe(expected.created);
    expect(figure('import-updated')).toBe(expected.updated);
    expect(figure('import-rejected')).toBe(expected.rejected);
    for (const e of expected.errors) expect(r.body).toContain(e.reason.replace(/0722000022/g, '0722000012').replace(/"/g, '&quot;').slice(0, 30));
    expect((await api('GET', `/api/v1/subscribers/${encodeURIComponent('+254722000011')}`)).json()).toMatchObject({ region: 'Nakuru', profile: { gender: 'female' } });
    expect((await gw.console!.auditPage(5)).some((a) => a.action === 'subscribers.import')).toBe(true);
  });

  it('refuses an import without the form token (403) and imports nothing', async () => {
    const body = multipart([], { field: 'file', filename: 'x.csv', content: 'msisdn,region\n0733000001,Nakuru\n' });
    const r = await gw.app.inject({ method: 'POST', url: '/console/subscribers/import', headers: { cookie: editor.cookie, 'content-type': body.contentType }, payload: body.payload });
    expect(r.statusCode).toBe(403);
    expect((await api('GET', `/api/v1/subscribers/${encodeURIComponent('+254733000001')}`)).statusCode).toBe(404);
  });

  it('asks for a file when none was chosen', async () => {
    const body = multipart([['_csrf', editor.csrf]], { field: 'file', filename: '', content: '' });
    const r = await gw.app.inject({ method: 'POST', url: '/console/subscribers/import', headers: { cookie: editor.cookie, 'content-type': body.contentType }, payload: body.payload });
    expect(r.statusCode).toBe(400);
    expect(r.body).toMatch(/id="f-file-error"[^>]*>Choose a CSV file to import\./);
  });

  it('reads in Kiswahili for an account that chose it', async () => {
    const sw = await consoleLogin(gw, 'sw.editor', 'editor', 'sw');
    const search = await pageGet(gw, sw, '/console/subscribers?q=5678');
    expect(search.statusCode).toBe(200);
    expect(search.body).toContain('<html lang="sw"');
    expect(search.body).toContain('Tafuta');
    const profile = await pageGet(gw, sw, profileUrl(A));
    expect(profile.body).toContain('Historia');
    expect(profile.body).toContain('Hifadhi wasifu');
    const bad = await formPost(gw, sw, profileUrl(B), { birthYear: '3000' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toMatch(/id="edit-birthYear-error"[^>]*>Mwaka wa kuzaliwa lazima iwe nambari kamili kuanzia 1900 hadi 2030\./);
    expect((await pageGet(gw, sw, '/console/subscribers/import')).body).toContain('Faili la CSV');
  });

  it('keeps the import page from viewers', async () => {
    expect((await pageGet(gw, viewer, '/console/subscribers/import')).statusCode).toBe(403);
  });
});

describe('console subscriber import as a job', () => {
  let gw: TestGateway;
  let editor: ConsoleLogin;
  beforeAll(async () => {
    gw = await testGateway({ campaigns: { importSyncMaxBytes: 10 } });
    editor = await consoleLogin(gw, 'esi.editor', 'editor');
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('runs a file above the size limit in the background and shows its progress to the end', async () => {
    const csv = `msisdn,region\n${Array.from({ length: 30 }, (_, i) => `07440000${String(i).padStart(2, '0')},Nakuru`).join('\n')}\n`;
    const body = multipart([['_csrf', editor.csrf]], { field: 'file', filename: 'big.csv', content: csv });
    const r = await gw.app.inject({ method: 'POST', url: '/console/subscribers/import', headers: { cookie: editor.cookie, 'content-type': body.contentType }, payload: body.payload });
    expect(r.statusCode).toBe(303);
    const jobUrl = String(r.headers.location);
    expect(jobUrl).toMatch(/^\/console\/subscribers\/import\/imp/);
    const done = await eventually(async () => {
      const page = await pageGet(gw, editor, jobUrl);
      return page.body.includes('id="import-status">done<') ? page : null;
    }, { what: 'the import job to finish' });
    expect(done.body).toMatch(/id="import-created">30</);
    // The fragment htmx polls while the job runs stops polling once it is done.
    const fragment = await pageGet(gw, editor, `${jobUrl}?fragment=1`, { 'hx-request': 'true' });
    expect(fragment.body).toMatch(/^<div id="import-job"/);
    expect(fragment.body).not.toContain('hx-trigger');
    expect((await pageGet(gw, editor, '/console/subscribers/import/imp_nope')).body).toContain('There is no import job with this id.');
    const apiJob = (await gw.app.inject({ method: 'GET', url: `/api/v1/subscribers/import/${jobUrl.split('/').pop()}`, headers: AUTH })).json() as { created: number };
    expect(apiJob.created).toBe(30);
  });
});
