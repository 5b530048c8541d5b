import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ARMS_TRUTH, plantArmsCampaign } from '../../src/crm/generator/arms';
import { DAY } from '../../src/lib/clock';
import { ACCOUNTS, consoleGateway, launchBrowser, logIn, watchProblems } from '../helpers/browser';
import { generatePopulation } from '../helpers/crm-pass';
import { AUTH, type TestGateway } from '../helpers/gateway';

/** The little of the page's DOM these checks read (the project's TypeScript has no DOM types). */
interface Box {
  getBoundingClientRect(): { right: number };
  closest(selector: string): unknown;
  tagName: string;
  className: string;
  dataset: Record<string, string | undefined>;
}
type Doc = { document: { getElementById(id: string): Box | null; querySelectorAll(selector: string): Iterable<Box>; documentElement: { clientWidth: number } } };

function problemsOf(page: Page): string[] {
  const problems = watchProblems(page);
  page.on('response', (r) => {
    if (r.status() === 404 && !r.url().endsWith('/favicon.ico')) problems.push(`404: ${r.url()}`);
  });
  return problems;
}
const real = (problems: string[]) => problems.filter((p) => p !== 'console: Failed to load resource: the server responded with a status of 404 (Not Found)');

// Offers tested in a real browser: an editor sets up two arms by typing into the arm slots (no script
// needed), and a campaign's per-arm results draw their interval chart beside the table, on a phone too.
describe('console campaign arms (chromium)', () => {
  let gw: TestGateway & { url: string };
  let browser: Browser;
  const start = Date.parse('2026-10-01T21:00:00Z');

  beforeAll(async () => {
    gw = await consoleGateway({}, { now: new Date(start).toISOString() });
    browser = await launchBrowser();
    await generatePopulation(gw, { subscribers: 1500, days: 1, seed: 5, startAt: start, now: start });
    await plantArmsCampaign(gw.core, { recipients: 1500, sentAt: start + DAY + 3_600_000, seed: 5 });
    gw.clock.set(start + 12 * DAY);
    await gw.core.crm.runPass();
    await gw.app.inject({ method: 'POST', url: '/api/v1/segments', headers: AUTH, payload: { name: 'Everyone', filter: {} } });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
  });

  it('sets up arms in the form, then draws the per-arm results chart beside its table at 360 px', async () => {
    const page = await browser.newPage();
    const problems = problemsOf(page);
    await logIn(page, gw.url, ACCOUNTS.editor, '/console/campaigns/new');
    await page.getByLabel('Name').fill('Two offers');
    await page.getByLabel('Segment').selectOption({ label: 'Everyone' });
    await page.getByLabel('Arm 1: short title').fill('cheap');
    await page.getByLabel('Arm 1: text in English').fill('Daily tips, KES 5');
    await page.getByLabel('Arm 2: short title').fill('free');
    await page.getByLabel('Arm 2: text in English').fill('First week free');
    await page.getByLabel('Holdout: % of recipients sent nothing').fill('20');
    await page.getByLabel('Goal', { exact: true }).selectOption('reached_content');
    await page.getByLabel('Date').fill('2026-10-20');
    await page.getByLabel('Time', { exact: true }).fill('09:00');
    await Promise.all([page.waitForURL(/\/console\/campaigns\/cmp_/), page.getByRole('button', { name: 'Schedule campaign' }).click()]);
    expect(await page.locator('#arms-fixed').textContent()).toContain('Arms: cheap, free. Holdout 20%.');
    expect(await page.locator('#arms-table tbody tr').count()).toBe(3);

    await page.goto(`${gw.url}/console/campaigns/${ARMS_TRUTH.campaignId}`);
    await page.waitForFunction(() => (globalThis as unknown as Doc).document.getElementById('arms-rates')?.dataset.drawn === '1');
    expect(await page.locator('#arms-winner').textContent()).toMatch(/^(Winner: A\.|No winner yet)/);
    await page.setViewportSize({ width: 360, height: 740 });
    await page.waitForFunction(() => {
      const d = (globalThis as unknown as Doc).document;
      return (d.getElementById('arms-rates')?.getBoundingClientRect().right ?? 0) <= d.documentElement.clientWidth + 1;
    });
    const overflow = await page.evaluate(() => {
      const d = (globalThis as unknown as Doc).document;
      return [...d.querySelectorAll('main *')].filter((e) => !e.closest('.table-wrap') && e.getBoundingClientRect().right > d.documentElement.clientWidth + 1).map((e) => `${e.tagName}.${e.className}`);
    });
    expect(overflow).toEqual([]);
    expect(real(problems)).toEqual([]);
    await page.close();
  }, 90_000);
});
