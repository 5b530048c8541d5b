import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ACCOUNTS, consoleGateway, launchBrowser, logIn, populate, watchProblems } from '../helpers/browser';
import type { TestGateway } from '../helpers/gateway';

// Retention, interventions and demography in a real browser: they render with their charts drawn and no
// console errors or failed requests, read on a phone, pass axe's checks, and their filters work by clicking.

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's WCAG A/AA violations inside the page's main content (evaluated by CDP, so the CSP does not apply). */
async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  // A string: the tests compile without the DOM's types.
  return page.evaluate<string[]>(`axe.run('#main', { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } }).then((r) =>
    r.violations.map((v) => v.id + ': ' + v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')))`);
}

describe('console retention, interventions and demography (chromium)', () => {
  let gw: TestGateway & { url: string };
  let browser: Browser;
  beforeAll(async () => {
    gw = await consoleGateway({ crm: { holdoutPercent: 50 } });
    await populate(gw, { subscribers: 600, days: 28 });
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
  });

  it('renders the three pages with their charts drawn, no problems, on a 360 px phone', async () => {
    const page = await browser.newPage({ viewport: { width: 360, height: 740 } });
    const problems = watchProblems(page);
    await logIn(page, gw.url, ACCOUNTS.viewer, '/console/retention');
    const pages = [
      { path: '/console/retention', h1: 'Retention', charts: 2 },
      { path: '/console/interventions?windows=all', h1: 'Interventions and experiments', charts: 1 },
      { path: '/console/demography', h1: 'Demography vs usage', charts: 2 },
    ];
    for (const p of pages) {
      await page.goto(`${gw.url}${p.path}`);
      expect(await page.locator('h1').textContent()).toBe(p.h1);
      await page.waitForFunction("document.querySelectorAll('canvas[data-drawn]').length > 0");
      expect(await page.locator('canvas[data-drawn]').count(), p.path).toBeGreaterThanOrEqual(p.charts);
      // Nothing of the page's own wider than the phone: wide tables scroll inside their own box.
      const overflowing = await page.evaluate<string[]>(
        "[...document.querySelectorAll('#main *')].filter((e) => !e.closest('.table-wrap') && e.getBoundingClientRect().right > 361).map((e) => e.tagName)",
      );
      expect(overflowing, p.path).toEqual([]);
      expect(await axeViolations(page), p.path).toEqual([]);
    }
    // Chromium's own favicon request is the only 404 (no page response is one), as in console-login.test.ts.
    expect(problems.filter((p) => !p.includes('404'))).toEqual([]);
    await page.close();
  }, 60_000);

  it('changes what the demography and interventions pages show by choosing in their filters', async () => {
    const page = await browser.newPage();
    const problems = watchProblems(page);
    await logIn(page, gw.url, ACCOUNTS.editor, '/console/demography');
    await page.getByLabel('Reach by', { exact: true }).selectOption('ageBand');
    await page.getByLabel('Usage by', { exact: true }).selectOption('region');
    await Promise.all([page.waitForURL(/field=ageBand/), page.getByRole('button', { name: 'Show' }).click()]);
    expect(await page.locator('#reach-h').textContent()).toBe('Which content reaches which age band');
    expect(await page.locator('#usage-h').textContent()).toBe('Usage by region');
    expect(await page.locator('#reach-table th').allTextContents()).toContain('<25: Reach index (95% interval)');

    await page.goto(`${gw.url}/console/interventions`);
    await page.getByLabel('Outcome windows').selectOption('all');
    await page.getByLabel('Intervention').selectOption('save');
    await Promise.all([page.waitForURL(/windows=all/), page.getByRole('button', { name: 'Show' }).click()]);
    const pending = await page.locator('#pending-line').textContent();
    expect(pending).toContain('Results still coming in:');
    expect(pending).toContain('These are counted in the figures below');
    expect(await page.locator('article.intervention-kind h2').allTextContents()).toEqual(['Save (lapsing)']);
    expect(problems.filter((p) => !p.includes('404'))).toEqual([]);
    await page.close();
  }, 60_000);
});
