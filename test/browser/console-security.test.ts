import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Role } from '../../src/console/auth/account-repo';
import { ACCOUNTS, consoleGateway, launchBrowser, logIn, populate, watchProblems, type TestAccount } from '../helpers/browser';
import { pagesFor, seriousViolations } from '../helpers/console-pages';
import { testGateway, type TestGateway } from '../helpers/gateway';

// The console's guards, seen from a browser: roles (no edit forms for a viewer, forged posts refused),
// CSRF on every form, lock-out and unlocking, logging out, the session cookie, masked numbers, the CSP.
// The form checks collect every POST form of every page in NAV, so pages merged later are covered too.

const FULL_MSISDN = /2547\d{8}/;
const NAV_FORMS = ['/console/language', '/console/logout'];
const LOCKED: TestAccount = { name: 'lou.locked', password: 'locked-password-1' };

/** A POST form as the page offers it: where it goes, how it is encoded and its text fields. */
interface PostForm {
  page: string;
  action: string;
  multipart: boolean;
  fields: [string, string][];
}

describe('console security (chromium)', () => {
  let gw: TestGateway & { url: string };
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const responses: { url: string; status: number; csp: string | undefined }[] = [];

  const auditCount = async () => (await gw.console!.auditPage(1_000_000)).length;
  const accountsNow = async () => JSON.stringify(await gw.console!.accounts.all());

  /** A logged-in browser context for an account, its page, what went wrong in it, and its session's token. */
  async function loggedIn(account: TestAccount, viewport?: { width: number; height: number }): Promise<{ context: BrowserContext; page: Page; problems: string[]; csrf: string }> {
    const context = await browser.newContext(viewport ? { viewport } : {});
    contexts.push(context);
    const page = await context.newPage();
    page.on('response', (r) => {
      if (r.url().startsWith(`${gw.url}/console`)) responses.push({ url: r.url(), status: r.status(), csp: r.headers()['content-security-policy'] });
    });
    const problems = watchProblems(page);
    await logIn(page, gw.url, account);
    await page.goto(`${gw.url}/console/login`); // a logged-in visitor is sent on: to a page with the nav's forms
    const csrf = (await page.locator('input[name="_csrf"]').first().getAttribute('value', { timeout: 2000 }).catch(() => null)) ?? '';
    return { context, page, problems, csrf };
  }

  /** Opens a console page; false when it is not built in this tree (404). */
  async function open(page: Page, path: string): Promise<boolean> {
    const res = await page.goto(`${gw.url}/console${path}`);
    return res?.status() !== 404;
  }

  /** Every POST form (but the navigation's own) on the pages `role` may open, and on an account's page. */
  async function postForms(page: Page, role: Role): Promise<PostForm[]> {
    const found = new Map<string, PostForm>();
    const paths = [...pagesFor(role).allowed.map((p) => p.path), ...(role === 'admin' ? [`/accounts/${ACCOUNTS.editor.name}`] : [])];
    for (const path of paths) {
      if (!(await open(page, path))) continue;
      // Runs in the browser (a string: this program has no DOM types).
      const forms = (await page.evaluate(`[...document.forms].filter((f) => f.method.toLowerCase() === 'post').map((f) => ({
        action: new URL(f.action).pathname,
        multipart: f.enctype === 'multipart/form-data',
        fields: [...new FormData(f).entries()].filter((e) => typeof e[1] === 'string'),
      }))`)) as Omit<PostForm, 'page'>[];
      for (const f of forms) if (!NAV_FORMS.includes(f.action) && !found.has(f.action)) found.set(f.action, { page: path, ...f });
    }
    return [...found.values()];
  }

  /** Posts a form's fields (with `_csrf` replaced, or left out when null) from a context; the status. */
  async function forge(context: BrowserContext, form: PostForm, csrf: string | null): Promise<number> {
    const fields = Object.fromEntries(form.fields.filter(([k]) => k !== '_csrf'));
    if (csrf !== null) fields._csrf = csrf;
    const res = await context.request.post(`${gw.url}${form.action}`, { ...(form.multipart ? { multipart: fields } : { form: fields }), maxRedirects: 0 });
    return res.status();
  }

  beforeAll(async () => {
    gw = await consoleGateway({ console: { lockout: { attempts: 3, minutes: 15 } } });
    await gw.console!.add(LOCKED.name, 'editor', LOCKED.password);
    await populate(gw, { subscribers: 200, days: 7 });
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await gw?.stop();
  });

  it('a viewer sees no edit forms and no full MSISDN on any page; an editor sees the numbers', async () => {
    const viewer = await loggedIn(ACCOUNTS.viewer);
    const failures: string[] = [];
    for (const entry of pagesFor('viewer').allowed) {
      if (!(await open(viewer.page, entry.path))) continue;
      const actions = (await viewer.page.evaluate(`[...document.forms].filter((f) => f.method.toLowerCase() === 'post').map((f) => new URL(f.action).pathname)`)) as string[];
      for (const a of actions.filter((x) => !NAV_FORMS.includes(x))) failures.push(`${entry.path || '/'}: a viewer is offered the form ${a}`);
      const hx = await viewer.page.locator('[hx-post], [hx-put], [hx-patch], [hx-delete]').count();
      if (hx > 0) failures.push(`${entry.path || '/'}: a viewer is offered ${hx} htmx changes`);
      // The numbers subscribers call (a flow's voice numbers) are the service's, published on purpose.
      const shown = [...(await viewer.page.content()).matchAll(new RegExp(FULL_MSISDN, 'g'))].map((m) => m[0]).find((n) => !new Set(gw.core.flows.all().flatMap((f) => f.entry.ivr).map((x) => x.replace(/^\+/, ''))).has(n));
      if (shown) failures.push(`${entry.path || '/'}: a viewer sees the full number ${shown}`);
    }
    expect(failures).toEqual([]);
    // Masking is by role: the subscribers page (once built) shows an editor whole numbers.
    const editor = await loggedIn(ACCOUNTS.editor);
    if (await open(editor.page, '/subscribers')) expect(await editor.page.content()).toMatch(FULL_MSISDN);
  }, 120_000);

  it('a viewer’s forged POST of every edit form, with its valid token, answers 403 and changes nothing', async () => {
    const admin = await loggedIn(ACCOUNTS.admin);
    const forms = await postForms(admin.page, 'admin');
    expect(forms.map((f) => f.action)).toEqual(expect.arrayContaining(['/console/accounts', `/console/accounts/${ACCOUNTS.editor.name}/role`]));
    const viewer = await loggedIn(ACCOUNTS.viewer);
    const editor = await loggedIn(ACCOUNTS.editor);
    expect(viewer.csrf).not.toBe('');
    const audit = await auditCount();
    const accounts = await accountsNow();
    const failures: string[] = [];
    for (const form of forms) {
      const status = await forge(viewer.context, form, viewer.csrf);
      if (status !== 403) failures.push(`viewer ${form.action} (from ${form.page || '/'}): ${status}`);
      if (form.action.startsWith('/console/accounts')) {
        const byEditor = await forge(editor.context, form, editor.csrf);
        if (byEditor !== 403) failures.push(`editor ${form.action}: ${byEditor}`);
      }
    }
    expect(failures).toEqual([]);
    expect(await auditCount()).toBe(audit);
    expect(await accountsNow()).toBe(accounts);
  }, 120_000);

  it('a form without its session token, or with a wrong one, is refused 403 and changes nothing', async () => {
    const admin = await loggedIn(ACCOUNTS.admin);
    const forms = await postForms(admin.page, 'admin');
    const navForms = NAV_FORMS.map((action) => ({ page: '', action, multipart: false, fields: [['language', 'sw']] as [string, string][] }));
    const audit = await auditCount();
    const accounts = await accountsNow();
    const failures: string[] = [];
    for (const form of [...forms, ...navForms]) {
      for (const token of [null, 'x'.repeat(admin.csrf.length || 32)]) {
        const status = await forge(admin.context, form, token);
        if (status !== 403) failures.push(`${form.action} with ${token ? 'a wrong token' : 'no token'}: ${status}`);
      }
    }
    expect(failures).toEqual([]);

    // The same in the browser: the add-account form, its token tampered with, then submitted by clicking.
    await open(admin.page, '/accounts');
    await admin.page.getByLabel('Name', { exact: true }).fill('forged.person');
    await admin.page.getByLabel('Password', { exact: true }).fill('a-long-password');
    await admin.page.locator('form[action="/console/accounts"] input[name="_csrf"]').evaluate((el, v) => void ((el as unknown as { value: string }).value = v), 'forged');
    const [response] = await Promise.all([admin.page.waitForResponse((r) => r.request().method() === 'POST'), admin.page.getByRole('button', { name: 'Add account' }).click()]);
    expect(response.status()).toBe(403);
    expect(await admin.page.getByRole('alert').textContent()).toContain('This form has expired');
    expect(await gw.console!.accounts.byName('forged.person')).toBeUndefined();
    expect(await auditCount()).toBe(audit);
    expect(await accountsNow()).toBe(accounts);
    // Still logged in: the refused logout did not log anyone out.
    expect(await open(admin.page, '/accounts')).toBe(true);
    expect(new URL(admin.page.url()).pathname).toBe('/console/accounts');
  }, 120_000);

  it('wrong passwords lock an account; an admin sees the lock, unlocks it on /console/accounts, and the login works', async () => {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    const problems = watchProblems(page);
    await page.goto(`${gw.url}/console/login`);
    for (let i = 0; i < 3; i++) {
      await page.getByLabel('Name').fill(LOCKED.name);
      await page.getByLabel('Password').fill('not-the-password');
      await page.getByRole('button', { name: 'Log in' }).click();
    }
    expect(await page.getByRole('alert').textContent()).toContain('locked until');

    const admin = await loggedIn(ACCOUNTS.admin, { width: 360, height: 740 });
    await open(admin.page, '/accounts');
    const row = admin.page.locator('tr', { hasText: LOCKED.name });
    expect(await row.textContent()).toContain('Locked until');
    await row.getByRole('button', { name: `Unlock ${LOCKED.name}` }).click();
    await admin.page.waitForURL((u) => u.searchParams.get('notice') === 'unlocked');
    expect(await admin.page.getByRole('status').textContent()).toBe('The account was unlocked.');
    expect(await admin.page.locator('tr', { hasText: LOCKED.name }).textContent()).not.toContain('Locked');
    expect(await seriousViolations(admin.page)).toEqual([]);

    await logIn(page, gw.url, LOCKED);
    expect(new URL(page.url()).pathname).not.toBe('/console/login');

    await open(admin.page, `/audit?account=${ACCOUNTS.admin.name}&action=account`);
    expect(await admin.page.locator('tbody').textContent()).toContain('account.unlock');
    await open(admin.page, '/audit?action=login.locked');
    expect(await admin.page.locator('tbody').textContent()).toContain(LOCKED.name);
    // The refused logins (401, 423) are answers the browser logs as failed loads; anything else is a problem.
    const real = (list: string[]) => list.filter((p) => !/status of 4\d\d/.test(p));
    expect(real(problems)).toEqual([]);
    expect(real(admin.problems)).toEqual([]);
  }, 60_000);

  it('the session cookie is HttpOnly and SameSite=Strict, and logging out ends the session', async () => {
    const viewer = await loggedIn(ACCOUNTS.viewer);
    const cookie = (await viewer.context.cookies()).find((c) => c.name === 'vasgw_console');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/console' });
    expect(await viewer.page.evaluate('document.cookie')).not.toContain('vasgw_console');

    // The old cookie, copied into another browser, opens pages until the logout.
    const other = await browser.newContext();
    contexts.push(other);
    await other.addCookies([cookie!]);
    const before = await other.request.get(`${gw.url}/console/accounts`, { maxRedirects: 0 });
    expect(before.status()).toBe(403); // logged in (a viewer), not sent to the login form

    await viewer.page.locator('summary', { hasText: ACCOUNTS.viewer.name }).click();
    await Promise.all([viewer.page.waitForURL((u) => u.pathname === '/console/login'), viewer.page.getByRole('button', { name: 'Log out' }).click()]);
    const after = await other.request.get(`${gw.url}/console/accounts`, { maxRedirects: 0 });
    expect(after.status()).toBe(303);
    expect(after.headers().location).toMatch(/^\/console\/login/);
    const post = await other.request.post(`${gw.url}/console/accounts/${ACCOUNTS.viewer.name}/role`, { form: { role: 'admin', _csrf: viewer.csrf }, maxRedirects: 0 });
    expect(post.status()).toBe(401);
  }, 60_000);

  it('every console response the browser saw carried the Content-Security-Policy', () => {
    expect(responses.length).toBeGreaterThan(20);
    const statuses = new Set(responses.map((r) => r.status));
    expect([...statuses]).toEqual(expect.arrayContaining([200, 303, 403]));
    expect(responses.filter((r) => !r.csp?.includes("script-src 'self'")).map((r) => `${r.status} ${r.url}`)).toEqual([]);
  });
});

