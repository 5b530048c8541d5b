import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testGateway, type TestGateway } from '../helpers/gateway';

// The accounts and audit pages over HTTP: an admin adds and changes accounts, every change shows in the
// audit log, bad input is shown inline with nothing saved, and nobody but an admin gets in.

type Session = { cookie: string; csrf: string };

describe('console accounts and audit log', () => {
  let gw: TestGateway;
  let admin: Session;
  let editor: Session;
  let viewer: Session;

  const session = async (name: string): Promise<Session> => {
    const a = (await gw.console!.accounts.byName(name))!;
    const s = await gw.console!.startSession(a.id);
    return { cookie: `vasgw_console=${s.token}`, csrf: s.csrf };
  };
  const get = (s: Session, url: string) => gw.app.inject({ method: 'GET', url, headers: { cookie: s.cookie } });
  const post = (s: Session, url: string, form: Record<string, string>, csrf: string | null = s.csrf) =>
    gw.app.inject({
      method: 'POST',
      url,
      headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ ...form, ...(csrf === null ? {} : { _csrf: csrf }) }).toString(),
    });
  const audit = () => gw.console!.auditPage(1000);

  beforeEach(async () => {
    gw = await testGateway({ console: { lockout: { attempts: 2, minutes: 15 } } });
    await gw.console!.add('ana.admin', 'admin', 'admin-password-1');
    await gw.console!.add('esi.editor', 'editor', 'editor-password-1');
    await gw.console!.add('vic.viewer', 'viewer', 'viewer-password-1', 'sw');
    admin = await session('ana.admin');
    editor = await session('esi.editor');
    viewer = await session('vic.viewer');
  });
  afterEach(async () => {
    await gw.stop();
  });

  it('lists the accounts with role, language and state for an admin only', async () => {
    const res = await get(admin, '/console/accounts');
    expect(res.statusCode).toBe(200);
    for (const name of ['ana.admin', 'esi.editor', 'vic.viewer']) expect(res.body).toContain(`href="/console/accounts/${name}"`);
    expect(res.body).toContain('Kiswahili');
    expect(res.body).toContain('Add account');
    for (const s of [editor, viewer]) {
      expect((await get(s, '/console/accounts')).statusCode).toBe(403);
      expect((await get(s, '/console/audit')).statusCode).toBe(403);
      expect((await get(s, '/console/accounts/ana.admin')).statusCode).toBe(403);
    }
  });

  it('adds an account that can log in, audited as account.add', async () => {
    const res = await post(admin, '/console/accounts', { name: 'new.person', role: 'editor', language: 'sw', password: 'a-long-password' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/console/accounts?notice=added');
    const page = await get(admin, res.headers.location as string);
    expect(page.body).toContain('The account was added.');
    expect(page.body).toContain('new.person');
    const row = (await gw.console!.accounts.byName('new.person'))!;
    expect(row).toMatchObject({ role: 'editor', language: 'sw', disabled: false });
    expect((await gw.console!.login('new.person', 'a-long-password')).ok).toBe(true);
    expect((await audit())[0]).toMatchObject({ accountName: 'ana.admin', action: 'account.add', target: 'new.person', detail: { role: 'editor', language: 'sw' } });
  });

  it('shows each bad field inline with status 400 and saves nothing', async () => {
    const before = (await gw.console!.accounts.count());
    const auditBefore = (await audit()).length;
    const res = await post(admin, '/console/accounts', { name: '-x', role: 'owner', language: 'en', password: 'short' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toMatch(/id="f-name-error"[^>]*>A name is 2 to 64 letters/);
    expect(res.body).toMatch(/id="f-role-error"[^>]*>Choose viewer, editor or admin/);
    expect(res.body).toMatch(/id="f-password-error"[^>]*>A password has at least 10 characters/);
    expect(res.body).toContain('value="-x"');
    expect(res.body).not.toContain('value="short"');
    const taken = await post(admin, '/console/accounts', { name: 'esi.editor', role: 'viewer', language: 'en', password: 'a-long-password' });
    expect(taken.statusCode).toBe(400);
    expect(taken.body).toContain('There is already an account named esi.editor.');
    expect((await gw.console!.accounts.count())).toBe(before);
    expect((await audit()).length).toBe(auditBefore);
  });

  it('answers in Kiswahili for a Kiswahili admin', async () => {
    await gw.console!.add('sw.admin', 'admin', 'admin-password-2', 'sw');
    const sw = await session('sw.admin');
    const res = await post(sw, '/console/accounts', { name: 'x', role: 'viewer', language: 'en', password: 'a-long-password' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('Jina lina herufi au tarakimu 2 hadi 64');
    expect((await get(sw, '/console/audit')).body).toContain('Kumbukumbu za mabadiliko');
  });

  it('refuses every account change from an editor or viewer (403) and changes nothing', async () => {
    const auditBefore = (await audit()).length;
    for (const s of [editor, viewer]) {
      expect((await post(s, '/console/accounts', { name: 'sneaky', role: 'admin', language: 'en', password: 'a-long-password' })).statusCode).toBe(403);
      expect((await post(s, '/console/accounts/vic.viewer/role', { role: 'admin' })).statusCode).toBe(403);
      expect((await post(s, '/console/accounts/ana.admin/password', { password: 'a-long-password' })).statusCode).toBe(403);
      expect((await post(s, '/console/accounts/ana.admin/disable', {})).statusCode).toBe(403);
    }
    expect(await gw.console!.accounts.byName('sneaky')).toBeUndefined();
    expect((await gw.console!.accounts.byName('vic.viewer'))!.role).toBe('viewer');
    expect((await gw.console!.accounts.byName('ana.admin'))!.disabled).toBe(false);
    expect((await audit()).length).toBe(auditBefore);
  });

  it('refuses a change without the session token (403) and changes nothing', async () => {
    expect((await post(admin, '/console/accounts/esi.editor/role', { role: 'admin' }, null)).statusCode).toBe(403);
    expect((await post(admin, '/console/accounts/esi.editor/role', { role: 'admin' }, 'forged-token')).statusCode).toBe(403);
    expect((await gw.console!.accounts.byName('esi.editor'))!.role).toBe('editor');
  });

  it('changes a role and a password, ending that account’s sessions, each audited', async () => {
    const role = await post(admin, '/console/accounts/esi.editor/role', { role: 'viewer' });
    expect(role.statusCode).toBe(303);
    expect((await get(admin, role.headers.location as string)).body).toContain('The role was changed.');
    expect((await gw.console!.accounts.byName('esi.editor'))!.role).toBe('viewer');
    // The editor's old session no longer opens pages.
    expect((await get(editor, '/console/accounts')).statusCode).toBe(303);

    const bad = await post(admin, '/console/accounts/vic.viewer/password', { password: 'short' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toMatch(/id="f-password-error"[^>]*>A password has at least 10 characters/);
    const pw = await post(admin, '/console/accounts/vic.viewer/password', { password: 'brand-new-password' });
    expect(pw.statusCode).toBe(303);
    expect((await gw.console!.login('vic.viewer', 'brand-new-password')).ok).toBe(true);
    expect((await gw.console!.login('vic.viewer', 'viewer-password-1')).ok).toBe(false);

    const entries = await audit();
    expect(entries.find((e) => e.action === 'account.role')).toMatchObject({ target: 'esi.editor', detail: { from: 'editor', to: 'viewer' } });
    const pwEntry = entries.find((e) => e.action === 'account.password')!;
    expect(pwEntry.target).toBe('vic.viewer');
    expect(JSON.stringify(pwEntry)).not.toContain('brand-new-password');
  });

  it('shows a lock on the list and unlocks it there; the account logs in again', async () => {
    for (let i = 0; i < 2; i++) await gw.console!.login('esi.editor', 'wrong-password');
    const list = await get(admin, '/console/accounts');
    expect(list.body).toMatch(/Locked until/);
    expect(list.body).toContain('aria-label="Unlock esi.editor"');
    expect((await gw.console!.login('esi.editor', 'editor-password-1')).ok).toBe(false);
    const res = await post(admin, '/console/accounts/esi.editor/unlock', { back: 'list' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/console/accounts?notice=unlocked');
    expect((await get(admin, '/console/accounts')).body).not.toMatch(/Locked until/);
    expect((await gw.console!.login('esi.editor', 'editor-password-1')).ok).toBe(true);
    expect((await audit()).map((e) => e.action)).toEqual(expect.arrayContaining(['login.locked', 'account.unlock']));
  });

  it('disables and enables an account; a disabled account cannot log in', async () => {
    expect((await post(admin, '/console/accounts/vic.viewer/disable', {})).statusCode).toBe(303);
    expect((await get(viewer, '/console/accounts')).statusCode).toBe(303);
    expect((await gw.console!.login('vic.viewer', 'viewer-password-1')).ok).toBe(false);
    expect((await get(admin, '/console/accounts')).body).toContain('Disabled');
    const page = await get(admin, '/console/accounts/vic.viewer');
    expect(page.body).toContain('Enable account');
    expect((await post(admin, '/console/accounts/vic.viewer/enable', {})).statusCode).toBe(303);
    expect((await gw.console!.login('vic.viewer', 'viewer-password-1')).ok).toBe(true);
    expect((await audit()).slice(0, 2).map((e) => e.action)).toEqual(['account.enable', 'account.disable']);
  });

  it('keeps the last admin: no demoting or disabling them, saying why (409)', async () => {
    const demote = await post(admin, '/console/accounts/ana.admin/role', { role: 'editor' });
    expect(demote.statusCode).toBe(409);
    expect(demote.body).toContain('ana.admin is the last admin who can log in');
    const disable = await post(admin, '/console/accounts/ana.admin/disable', {});
    expect(disable.statusCode).toBe(409);
    expect(await gw.console!.accounts.byName('ana.admin')).toMatchObject({ role: 'admin', disabled: false });
    // With a second admin, the first may step down.
    expect((await post(admin, '/console/accounts/esi.editor/role', { role: 'admin' })).statusCode).toBe(303);
    expect((await post(admin, '/console/accounts/ana.admin/role', { role: 'editor' })).statusCode).toBe(303);
    expect((await gw.console!.accounts.byName('ana.admin'))!.role).toBe('editor');
  });

  it('answers 404 for an unknown account and 400 for a broken audit page link', async () => {
    expect((await get(admin, '/console/accounts/nobody')).statusCode).toBe(404);
    expect((await post(admin, '/console/accounts/nobody/role', { role: 'viewer' })).statusCode).toBe(404);
    const bad = await get(admin, '/console/audit?before=abc');
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('The page link is broken');
  });

  it('shows the audit log newest first, filtered by account and action, 50 a page', async () => {
    for (let i = 0; i < 60; i++) await gw.console!.record('esi.editor', i % 2 ? 'campaign.pause' : 'segment.save', `t${i}`, { n: i });
    await gw.console!.record('ana.admin', 'account.add', 'someone', { role: 'viewer' });
    const first = await get(admin, '/console/audit');
    expect(first.statusCode).toBe(200);
    const targets = (body: string) => [...body.matchAll(/<td>(t\d+|someone)<\/td>/g)].map((m) => m[1]);
    const page1 = targets(first.body);
    expect(page1.length).toBe(50);
    expect(page1[0]).toBe('someone');
    expect(page1[1]).toBe('t59');
    const older = first.body.match(/href="(\/console\/audit\?before=\d+)"/)![1]!;
    const second = await get(admin, older);
    const page2 = targets(second.body);
    expect(page2).toEqual(['t10', 't9', 't8', 't7', 't6', 't5', 't4', 't3', 't2', 't1', 't0']);
    expect(second.body).toContain('Newest entries');
    expect(second.body).not.toContain('Older entries');

    const byAdmin = await get(admin, '/console/audit?account=ana.admin');
    expect(targets(byAdmin.body)).toEqual(['someone']);
    const family = await get(admin, '/console/audit?action=campaign');
    expect(targets(family.body).length).toBe(30);
    expect(family.body).not.toContain('segment.save');
    const exact = await get(admin, '/console/audit?account=esi.editor&action=segment.save');
    expect(targets(exact.body)[0]).toBe('t58');
    expect(exact.body).toContain('<option value="esi.editor" selected>');
    expect(exact.body).toContain('value="segment.save"');
    const filteredPaging = await get(admin, '/console/audit?account=esi.editor');
    expect(filteredPaging.body).toContain('href="/console/audit?account=esi.editor&amp;before=');
    expect((await get(admin, '/console/audit?action=nothing.like.this')).body).toContain('No entries match.');
  });
});
