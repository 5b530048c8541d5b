import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { Config } from '../../src/config';
import { ACCOUNTS, consoleGateway, launchBrowser, logIn, watchProblems } from '../helpers/browser';
import { EXIT_SECRET, plantExits } from '../helpers/exit-reasons';
import type { TestGateway } from '../helpers/gateway';

// The exit-reasons page in a real browser: its chart drawn, no problems, readable on a phone, axe clean,
// and the split chosen by clicking.

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  return page.evaluate<string[]>(`axe.run('#main', { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } }).then((r) =>
    r.violations.map((v) => v.id + ': ' + v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')))`);
}

describe('console exit reasons (chromium)', () => {
  let gw: TestGateway & { url: string };
  let browser: Browser;
  beforeAll(async () => {
    gw = await consoleGateway({ callbacks: { secret: EXIT_SECRET } } as unknown as Partial<Config>, { now: '2026-11-20T07:00:00Z' });
    await plantExits(gw, [
      ...Array.from({ length: 4 }, () => ({ region: 'Nakuru', joinedDaysAgo: 3, reply: '1' })),
      ...Array.from({ length: 2 }, () => ({ region: 'Kisumu', joinedDaysAgo: 20, reply: 'Mtandao mbaya' })),
      { region: 'Kisumu', joinedDaysAgo: 5, reply: 'My phone was stolen' },
    ]);
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
  });

  it('draws the reasons chart on a 360 px phone with no problems, and splits by region when chosen', async () => {
    const page = await browser.newPage({ viewport: { width: 360, height: 740 } });
    const problems = watchProblems(page);
    await logIn(page, gw.url, ACCOUNTS.viewer, '/console/exit-reasons');
    expect(await page.locator('h1').textContent()).toBe('Exit reasons');
    await page.waitForFunction("document.querySelectorAll('canvas[data-drawn]').length > 0");
    const overflowing = await page.evaluate<string[]>(
      "[...document.querySelectorAll('#main *')].filter((e) => !e.closest('.table-wrap') && e.getBoundingClientRect().right > 361).map((e) => e.tagName)",
    );
    expect(overflowing).toEqual([]);
    expect(await axeViolations(page)).toEqual([]);
    await page.getByLabel('Split by', { exact: true }).selectOption('region');
    await Promise.all([page.waitForURL(/by=region/), page.getByRole('button', { name: 'Show' }).click()]);
    expect(await page.locator('#groups-table td').allTextContents()).toEqual(expect.arrayContaining(['Nakuru', 'Kisumu']));
    expect(await page.locator('#free-text-table').textContent()).toContain('My phone was stolen');
    expect(problems.filter((p) => !p.includes('404'))).toEqual([]);
    await page.close();
  }, 60_000);
});