describe('console login rate limit and headers (HTTP)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await testGateway({ console: { loginRateLimit: { max: 3, windowSeconds: 60 } } });
    await gw.console!.add(ACCOUNTS.admin.name, 'admin', ACCOUNTS.admin.password);
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('answers 429 past console.loginRateLimit.max attempts, even with the right password', async () => {
    const form = await gw.app.inject({ method: 'GET', url: '/console/login' });
    const token = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;
    const cookie = String(form.headers['set-cookie']).split(';')[0]!;
    const attempt = (password: string) =>
      gw.app.inject({
        method: 'POST',
        url: '/console/login',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ _csrf: token, username: ACCOUNTS.admin.name, password }).toString(),
      });
    for (let i = 0; i < 3; i++) expect((await attempt('wrong-password')).statusCode).toBe(401);
    const limited = await attempt(ACCOUNTS.admin.password);
    expect(limited.statusCode).toBe(429);
    expect(limited.body).toContain('Too many attempts from this address');
    expect(limited.headers['content-security-policy']).toContain("default-src 'self'");
    expect(limited.headers['set-cookie'] ?? '').not.toContain('vasgw_console=');
  });

  it('sends the CSP with the login form, assets, redirects, refusals and unknown pages', async () => {
    const s = await gw.console!.startSession((await gw.console!.accounts.byName(ACCOUNTS.admin.name))!.id);
    const cookie = `vasgw_console=${s.token}`;
    const answers = await Promise.all([
      gw.app.inject({ method: 'GET', url: '/console/login' }),
      gw.app.inject({ method: 'GET', url: '/console/assets/console.css' }),
      gw.app.inject({ method: 'GET', url: '/console/accounts' }),
      gw.app.inject({ method: 'GET', url: '/console/accounts', headers: { cookie } }),
      gw.app.inject({ method: 'GET', url: '/console/no-such-page', headers: { cookie } }),
      gw.app.inject({ method: 'POST', url: '/console/accounts', headers: { cookie }, payload: { name: 'x' } }),
    ]);
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 303, 200, 404, 403]);
    for (const a of answers) expect(a.headers['content-security-policy']).toContain("script-src 'self'");
  });
});
