import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { Role } from '../../src/console/auth/account-repo';
import { ACCOUNTS, consoleGateway, launchBrowser, logIn, populate, watchProblems } from '../helpers/browser';
import { pagesFor, seriousViolations, sidewaysScroll } from '../helpers/console-pages';
import type { TestGateway } from '../helpers/gateway';

// Every page in the console's navigation, for each role, on a phone-sized screen with a populated
// database: it opens (200), the browser sees no errors, nothing scrolls sideways, and axe-core finds no
// serious or critical accessibility problem. Pages above the role answer 403. A page not built yet
// (404) is skipped with a note; once merged it is checked like the rest.

const ROLES: Role[] = ['viewer', 'editor', 'admin'];

describe('every console page, every role (chromium, 360x740)', () => {
  let gw: TestGateway & { url: string };
  let browser: Browser;
  beforeAll(async () => {
    gw = await consoleGateway();
    await populate(gw, { subscribers: 300, days: 14 });
    // The viewer and the admin read in Kiswahili, so the longer words are checked on the narrow screen too.
    await gw.console!.change(ACCOUNTS.viewer.name, { language: 'sw' });
    await gw.console!.change(ACCOUNTS.admin.name, { language: 'sw' });
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
  });

  it('the checks find what they look for: a planted unlabelled field and a planted over-wide block', async () => {
    const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
    const page = await context.newPage();
    await logIn(page, gw.url, ACCOUNTS.admin, '/console/accounts');
    expect(await seriousViolations(page)).toEqual([]);
    expect(await sidewaysScroll(page)).toBeNull();
    await page.evaluate(`(() => {
      document.querySelector('main').insertAdjacentHTML('beforeend', '<input id="planted" type="text"><div id="wide">wide</div>');
      document.getElementById('wide').style.width = '900px';
    })()`);
    expect((await seriousViolations(page)).join('\n')).toMatch(/^label \(critical\).*#planted/m);
    expect(await sidewaysScroll(page)).toMatch(/scrolls sideways/);
    await context.close();
  }, 60_000);

  for (const role of ROLES) {
    it(`${role}: every page it may open renders cleanly; the others answer 403`, async () => {
      const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
      const page = await context.newPage();
      const problems = watchProblems(page);
      await logIn(page, gw.url, ACCOUNTS[role]);
      const failures: string[] = [];
      const skipped: string[] = [];
      const { allowed, refused } = pagesFor(role);
      // Pages reached from a list rather than the navigation.
      const extra = role === 'admin' ? [{ path: `/accounts/${ACCOUNTS.editor.name}` }] : [];
      for (const entry of [...allowed, ...extra]) {
        const url = `${gw.url}/console${entry.path}`;
        problems.length = 0;
        const res = await page.goto(url);
        const status = res?.status();
        if (status === 404) {
          skipped.push(entry.path || '/');
          continue;
        }
        if (status !== 200) {
          failures.push(`${entry.path || '/'}: status ${status}`);
          continue;
        }
        for (const p of problems) failures.push(`${entry.path || '/'}: ${p}`);
        const wide = await sidewaysScroll(page);
        if (wide) failures.push(`${entry.path || '/'}: ${wide}`);
        for (const v of await seriousViolations(page)) failures.push(`${entry.path || '/'}: ${v}`);
      }
      for (const entry of refused) {
        const res = await page.goto(`${gw.url}/console${entry.path}`);
        const status = res?.status();
        if (status === 404) skipped.push(`${entry.path} (refusal)`);
        else if (status !== 403) failures.push(`${entry.path}: a ${role} got ${status}, not 403`);
      }
      if (skipped.length) console.info(`console pages not built in this tree yet (skipped for ${role}): ${skipped.join(', ')}`);
      expect(failures).toEqual([]);
      // At least the pages of this worktree ran, so a broken sweep cannot pass by skipping everything.
      if (role === 'admin') expect(skipped).not.toContain('/accounts');
      await context.close();
    }, 240_000);
  }
});
