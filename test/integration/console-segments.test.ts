import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleLogin, formPost, pageGet, type ConsoleLogin } from '../helpers/console-session';
import { AUTH, testGateway, type TestGateway } from '../helpers/gateway';

// The segment pages: the builder's live count, saving with the API's count, inline errors, edit, delete.
describe('console segments', () => {
  let gw: TestGateway;
  let editor: ConsoleLogin;
  let viewer: ConsoleLogin;
  const api = (method: 'GET' | 'PATCH' | 'POST', url: string, body?: unknown) =>
    gw.app.inject({ method, url, headers: { ...AUTH, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { payload: JSON.stringify(body) } : {}) });
  const segmentCount = async () => ((await api('GET', '/api/v1/segments')).json() as { items: unknown[] }).items.length;
  const countIn = (body: string) => Number(/data-count="(\d+)"/.exec(body)?.[1]);

  beforeAll(async () => {
    gw = await testGateway();
    editor = await consoleLogin(gw, 'esi.editor', 'editor');
    viewer = await consoleLogin(gw, 'vic.viewer', 'viewer');
    const people: Array<[string, Record<string, unknown>]> = [
      ['0712000001', { region: 'Nakuru', gender: 'female', birthYear: 1990 }],
      ['0712000002', { region: 'Nakuru', gender: 'female', birthYear: 1960 }],
      ['0712000003', { region: 'Nakuru', gender: 'male' }],
      ['0712000004', { region: 'Kisumu', gender: 'female' }],
      ['0712000005', { region: 'Kisumu', gender: 'male' }],
    ];
    for (const [m, p] of people) expect((await api('PATCH', `/api/v1/subscribers/${m}`, p)).statusCode).toBe(200);
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('counts a filter live (htmx fragment) as the API previews it', async () => {
    const r = await formPost(gw, editor, '/console/segments/preview', { name: '', region: 'Nakuru', 'p.gender': 'female' }, { 'hx-request': 'true' });
    expect(r.statusCode).toBe(200);
    expect(r.body).toMatch(/^<output id="segment-count"/);
    const preview = (await api('POST', '/api/v1/segments/preview', { filter: { region: 'Nakuru', profile: { gender: 'female' } } })).json() as { count: number };
    expect(preview.count).toBe(2);
    expect(countIn(r.body)).toBe(2);
    expect(r.body).toContain('2 subscribers match now.');
    // Samples are masked even for an editor: a check by eye, not a list to copy.
    expect(r.body).not.toContain('+254712000001');
    const wider = await formPost(gw, editor, '/console/segments/preview', { region: 'Nakuru, Kisumu' }, { 'hx-request': 'true' });
    expect(countIn(wider.body)).toBe(5);
  });

  it('counts without JavaScript too: the Count button answers the whole builder with the figure', async () => {
    const r = await formPost(gw, editor, '/console/segments/preview', { name: 'x', region: 'Kisumu' });
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('<h1>New segment</h1>');
    expect(countIn(r.body)).toBe(2);
    expect(r.body).toContain('value="Kisumu"');
  });

  it('saves a segment and shows the count the API gives for it', async () => {
    const r = await formPost(gw, editor, '/console/segments/new', { name: 'Nakuru women', region: 'Nakuru', 'p.gender': 'female', ageMax: '40' });
    expect(r.statusCode).toBe(303);
    const location = String(r.headers.location);
    expect(location).toMatch(/^\/console\/segments\/seg[^/?]+\?notice=saved$/);
    const id = decodeURIComponent(location.split('/').pop()!.split('?')[0]!);
    const saved = (await api('GET', `/api/v1/segments/${id}`)).json() as { name: string; count: number; filter: unknown };
    expect(saved).toMatchObject({ name: 'Nakuru women', count: 1, filter: { region: 'Nakuru', profile: { gender: 'female' }, ageMax: 40 } });
    const page = await pageGet(gw, editor, location);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Segment saved.');
    expect(countIn(page.body)).toBe(saved.count);
    // The list loads each count after the page; the fragment equals the API's.
    const list = await pageGet(gw, viewer, '/console/segments');
    expect(list.body).toContain('Nakuru women');
    const fragment = await pageGet(gw, viewer, `/console/segments/${encodeURIComponent(id)}/count`, { 'hx-request': 'true' });
    expect(countIn(fragment.body)).toBe(saved.count);
    expect((await gw.console!.auditPage(5)).some((a) => a.action === 'segment.create' && a.target === id)).toBe(true);
  });

  it('shows a bad filter inline (400) and saves nothing', async () => {
    const before = await segmentCount();
    const r = await formPost(gw, editor, '/console/segments/new', { name: 'Broken', lastSeenWithinDays: '-3', ageMin: '50', ageMax: '20' });
    expect(r.statusCode).toBe(400);
    expect(r.body).toMatch(/id="seg-lastSeenWithinDays-error"[^>]*>Type a number of days above 0/);
    expect(r.body).toMatch(/id="seg-ageMax-error"[^>]*>The lowest value is above the highest\./);
    expect(r.body).toContain('value="Broken"');
    const noName = await formPost(gw, editor, '/console/segments/new', { name: '', region: 'Nakuru' });
    expect(noName.statusCode).toBe(400);
    expect(noName.body).toMatch(/id="seg-name-error"[^>]*>Give the segment a name/);
    // What only the segment service knows (the configured services) lands next to its field too.
    const service = await formPost(gw, editor, '/console/segments/new', { name: 'Ghost service', service: 'no-such-service' });
    expect(service.statusCode).toBe(400);
    expect(service.body).toMatch(/id="seg-service-error"[^>]*>filter\.service: no service/);
    expect(await segmentCount()).toBe(before);
  });

  it('refuses a viewer who posts a segment (403) and hides the builder from them', async () => {
    const before = await segmentCount();
    expect((await formPost(gw, viewer, '/console/segments/new', { name: 'Viewer made', region: 'Nakuru' })).statusCode).toBe(403);
    expect((await formPost(gw, viewer, '/console/segments/preview', { region: 'Nakuru' })).statusCode).toBe(403);
    expect(await segmentCount()).toBe(before);
    const list = await pageGet(gw, viewer, '/console/segments');
    expect(list.body).not.toContain('/console/segments/new');
  });

  it('edits a segment, keeping the keys the form has no field for, then deletes it after a confirmation', async () => {
    const made = (await api('POST', '/api/v1/segments', { name: 'Kisumu', filter: { region: 'Kisumu', includeOptedOut: true, neverSeen: true } })).json() as { id: string };
    const url = `/console/segments/${encodeURIComponent(made.id)}`;
    const page = await pageGet(gw, editor, url);
    expect(page.body).toContain('value="Kisumu"');
    const r = await formPost(gw, editor, url, { name: 'Kisumu men', region: 'Kisumu', 'p.gender': 'male', includeOptedOut: 'true', neverSeen: 'true' });
    expect(r.statusCode).toBe(303);
    const after = (await api('GET', `/api/v1/segments/${made.id}`)).json() as { name: string; count: number; filter: unknown };
    expect(after).toMatchObject({ name: 'Kisumu men', count: 1, filter: { region: 'Kisumu', profile: { gender: 'male' }, includeOptedOut: true, neverSeen: true } });

    const confirm = await pageGet(gw, editor, `${url}/delete`);
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('Yes, delete it');
    expect((await formPost(gw, viewer, `${url}/delete`, {})).statusCode).toBe(403);
    const del = await formPost(gw, editor, `${url}/delete`, {});
    expect(del.statusCode).toBe(303);
    expect(del.headers.location).toBe('/console/segments?notice=deleted');
    expect((await api('GET', `/api/v1/segments/${made.id}`)).statusCode).toBe(404);
  });

  it('reads in Kiswahili, field errors included', async () => {
    const sw = await consoleLogin(gw, 'sw.editor', 'editor', 'sw');
    const page = await pageGet(gw, sw, '/console/segments/new');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Hifadhi kundi');
    const bad = await formPost(gw, sw, '/console/segments/new', { name: 'x', notSeenForDays: 'saba' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toMatch(/id="seg-notSeenForDays-error"[^>]*>Andika nambari\./);
    expect((await pageGet(gw, sw, '/console/segments')).body).toContain('Kundi jipya');
  });

  it('answers an unknown segment with a 404 page', async () => {
    const r = await pageGet(gw, editor, '/console/segments/seg_nope');
    expect(r.statusCode).toBe(404);
    expect(r.body).toContain('No segment with id seg_nope.');
  });
});
