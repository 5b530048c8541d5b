import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { ACCOUNTS, consoleGateway, launchBrowser, logIn, populate, watchProblems } from '../helpers/browser';
import type { TestGateway } from '../helpers/gateway';

// The flows pages in chromium: the list leads to a flow's tree, and the phone beside it reaches the
// advice by clicking, with and without JavaScript, in both languages.
describe('console flows (chromium)', () => {
  let gw: TestGateway & { url: string };
  let browser: Browser;
  beforeAll(async () => {
    gw = await consoleGateway();
    await populate(gw, { subscribers: 200, days: 14 });
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
  });

  it('opens a flow from the list and shows its tree with figures, without problems', async () => {
    const page = await browser.newPage();
    const problems = watchProblems(page);
    const missing: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' && m.text().includes('404')) missing.push(new URL(m.location().url).pathname);
    });
    await logIn(page, gw.url, ACCOUNTS.viewer, '/console/flows');
    await page.getByRole('link', { name: 'Crop advice', exact: true }).click();
    await page.waitForURL(/\/console\/flows\/crop-advice/);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Crop advice');
    expect(await page.locator('#node-main > details > summary').textContent()).toContain('Welcome to Crop Advice');
    expect(await page.locator('#node-main .node-figures').first().textContent()).toMatch(/Screens shown \d/);
    // Deeper screens are folded; opening one shows its advice.
    await page.locator('#node-maize > details > summary').click();
    expect(await page.locator('#node-maize-planting > details > .prompt').isVisible()).toBe(false);
    await page.locator('#node-maize-planting > details > summary').click();
    expect(await page.locator('#node-maize-planting > details > .prompt').isVisible()).toBe(true);
    // The browser's own request for /favicon.ico is the only thing missing (the console has no icon).
    expect(missing.filter((p) => p !== '/favicon.ico')).toEqual([]);
    expect(problems.filter((p) => !p.includes('404'))).toEqual([]);
    await page.close();
  });

  it('clicks through the simulator to the advice, then starts again in Kiswahili', async () => {
    const page = await browser.newPage({ viewport: { width: 360, height: 740 } });
    const problems = watchProblems(page);
    await logIn(page, gw.url, ACCOUNTS.editor, '/console/flows/crop-advice');
    const screen = page.locator('#simulator .ussd-text');
    expect(await screen.textContent()).toContain('Welcome to Crop Advice');
    for (const [reply, shows] of [['1', 'Choose a crop'], ['1', 'Maize'], ['1', 'Plant when the rains start']] as const) {
      await page.getByLabel('Your reply').fill(reply);
      await page.getByRole('button', { name: 'Send' }).click();
      await expect.poll(() => screen.textContent(), { timeout: 5000 }).toContain(shows);
    }
    // htmx swapped the phone in place: still the same page.
    expect(new URL(page.url()).search).toBe('');
    await page.getByLabel('Phone language').selectOption('sw');
    await page.getByRole('button', { name: 'Start in this language' }).click();
    await expect.poll(() => screen.textContent(), { timeout: 5000 }).toContain('Karibu Ushauri wa Mazao');
    await page.getByLabel('Your reply').fill('1');
    await page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => screen.textContent(), { timeout: 5000 }).toContain('Chagua zao');
    await page.getByRole('button', { name: 'Start again' }).click();
    await expect.poll(() => screen.textContent(), { timeout: 5000 }).toContain('Karibu Ushauri wa Mazao');
    expect(await screen.textContent()).not.toContain('Chagua zao');
    // Neither the tree nor the phone spills sideways on a phone's width.
    const right = await page.evaluate<number>("Math.max(...[...document.querySelectorAll('.flow-layout *')].map((e) => e.getBoundingClientRect().right))");
    expect(right).toBeLessThanOrEqual(360);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('passes axe-core\'s checks on the flow page (no serious or critical violation)', async () => {
    // axe is injected by the test (the page's policy lets no foreign script in, so this context bypasses it).
    const context = await browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    await logIn(page, gw.url, ACCOUNTS.editor, '/console/flows/crop-advice');
    await page.evaluate(readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8'));
    const violations = await page.evaluate<{ id: string; impact: string; nodes: unknown[] }[]>(
      "axe.run(document, { runOnly: ['wcag2a', 'wcag2aa'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) })))",
    );
    expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
    await context.close();
  });

  it('works with JavaScript off: each reply is a page round trip', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    const problems = watchProblems(page);
    await logIn(page, gw.url, ACCOUNTS.editor, '/console/flows/crop-advice');
    for (const reply of ['1', '2', '1']) {
      await page.getByLabel('Your reply').fill(reply);
      await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Send' }).click()]);
    }
    expect(await page.locator('#simulator .ussd-text').textContent()).toContain('Plant at the start of the rains');
    expect(new URL(page.url()).searchParams.getAll('h')).toEqual(['1', '2', '1']);
    expect(problems).toEqual([]);
    await context.close();
  });
});
