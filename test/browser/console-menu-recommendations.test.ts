import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ACCOUNTS, consoleGateway, launchBrowser, logIn, watchProblems } from '../helpers/browser';
import type { TestGateway } from '../helpers/gateway';
import { MENU_CONFIG, MENU_DAY, plantMenuSituations } from '../helpers/menu-recommendations';

// Menu recommendations in a real browser: readable on a phone, axe clean, and a suggestion's screen link
// opens the flow tree at that node.

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  return page.evaluate<string[]>(`axe.run('#main', { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } }).then((r) =>
    r.violations.map((v) => v.id + ': ' + v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')))`);
}

describe('console menu recommendations (chromium)', () => {
  let gw: TestGateway & { url: string };
  let browser: Browser;
  beforeAll(async () => {
    gw = await consoleGateway(MENU_CONFIG, { now: `${MENU_DAY}T05:00:00Z` });
    await plantMenuSituations(gw);
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
  });

  it('lists the suggestions on a 360 px phone, axe clean, and opens the tree at a suggestion\'s node', async () => {
    const page = await browser.newPage({ viewport: { width: 360, height: 740 } });
    const problems = watchProblems(page);
    const path = `/console/menu-recommendations?from=${MENU_DAY}&to=${MENU_DAY}`;
    await logIn(page, gw.url, ACCOUNTS.viewer, path);
    await page.goto(`${gw.url}${path}`);
    expect(await page.locator('h1').textContent()).toBe('Menu recommendations');
    expect(await page.locator('#suggestions-farm tbody tr').count()).toBe(5);
    const overflowing = await page.evaluate<string[]>(
      "[...document.querySelectorAll('#main *')].filter((e) => !e.closest('.table-wrap') && e.getBoundingClientRect().right > 361).map((e) => e.tagName)",
    );
    expect(overflowing).toEqual([]);
    expect(await axeViolations(page)).toEqual([]);
    // Choosing the flow in the filter keeps the suggestions (and the dates).
    await page.selectOption('select[name="flow"]', 'farm');
    await page.locator('form.range-form button[type="submit"]').click();
    await page.waitForURL(/flow=farm/);
    expect(page.url()).toContain(`from=${MENU_DAY}`);
    expect(await page.locator('#suggestions-farm tbody tr').count()).toBe(5);
    await page.locator('#suggestions-farm a[href$="#node-district"]').click();
    await page.waitForURL(/\/console\/flows\/farm#node-district$/);
    expect(await page.locator('#node-district').count()).toBe(1);
    expect(problems.filter((p) => !p.includes('404'))).toEqual([]);
    await page.close();
  }, 60_000);
});
