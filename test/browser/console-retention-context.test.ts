import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ACCOUNTS, consoleGateway, launchBrowser, logIn, populate, watchProblems } from '../helpers/browser';
import type { TestGateway } from '../helpers/gateway';

// Package fit and advice in context in a real browser: charts drawn, no console errors, readable on a
// 360 px phone, axe clean; a row of advice leads to its node on the flow tree page.

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  return page.evaluate<string[]>(`axe.run('#main', { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } }).then((r) =>
    r.violations.map((v) => v.id + ': ' + v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')))`);
}

describe('console package fit and advice in context (chromium)', () => {
  let gw: TestGateway & { url: string };
  let browser: Browser;
  beforeAll(async () => {
    gw = await consoleGateway({ crm: { holdoutPercent: 10 } });
    await populate(gw, { subscribers: 400, days: 40 });
    browser = await launchBrowser();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
  });

  it('renders both pages with charts drawn, no problems, on a 360 px phone, and links advice to the flow tree', async () => {
    const page = await browser.newPage({ viewport: { width: 360, height: 740 } });
    const problems = watchProblems(page);
    await logIn(page, gw.url, ACCOUNTS.viewer, '/console/package-fit');
    for (const p of [
      { path: '/console/package-fit', h1: 'Package fit' },
      { path: '/console/context', h1: 'Advice in context' },
    ]) {
      await page.goto(`${gw.url}${p.path}`);
      expect(await page.locator('h1').textContent()).toBe(p.h1);
      await page.waitForFunction("document.querySelectorAll('canvas[data-drawn]').length > 0");
      const overflowing = await page.evaluate<string[]>(
        "[...document.querySelectorAll('#main *')].filter((e) => !e.closest('.table-wrap') && e.getBoundingClientRect().right > 361).map((e) => e.tagName)",
      );
      expect(overflowing, p.path).toEqual([]);
      expect(await axeViolations(page), p.path).toEqual([]);
    }
    const first = page.locator('#context-table tbody tr a').first();
    const href = await first.getAttribute('href');
    await Promise.all([page.waitForURL(/\/console\/flows\/crop-advice/), first.click()]);
    expect(href).toMatch(/#node-/);
    expect(await page.locator(href!.slice(href!.indexOf('#'))).count()).toBe(1);
    expect(problems.filter((x) => !x.includes('404'))).toEqual([]);
    await page.close();
  }, 90_000);
});
