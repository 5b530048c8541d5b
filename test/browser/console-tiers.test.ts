import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ACCOUNTS, consoleGateway, launchBrowser, logIn, populate, watchProblems } from '../helpers/browser';
import type { TestGateway } from '../helpers/gateway';

// The value tiers page in a real browser: reached from the navigation, its chart drawn, no console
// errors, readable on a 360 px phone, axe clean, and its dates filter works by clicking.

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  return page.evaluate<string[]>(`axe.run('#main', { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } }).then((r) =>
    r.violations.map((v) => v.id + ': ' + v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')))`);
}

describe('console value tiers (chromium)', () => {
  let gw: TestGateway & { url: string };
  let browser: Browser;
  beforeAll(async () => {
    gw = await consoleGateway({ crm: { tiers: { minTenureDays: 7 } } });
    await populate(gw, { subscribers: 300, days: 14 });
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
  });

  it('is linked from the navigation and opens with its chart and table, on a phone, without problems, and filters by dates', async () => {
    const page = await browser.newPage({ viewport: { width: 360, height: 740 } });
    const problems = watchProblems(page);
    await logIn(page, gw.url, ACCOUNTS.viewer, '/console');
    // The navigation links the page (on a phone the menu is folded away, so the page is opened by its address).
    expect(await page.locator('a[href="/console/tiers"]').count()).toBeGreaterThan(0);
    await page.goto(`${gw.url}/console/tiers`);
    expect(await page.locator('h1').textContent()).toBe('Value tiers');
    await page.waitForFunction("document.querySelectorAll('canvas[data-drawn]').length > 0");
    expect(await page.locator('#tiers-table tbody tr').count()).toBe(4);
    const overflowing = await page.evaluate<string[]>(
      "[...document.querySelectorAll('#main *')].filter((e) => !e.closest('.table-wrap') && e.getBoundingClientRect().right > 361).map((e) => e.tagName)",
    );
    expect(overflowing).toEqual([]);
    expect(await axeViolations(page)).toEqual([]);
    const before = await page.locator('#tiers-table tbody tr').first().locator('td').nth(3).textContent();
    // Dates long before the generated history: no revenue in them.
    await page.getByLabel('From', { exact: true }).fill('2025-01-01');
    await page.getByLabel('To', { exact: true }).fill('2025-01-31');
    await Promise.all([page.waitForURL(/from=2025-01-01/), page.getByRole('button', { name: 'Show' }).click()]);
    expect(await page.locator('#tiers-table tbody tr').first().locator('td').nth(3).textContent()).toBe('KES 0');
    expect(before).not.toBe('KES 0');
    expect(problems.filter((p) => !p.includes('404'))).toEqual([]);
    await page.close();
  }, 60_000);
});
