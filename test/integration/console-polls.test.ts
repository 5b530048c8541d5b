import { describe, expect, it } from 'vitest';
import { AUTH, stopAfterEach, testGateway, type TestGateway } from '../helpers/gateway';
import { consoleLogin, formPost, pageGet } from '../helpers/console-session';

// The console's poll pages over HTTP: what an editor creates through the form is what the API shows,
// mistakes come back inline with nothing saved, a stale edit is refused, and the results page shows the
// API's figures.

let gw: TestGateway | null = null;
stopAfterEach(() => [gw]);

const login = (g: TestGateway, role: 'viewer' | 'editor' | 'admin', language: 'en' | 'sw' = 'en') => consoleLogin(g, `t.${role}.${language}`, role, language);
const page = pageGet;
const post = formPost;
const api = async (g: TestGateway, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) => {
  const r = await g.app.inject({ method, url: `/api/v1${url}`, headers: AUTH, ...(payload ? { payload: payload as Record<string, unknown> } : {}) });
  return r.json() as Record<string, unknown> & { items: Record<string, unknown>[] };
};
/** The text of the inline error tied to a field (field() writes `<small id="f-NAME-error">`). */
const fieldError = (body: string, name: string) => new RegExp(`<small id="f-${name}-error" class="field-error">([^<]*)</small>`).exec(body)?.[1] ?? null;
/** The cells of a table's body rows. */
const rowsOf = (body: string, id: string) => {
  const t = body.slice(body.indexOf(`id="${id}"`));
  const tbody = t.slice(t.indexOf('<tbody>'), t.indexOf('</tbody>'));
  return [...tbody.matchAll(/<tr>(.*?)<\/tr>/gs)].map((m) => [...m[1]!.matchAll(/<td[^>]*>(.*?)<\/td>/gs)].map((c) => c[1]!.replace(/<[^>]+>/g, '').trim()));
};

const POLL = {
  type: 'choice',
  questionEn: 'Did the planting advice help you?',
  questionSw: 'Je, ushauri wa kupanda ulikusaidia?',
  answersEn: 'Yes\nNo\nNot yet',
  answersSw: 'Ndiyo\nHapana\nBado',
  keywords: 'YES, NDIO\n\nBADO',
};

