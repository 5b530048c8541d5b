import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleLogin, formPost, pageGet, type ConsoleLogin } from '../helpers/console-session';
import { ussdSession } from '../helpers/crm';
import { testGateway, type TestGateway } from '../helpers/gateway';

// An editor rewrites a screen in the console: the next caller sees it, a restart keeps it, a text that
// cannot be shown is refused next to its field with nothing saved, and viewers cannot change texts.
describe('console: a menu screen\'s texts', () => {
  let dir: string;
  let gw: TestGateway;
  let editor: ConsoleLogin;
  let viewer: ConsoleLogin;
  const url = '/console/flows/crop-advice/texts';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vasgw-flow-texts-'));
    gw = await testGateway({}, { dbPath: join(dir, 'gw.db') });
    editor = await consoleLogin(gw, 'esi.editor', 'editor');
    viewer = await consoleLogin(gw, 'vic.viewer', 'viewer');
  });
  afterAll(async () => {
    await gw?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows every screen with its texts in each language of the menu', async () => {
    const r = await pageGet(gw, editor, url);
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('Text (English)');
    expect(r.body).toContain('Text (Kiswahili)');
    expect(r.body).toContain('Welcome to Crop Advice');
  });

  it('saves a new text that the next caller sees, and keeps it across a restart', async () => {
    const r = await formPost(gw, editor, `${url}/main`, { text_en: 'Karibu! Crop Advice menu', text_sw: 'Karibu kwenye Ushauri wa Mazao' });
    expect(r.statusCode).toBe(303);
    const screens = await ussdSession(gw, '+254711300001', ['1']);
    expect(screens[1]).toMatch(/^CON Karibu! Crop Advice menu\n1\. /);
    const page = await pageGet(gw, editor, `${url}?notice=saved`);
    expect(page.body).toContain('Last changed by esi.editor');
    expect((await pageGet(gw, (await consoleLogin(gw, 'ana.admin', 'admin')), '/console/audit')).body).toContain('flow.text');

    const path = join(dir, 'gw.db');
    await gw.stop();
    gw = await testGateway({}, { dbPath: path });
    editor = await consoleLogin(gw, 'esi.editor2', 'editor');
    viewer = await consoleLogin(gw, 'vic.viewer2', 'viewer');
    const again = await ussdSession(gw, '+254711300002', ['1']);
    expect(again[1]).toMatch(/^CON Karibu! Crop Advice menu\n/);
  });

  it('refuses an empty or oversized text next to its field and saves nothing', async () => {
    const empty = await formPost(gw, editor, `${url}/main`, { text_en: '   ', text_sw: 'Karibu kwenye Ushauri wa Mazao' });
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('Write something: a screen cannot be empty.');
    const long = await formPost(gw, editor, `${url}/main`, { text_en: 'x'.repeat(400), text_sw: 'Karibu kwenye Ushauri wa Mazao' });
    expect(long.statusCode).toBe(400);
    expect(long.body).toContain('Too long for a phone screen');
    const screens = await ussdSession(gw, '+254711300003', ['1']);
    expect(screens[1]).toMatch(/^CON Karibu! Crop Advice menu\n/);
  });

  it('keeps the page and the change from viewers', async () => {
    expect((await pageGet(gw, viewer, url)).statusCode).toBe(403);
    expect((await formPost(gw, viewer, `${url}/main`, { text_en: 'Hacked', text_sw: 'Hacked' })).statusCode).toBe(403);
    const screens = await ussdSession(gw, '+254711300004', ['1']);
    expect(screens[1]).toMatch(/^CON Karibu! Crop Advice menu\n/);
  });
});
