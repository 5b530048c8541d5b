import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ACCOUNTS, consoleGateway, launchBrowser, logIn, populate, watchProblems } from '../helpers/browser';
import type { TestGateway } from '../helpers/gateway';

// The discovery, stuck, paying-vs-using and risk pages in a real browser: they render without problems,
// draw their charts, and their filters work by clicking.
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical findings in the page's content, the layout's shell aside: rule id and first element. */
async function accessibilityProblems(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  // A string: the test code is compiled without the DOM's types; this runs in the page.
  const violations = await page.evaluate<{ id: string; impact: string; nodes: { target: string[] }[] }[]>(
    "axe.run('main', { resultTypes: ['violations'] }).then((r) => r.violations)",
  );
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes[0]?.target.join(' ')}`);
}

describe('console insight pages (chromium)', () => {
  let gw: TestGateway & { url: string };
  let browser: Browser;
  let page: Page;
  let problems: string[];
  beforeAll(async () => {
    gw = await consoleGateway();
    await populate(gw, { subscribers: 400, days: 21 });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 360, height: 740 } });
    problems = watchProblems(page);
    // Chromium asks for /favicon.ico, which the gateway does not serve: not a problem of these pages.
    await page.route('**/favicon.ico', (route) => route.fulfill({ status: 204 }));
    await logIn(page, gw.url, ACCOUNTS.viewer, '/console/discovery');
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
  });

  it('renders the four pages on a phone-sized screen with no console errors or failed requests, charts drawn', async () => {
    for (const [path, heading] of [['/console/discovery?by=cohort', 'Discovery'], ['/console/stuck', 'Stuck subscribers'], ['/console/paying-vs-using', 'Paying vs using'], ['/console/risk?limit=5', 'Risk']] as const) {
      await page.goto(`${gw.url}${path}`);
      expect(await page.locator('h1').textContent(), path).toBe(heading);
      const canvases = page.locator('canvas');
      expect(await canvases.count(), path).toBeGreaterThan(0);
      await page.waitForFunction("[...document.querySelectorAll('canvas')].every((c) => c.dataset.drawn === '1')");
      // Nothing in the page's content is wider than the screen but inside the tables' own scrolling boxes.
      const wide = await page.evaluate<string[]>(
        "[...document.querySelectorAll('main *')].filter((el) => !el.closest('.table-wrap') && el.getBoundingClientRect().right > window.innerWidth + 1).map((el) => el.tagName)",
      );
      expect(wide, path).toEqual([]);
      expect(await accessibilityProblems(page), path).toEqual([]);
    }
    expect(problems).toEqual([]);
  }, 60_000);

  it('breaks discovery down by the channel chosen in the select', async () => {
    await page.goto(`${gw.url}/console/discovery`);
    expect(await page.locator('#breakdown').count()).toBe(0);
    await page.getByLabel('Break down by', { exact: true }).selectOption({ label: 'Channel' });
    await Promise.all([page.waitForURL(/by=channel/), page.getByRole('button', { name: 'Show' }).click()]);
    expect(await page.locator('#breakdown h2').textContent()).toBe('First-go rate by channel');
    const groups = await page.locator('#discovery-groups-table tbody tr td:first-child').allTextContents();
    expect(groups).toContain('USSD');
    expect(problems).toEqual([]);
  });

  it('filters the risk lists by state and shows masked numbers to a viewer', async () => {
    await page.goto(`${gw.url}/console/risk`);
    await page.getByLabel('Subscription state', { exact: true }).selectOption('suspended');
    await Promise.all([page.waitForURL(/state=suspended/), page.getByRole('button', { name: 'Show' }).click()]);
    const states = await page.locator('#lapse-table tbody tr td:nth-child(3)').allTextContents();
    expect(states.length).toBeGreaterThan(0);
    expect(new Set(states)).toEqual(new Set(['suspended']));
    const first = await page.locator('#lapse-table tbody tr td:nth-child(2) a').first().textContent();
    expect(first).toMatch(/\*/);
    expect(problems).toEqual([]);
  });
});
