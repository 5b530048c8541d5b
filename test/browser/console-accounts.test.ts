import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { ACCOUNTS, consoleGateway, launchBrowser, logIn, watchProblems } from '../helpers/browser';
import { seriousViolations } from '../helpers/console-pages';
import type { TestGateway } from '../helpers/gateway';

// An admin manages accounts only by clicking: adds one (a mistake first), changes its role, and reads
// both changes on the audit log, filtered to the account family.

describe('console accounts and audit log (chromium)', () => {
  let gw: TestGateway & { url: string };
  let browser: Browser;
  beforeAll(async () => {
    gw = await consoleGateway();
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
  });

  it('adds an account, fixes a mistake inline, changes its role, and finds both on the audit log', async () => {
    const page = await browser.newPage();
    const problems = watchProblems(page);
    await logIn(page, gw.url, ACCOUNTS.admin, '/console/accounts');

    await page.getByLabel('Name', { exact: true }).fill('wanjiru.k');
    await page.getByLabel('Role', { exact: true }).selectOption('editor');
    await page.getByLabel('Console language').selectOption('sw');
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByRole('button', { name: 'Add account' }).click();
    // The browser's own check is off (novalidate) so the page's message, in the reader's language, shows.
    expect(await page.locator('#f-password-error').textContent()).toBe('A password has at least 10 characters.');
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('wanjiru.k');
    expect(await gw.console!.accounts.byName('wanjiru.k')).toBeUndefined();

    await page.getByLabel('Password', { exact: true }).fill('shamba-password-9');
    await page.getByRole('button', { name: 'Add account' }).click();
    await page.waitForURL((u) => u.searchParams.get('notice') === 'added');
    expect(await page.getByRole('status').textContent()).toBe('The account was added.');
    const row = page.locator('tr', { hasText: 'wanjiru.k' });
    expect(await row.textContent()).toMatch(/editor.*Kiswahili.*Active/);

    await row.getByRole('link', { name: 'wanjiru.k' }).click();
    expect(await page.locator('h1').textContent()).toBe('Account wanjiru.k');
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByLabel('New role').selectOption('viewer');
    await page.getByRole('button', { name: 'Change role' }).click();
    await page.waitForURL((u) => u.searchParams.get('notice') === 'role');
    expect(await page.getByRole('status').textContent()).toBe('The role was changed.');
    expect((await gw.console!.accounts.byName('wanjiru.k'))!.role).toBe('viewer');

    await page.goto(`${gw.url}/console/audit`);
    await page.getByLabel('Account', { exact: true }).selectOption(ACCOUNTS.admin.name);
    await page.getByLabel('Action', { exact: true }).fill('account');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL((u) => u.searchParams.get('action') === 'account');
    const rows = await page.locator('tbody tr').allTextContents();
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/account\.role.*wanjiru\.k.*from: editor, to: viewer/);
    expect(rows[1]).toMatch(/account\.add.*wanjiru\.k.*role: editor/);
    expect(await seriousViolations(page)).toEqual([]);
    expect(problems.filter((p) => !/status of 400/.test(p))).toEqual([]);
    await page.close();
  }, 90_000);
});