describe('console polls', () => {
  it('a poll created through the form is the poll the API shows, and the change is audited', async () => {
    gw = await testGateway();
    const editor = await login(gw, 'editor');
    const r = await post(gw, editor, '/console/polls/new', POLL);
    expect(r.statusCode).toBe(303);
    const id = /\/console\/polls\/([^?]+)\?notice=created/.exec(r.headers.location as string)![1]!;
    const shown = await api(gw, 'GET', `/polls/${id}`);
    expect(shown).toMatchObject({
      type: 'choice',
      status: 'open',
      question: { en: POLL.questionEn, sw: POLL.questionSw },
      answers: [{ en: 'Yes', sw: 'Ndiyo' }, { en: 'No', sw: 'Hapana' }, { en: 'Not yet', sw: 'Bado' }],
      keywords: [['YES', 'NDIO'], [], ['BADO']],
    });
    const after = await page(gw, editor, r.headers.location as string);
    expect(after.body).toContain('The poll is created.');
    expect(after.body).toContain(`<h1>${POLL.questionEn}</h1>`);
    expect((await gw.console!.auditPage(10)).map((a) => [a.action, a.target])).toContainEqual(['poll.create', id]);
  });

  it('bad fields come back inline, in the reader\'s language, with status 400 and nothing saved', async () => {
    gw = await testGateway();
    const editor = await login(gw, 'editor');
    const r = await post(gw, editor, '/console/polls/new', { ...POLL, questionSw: '', answersSw: 'Ndiyo\nHapana' });
    expect(r.statusCode).toBe(400);
    expect(fieldError(r.body, 'questionSw')).toBe('Write this text.');
    expect(fieldError(r.body, 'answersSw')).toBe('Give as many Kiswahili answers as English ones: 3 in English, 2 here.');
    expect(fieldError(r.body, 'questionEn')).toBeNull();
    // What was typed is still there to correct.
    expect(r.body).toContain(POLL.questionEn);

    const sw = await login(gw, 'editor', 'sw');
    const one = await post(gw, sw, '/console/polls/new', { ...POLL, answersEn: 'Yes', answersSw: 'Ndiyo' });
    expect(one.statusCode).toBe(400);
    expect(fieldError(one.body, 'answersEn')).toBe('Kura ya chaguo nyingi inahitaji majibu 2 hadi 9, moja kwa kila mstari; yapo 1.');
    const nps = await post(gw, editor, '/console/polls/new', { ...POLL, type: 'nps', keywords: '' });
    expect(fieldError(nps.body, 'answersEn')).toContain('has no answers');
    // A reserved word only the poll service knows about: its message above the form.
    const stop = await post(gw, editor, '/console/polls/new', { ...POLL, keywords: 'STOP' });
    expect(stop.statusCode).toBe(400);
    expect(stop.body).toMatch(/<p class="error" role="alert">[^<]*reserved/);
    expect((await api(gw, 'GET', '/polls')).items).toEqual([]);
  });

  it('a viewer sees no forms and may not post them (403, nothing saved)', async () => {
    gw = await testGateway();
    const viewer = await login(gw, 'viewer');
    const created = await api(gw, 'POST', '/polls', { type: 'choice', question: { en: 'Q?', sw: 'S?' }, answers: [{ en: 'A', sw: 'A' }, { en: 'B', sw: 'B' }] });
    const list = await page(gw, viewer, '/console/polls');
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('Q?');
    expect(list.body).not.toContain('New poll');
    const detail = await page(gw, viewer, `/console/polls/${created.id}`);
    expect(detail.body).not.toContain('Close poll');
    expect((await post(gw, viewer, '/console/polls/new', POLL)).statusCode).toBe(403);
    expect((await post(gw, viewer, `/console/polls/${created.id}/close`, {})).statusCode).toBe(403);
    expect((await api(gw, 'GET', '/polls')).items).toHaveLength(1);
    expect((await api(gw, 'GET', `/polls/${created.id}`)).status).toBe('open');
  });

  it('an edit from a form opened before someone else changed the poll is refused (409) and changes nothing', async () => {
    gw = await testGateway();
    const editor = await login(gw, 'editor');
    const r = await post(gw, editor, '/console/polls/new', POLL);
    const url = (r.headers.location as string).split('?')[0]!;
    const id = url.split('/').pop()!;
    const opened = await page(gw, editor, url);
    const updatedAt = /name="updatedAt" value="(\d+)"/.exec(opened.body)![1]!;

    gw.clock.advance(60_000);
    await api(gw, 'PATCH', `/polls/${id}`, { question: { en: 'Did the advice help?', sw: 'Je, ushauri ulisaidia?' } });
    const stale = await post(gw, editor, `${url}/edit`, { ...POLL, questionEn: 'Mine', updatedAt });
    expect(stale.statusCode).toBe(409);
    expect(stale.body).toContain('This poll was changed by someone else since you opened it');
    // The form now shows the current version.
    expect(stale.body).toContain('Did the advice help?');
    expect((await api(gw, 'GET', `/polls/${id}`)).question).toEqual({ en: 'Did the advice help?', sw: 'Je, ushauri ulisaidia?' });

    const fresh = /name="updatedAt" value="(\d+)"/.exec(stale.body)![1]!;
    const ok = await post(gw, editor, `${url}/edit`, { ...POLL, questionEn: 'Mine', updatedAt: fresh });
    expect(ok.statusCode).toBe(303);
    expect((await api(gw, 'GET', `/polls/${id}`)).question).toEqual({ en: 'Mine', sw: POLL.questionSw });

    const closed = await post(gw, editor, `${url}/close`, {});
    expect(closed.statusCode).toBe(303);
    expect((await api(gw, 'GET', `/polls/${id}`)).status).toBe('closed');
    expect((await gw.console!.auditPage(10)).map((a) => a.action)).toEqual(expect.arrayContaining(['poll.edit', 'poll.close']));
  });

  it('the results page shows the API\'s figures per answer and region, and the CSV is the API\'s CSV', async () => {
    gw = await testGateway({}, { now: '2026-11-20T06:00:00Z' });
    const people = ['+254722000001', '+254722000002', '+254722000003', '+254722000004', '+254722000005'];
    for (const [i, n] of people.entries()) await api(gw, 'PATCH', `/subscribers/${n}`, { language: 'en', crop: 'tea', region: i < 3 ? 'Nakuru' : 'Kisumu' });
    const poll = await api(gw, 'POST', '/polls', { type: 'choice', question: { en: 'Tea prices fair?', sw: 'Bei ya chai ni nzuri?' }, answers: [{ en: 'Yes', sw: 'Ndiyo' }, { en: 'No', sw: 'Hapana' }] });
    const seg = await api(gw, 'POST', '/segments', { name: 'Tea', filter: { crop: 'tea' } });
    await api(gw, 'POST', '/campaigns', { kind: 'poll', segmentId: seg.id, pollId: poll.id, schedule: { at: '2026-11-20T06:00:00Z' } });
    await gw.core.campaignScheduler.tick();
    const replies = ['1', '1', '2', '1'];
    for (const [i, text] of replies.entries()) await gw.core.messaging.routeMo({ from: people[i]!, to: '20123', text, at: gw.clock.now() });

    const results = (await api(gw, 'GET', `/polls/${poll.id}/results`)) as unknown as { responses: number; answers: { count: number }[]; byRegion: { region: string; responses: number; answers: { count: number }[] }[] };
    expect(results.responses).toBe(4);
    const viewer = await login(gw, 'viewer');
    const r = await page(gw, viewer, `/console/polls/${poll.id}`);
    expect(r.statusCode).toBe(200);
    expect(rowsOf(r.body, 'answers-table')).toEqual([
      ['1. Yes', String(results.answers[0]!.count), '75.0%'],
      ['2. No', String(results.answers[1]!.count), '25.0%'],
    ]);
    const regions = rowsOf(r.body, 'region-table');
    for (const g of results.byRegion) {
      const row = regions.find((x) => x[0] === g.region)!;
      expect([row[3], row[5], row[6]]).toEqual([String(g.responses), ...g.answers.map((a) => String(a.count))]);
    }
    expect(rowsOf(r.body, 'channel-table')).toEqual([['SMS', '4']]);
    // The chart carries the same figures as the table.
    expect(r.body).toContain('"data":[3,1]');

    const sw = await login(gw, 'viewer', 'sw');
    const inSw = await page(gw, sw, `/console/polls/${poll.id}`);
    expect(inSw.body).toContain('<h1>Bei ya chai ni nzuri?</h1>');
    expect(rowsOf(inSw.body, 'answers-table')[0]![0]).toBe('1. Ndiyo');

    const csv = await page(gw, viewer, `/console/polls/${poll.id}/results.csv`);
    const apiCsv = await gw.app.inject({ method: 'GET', url: `/api/v1/polls/${poll.id}/results.csv`, headers: AUTH });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.body).toBe(apiCsv.body);
    expect(csv.body.trim().split('\n')).toHaveLength(5);
  });

  it('an NPS poll by the form has no answers, and its page lists the scores 0 to 10 with the NPS', async () => {
    gw = await testGateway();
    const editor = await login(gw, 'editor');
    const r = await post(gw, editor, '/console/polls/new', { type: 'nps', questionEn: 'Would you recommend us?', questionSw: 'Je, ungetupendekeza?', answersEn: '', answersSw: '', keywords: '' });
    expect(r.statusCode).toBe(303);
    const id = (r.headers.location as string).split('?')[0]!.split('/').pop()!;
    const shown = await api(gw, 'GET', `/polls/${id}`);
    expect(shown).toMatchObject({ type: 'nps', question: { en: 'Would you recommend us?', sw: 'Je, ungetupendekeza?' } });
    expect(shown.answers).toBeUndefined();
    const detail = await page(gw, editor, `/console/polls/${id}`);
    expect(rowsOf(detail.body, 'answers-table').map((row) => row[0])).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
    expect(detail.body).toContain('<span class="sub">NPS</span>');
  });

  it('an unknown poll is a 404 page', async () => {
    gw = await testGateway();
    const viewer = await login(gw, 'viewer');
    const r = await page(gw, viewer, '/console/polls/pol_nope');
    expect(r.statusCode).toBe(404);
  });
});
