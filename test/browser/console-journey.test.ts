import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../src/config';
import { FakeSmsc } from '../fakes/smsc';
import { eventually, type TestGateway } from '../helpers/gateway';
import { ACCOUNTS, consoleGateway, launchBrowser, logIn, watchProblems } from '../helpers/browser';

// The content team's journey, done only in the browser by an editor: import farmers from a CSV, build a
// segment, create a poll, schedule its campaign, see it reach the (fake) SMSC, farmers answer by SMS,
// read the results chart. Nothing here calls the API; the SMSC side is the farmers' phones.
const CSV = ['msisdn,language,region,crops', '0711000001,en,Nakuru,maize', '0711000002,sw,Nakuru,maize;beans', '0711000003,sw,Nakuru,beans', '0711000004,en,Kisumu,maize'].join('\n');

describe('the content-team journey in the console (chromium)', () => {
  let gw: TestGateway & { url: string };
  let smsc: FakeSmsc;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let dir: string;

  beforeAll(async () => {
    smsc = await new FakeSmsc().start();
    const binds = [{ id: 'trx', host: '127.0.0.1', port: smsc.port, systemId: 'vasgw', password: 'secret', mode: 'transceiver', sourceAddr: '20123' }];
    gw = await consoleGateway({ smpp: { binds: binds as Config['smpp']['binds'] }, messaging: { dispatch: { pollMs: 10 } }, campaigns: { tickSeconds: 0.2 } } as never, { now: '2026-11-20T06:00:00Z' });
    await gw.start();
    await eventually(async () => (await gw.app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200, { what: 'bind ready' });
    browser = await launchBrowser();
    page = await browser.newPage();
    problems = watchProblems(page);
    dir = mkdtempSync(join(tmpdir(), 'vasgw-journey-'));
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
    await smsc?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('imports, segments, polls, schedules, sends, counts the answers and charts them', async () => {
    await logIn(page, gw.url, ACCOUNTS.editor);

    // 1. Import the farmers from a CSV file.
    const file = join(dir, 'farmers.csv');
    writeFileSync(file, CSV);
    await page.goto(`${gw.url}/console/subscribers/import`);
    await page.getByLabel('CSV file').setInputFiles(file);
    await page.getByRole('button', { name: 'Import' }).click();
    await page.waitForLoadState();
    expect(await page.locator('main').textContent()).toMatch(/4/);

    // 2. A segment: the Nakuru farmers (three of the four).
    await page.goto(`${gw.url}/console/segments/new`);
    await page.getByLabel('Name', { exact: true }).fill('Nakuru farmers');
    await page.getByLabel('Region', { exact: true }).fill('Nakuru');
    await Promise.all([page.waitForURL(/\/console\/segments\/[^/]+$/), page.getByRole('button', { name: 'Save segment' }).click()]);
    expect(await page.locator('main').textContent()).toContain('Nakuru farmers');

    // 3. A poll in both languages.
    await page.goto(`${gw.url}/console/polls/new`);
    await page.getByLabel('Question (English)').fill('Did the planting advice help you?');
    await page.getByLabel('Question (Kiswahili)').fill('Je, ushauri wa kupanda ulikusaidia?');
    await page.getByLabel('Answers (English)').fill('Yes\nNo');
    await page.getByLabel('Answers (Kiswahili)').fill('Ndiyo\nHapana');
    await Promise.all([page.waitForURL(/\/console\/polls\/[^/]+$/), page.getByRole('button', { name: 'Create poll' }).click()]);
    const pollUrl = page.url();

    // 4. Its campaign, once, now (09:00 in Nairobi on the gateway's clock).
    await page.goto(`${gw.url}/console/campaigns/new`);
    await page.getByLabel('Name', { exact: true }).fill('Planting advice check');
    await page.getByLabel('Segment').selectOption({ label: 'Nakuru farmers' });
    await page.getByLabel('Poll').selectOption({ index: 1 });
    await page.getByLabel('Once').check();
    await page.getByLabel('Date').fill('2026-11-20');
    await page.getByLabel('Time').fill('09:00');
    await Promise.all([page.waitForURL(/\/console\/campaigns\/[^/]+$/), page.getByRole('button', { name: 'Schedule campaign' }).click()]);

    // 5. The scheduler hands it to the outbox; the SMSC receives one SMS per Nakuru farmer.
    await eventually(() => smsc.messages().length >= 3, { what: 'three poll SMS at the SMSC', timeoutMs: 15_000 });
    expect(smsc.messages().map((m) => m.to).sort()).toEqual(['254711000001', '254711000002', '254711000003']);

    // 6. Two farmers answer by SMS: one Yes, one No (in Kiswahili).
    smsc.sendMo({ from: '254711000001', to: '20123', text: '1' });
    smsc.sendMo({ from: '254711000002', to: '20123', text: 'Hapana' });
    await eventually(() => smsc.messages().length >= 5, { what: 'the two thank-you SMS' });

    // 7. The results page counts them, in a table and a chart.
    await page.goto(pollUrl);
    const text = await page.locator('main').textContent();
    expect(text).toContain('Yes');
    expect(await page.locator('canvas#poll-answers').count()).toBe(1);
    expect(await page.locator('canvas#poll-regions').count()).toBe(1);
    expect(await page.locator('canvas#poll-channels').count()).toBe(1);
    // The first table: answer, answers, share.
    const rows = page.locator('main table').first().locator('tbody tr');
    const counted: string[][] = [];
    for (let i = 0; i < (await rows.count()); i++) counted.push((await rows.nth(i).locator('td, th').allTextContents()).map((t) => t.trim()));
    expect(counted.map((r) => r.slice(0, 2))).toEqual([
      ['1. Yes', '1'],
      ['2. No', '1'],
    ]);
    expect(problems).toEqual([]);
  });
});
