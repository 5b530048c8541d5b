import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { ACCOUNTS, consoleGateway, launchBrowser, logIn, watchProblems } from '../helpers/browser';
import type { TestGateway } from '../helpers/gateway';

// Logging in to the console in a real browser: the form, wrong passwords, lock-out, logging out.
describe('console login (chromium)', () => {
  let gw: TestGateway & { url: string };
  let browser: Browser;
  beforeAll(async () => {
    gw = await consoleGateway({ console: { lockout: { attempts: 3, minutes: 15 } } });
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
  });

  it('sends a visitor to the login form and back to the page they asked for', async () => {
    const page = await browser.newPage();
    const problems = watchProblems(page);
    await page.goto(`${gw.url}/`);
    expect(new URL(page.url()).pathname).toBe('/console/login');
    await logIn(page, gw.url, ACCOUNTS.viewer, '/console/operations');
    expect(new URL(page.url()).pathname).toBe('/console/operations');
    const cookie = (await page.context().cookies()).find((c) => c.name === 'vasgw_console');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/console' });
    expect(problems.filter((p) => !p.includes('404'))).toEqual([]);
    await page.close();
  });

  it('says a wrong password is wrong, then locks the account after the configured number', async () => {
    const page = await browser.newPage();
    const wrong = { name: ACCOUNTS.editor.name, password: 'not-the-password' };
    for (let i = 0; i < 2; i++) {
      await page.goto(`${gw.url}/console/login`);
      await page.getByLabel('Name').fill(wrong.name);
      await page.getByLabel('Password').fill(wrong.password);
      await page.getByRole('button', { name: 'Log in' }).click();
      expect(await page.getByRole('alert').textContent()).toBe('Wrong name or password.');
    }
    await page.getByLabel('Password').fill(wrong.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('locked until');
    // Even the right password is refused while locked.
    await page.getByLabel('Password').fill(ACCOUNTS.editor.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('locked until');
    await page.close();
  });
});
