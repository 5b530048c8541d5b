import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ACCOUNTS, consoleGateway, launchBrowser, logIn, populate, watchProblems } from '../helpers/browser';
import { AUTH, type TestGateway } from '../helpers/gateway';

// The overview and operations pages in chromium, as a viewer: they render without problems, read on a
// phone, pass axe's serious checks, the range form works, and the operations page refreshes itself.

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe's serious and critical findings on the page (ids and where). */
async function accessibilityProblems(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  const result = (await page.evaluate('axe.run()')) as { violations: { id: string; impact: string; nodes: { target: string[] }[] }[] };
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

describe('console overview and operations (chromium)', () => {
  let gw: TestGateway & { url: string };
  let browser: Browser;
  beforeAll(async () => {
    gw = await consoleGateway();
    await populate(gw, { subscribers: 300, days: 21 });
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
  });

  it('shows the overview with its cards and charts, on a phone too, and changes the range from the form', async () => {
    const page = await browser.newPage();
    const problems = watchProblems(page);
    // Chromium's own favicon request 404s (the console has no icon) and shows only as a console message
    // without its address; every request the page makes is checked here instead.
    const missing: string[] = [];
    page.on('response', (r) => {
      if (r.status() === 404) missing.push(r.url());
    });
    await logIn(page, gw.url, ACCOUNTS.viewer);
    expect(new URL(page.url()).pathname).toBe('/console');
    expect(await page.locator('h1').textContent()).toBe('Overview');
    for (const card of ['Sessions', 'Found at the first go', 'Stuck subscribers', 'Paying, not using', 'Lapsing', 'Churned', 'Interventions delivered']) {
      expect(await page.getByRole('heading', { name: card, exact: true }).isVisible()).toBe(true);
    }
    // console.js drew the daily charts from the page's JSON.
    await page.waitForSelector('#chart-sessions[data-drawn="1"]');
    expect(await accessibilityProblems(page)).toEqual([]);

    await page.setViewportSize({ width: 360, height: 740 });
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);

    await page.getByLabel('From').fill('2026-10-08');
    await page.getByLabel('To').fill('2026-10-14');
    await Promise.all([page.waitForURL(/from=2026-10-08/), page.getByRole('button', { name: 'Show' }).click()]);
    expect(await page.locator('hgroup p').textContent()).toContain('against the 7 days before');
    expect(await page.getByRole('link', { name: 'See stuck subscribers' }).isVisible()).toBe(true);
    expect(missing).toEqual([]);
    expect(problems.filter((p) => !p.includes('404 (Not Found)'))).toEqual([]);
    await page.close();
  }, 60_000);

  it('refreshes the operations page by the Refresh link and by itself every 10 seconds', async () => {
    const page = await browser.newPage();
    const problems = watchProblems(page);
    await logIn(page, gw.url, ACCOUNTS.viewer, '/console/operations');
    expect(await page.locator('h1').textContent()).toBe('Operations');
    const due = async () => Number(await page.locator('#ops-due').textContent());
    const before = await due();
    const send = async (to: string) => {
      const r = await gw.app.inject({ method: 'POST', url: '/api/v1/messages', headers: AUTH, payload: { to, text: 'Mvua inakuja: panda sasa.', kind: 'transactional' } });
      expect(r.statusCode).toBe(202);
    };
    await send('+254712300001');
    // The Refresh link swaps the status in place (htmx): no new page load, the new due count.
    const url = page.url();
    await page.getByRole('link', { name: 'Refresh' }).click();
    await page.locator('#ops-due', { hasText: new RegExp(`^${before + 1}$`) }).waitFor();
    expect(page.url()).toBe(url);
    await send('+254712300002');
    await page.locator('#ops-due', { hasText: new RegExp(`^${before + 2}$`) }).waitFor({ timeout: 15_000 });
    expect(await accessibilityProblems(page)).toEqual([]);
    expect(problems.filter((p) => !p.includes('404 (Not Found)'))).toEqual([]);
    await page.close();
  }, 60_000);
});
