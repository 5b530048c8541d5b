import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { ACCOUNTS, consoleGateway, launchBrowser, logIn, populate, watchProblems } from '../helpers/browser';
import { AUTH, type TestGateway } from '../helpers/gateway';

// Subscribers, import and segments in a real browser: the pages render without problems and the key
// interactions (upload a CSV, watch a segment's count change as the filter is built) work by clicking.
describe('console subscribers and segments (chromium)', () => {
  let gw: TestGateway & { url: string };
  let browser: Browser;
  beforeAll(async () => {
    gw = await consoleGateway();
    await populate(gw, { subscribers: 150, days: 10 });
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
  });

  it('searches, opens a profile with its timeline, as a viewer', async () => {
    const page = await browser.newPage();
    const problems = watchProblems(page);
    await logIn(page, gw.url, ACCOUNTS.viewer, '/console/subscribers');
    const first = page.locator('#subscriber-results tbody a').first();
    const masked = (await first.textContent()) ?? '';
    expect(masked).toContain('*');
    await Promise.all([page.waitForURL(/\/console\/subscribers\/s\d+$/), first.click()]);
    expect(await page.locator('h1').textContent()).toContain(masked);
    expect(await page.locator('#timeline tbody tr').count()).toBeGreaterThan(0);
    expect(await page.getByRole('button', { name: 'Save profile' }).count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it('imports a small CSV chosen in the file field', async () => {
    const page = await browser.newPage();
    const problems = watchProblems(page);
    await logIn(page, gw.url, ACCOUNTS.editor, '/console/subscribers/import');
    await page.getByLabel('CSV file').setInputFiles({
      name: 'farmers.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('msisdn,region,gender\n0799100001,Testregion,female\n0799100002,Testregion,female\n0799100003,Testregion,nobody\n'),
    });
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Import', exact: true }).click()]);
    await page.locator('#import-created').waitFor();
    expect(await page.locator('#import-created').textContent()).toBe('2');
    expect(await page.locator('#import-rejected').textContent()).toBe('1');
    expect(await page.locator('#import-rejections').textContent()).toContain('nobody');
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it('builds a segment while the count follows the filter, then saves it', async () => {
    for (const m of ['0799200001', '0799200002', '0799200003']) {
      const r = await gw.app.inject({ method: 'PATCH', url: `/api/v1/subscribers/${m}`, headers: { ...AUTH, 'content-type': 'application/json' }, payload: JSON.stringify({ region: 'Lakeside', gender: m.endsWith('3') ? 'male' : 'female' }) });
      expect(r.statusCode).toBe(200);
    }
    const page = await browser.newPage();
    const problems = watchProblems(page);
    await logIn(page, gw.url, ACCOUNTS.editor, '/console/segments/new');
    const figure = page.locator('#segment-count-figure');
    const everyone = await figure.getAttribute('data-count');
    await page.getByLabel('Region').pressSequentially('Lakeside');
    await page.locator('#segment-count-figure[data-count="3"]').waitFor();
    await page.getByLabel('Gender').selectOption('female');
    await page.locator('#segment-count-figure[data-count="2"]').waitFor();
    expect(everyone).not.toBe('3');
    await page.getByLabel('Name').fill('Lakeside women');
    await Promise.all([page.waitForURL(/\/console\/segments\/seg/), page.getByRole('button', { name: 'Save segment' }).click()]);
    expect(await page.locator('p.notice').textContent()).toBe('Segment saved.');
    expect(await page.locator('#segment-count-figure').getAttribute('data-count')).toBe('2');
    // The list fills each count in after the page.
    await page.goto(`${gw.url}/console/segments`);
    await page.locator('.segment-list-count').first().waitFor();
    expect(await page.locator('.segment-list-count').first().getAttribute('data-count')).toBe('2');
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);
});
