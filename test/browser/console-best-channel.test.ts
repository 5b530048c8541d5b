import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { FakeSmsc } from '../fakes/smsc';
import type { FakeVoiceProvider } from '../fakes/voice-provider';
import { channelGateway, plantHabits } from '../helpers/best-channel';
import { ACCOUNTS, launchBrowser, logIn, watchProblems } from '../helpers/browser';
import type { TestGateway } from '../helpers/gateway';
import { subscriberId } from '../helpers/subscribers';

// The best-channel block of a profile and the campaign form's best-channel choice in a real browser, on a
// 360 px phone: no problems, nothing wider than the screen, axe clean.

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  return page.evaluate<string[]>(`axe.run('#main', { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } }).then((r) =>
    r.violations.map((v) => v.id + ': ' + v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')))`);
}
const overflowing = (page: Page) =>
  page.evaluate<string[]>("[...document.querySelectorAll('#main *')].filter((e) => !e.closest('.table-wrap') && e.getBoundingClientRect().right > 361).map((e) => e.tagName)");

const CALLER = '+254711000701';

describe('console best channel (chromium)', () => {
  let gw: TestGateway;
  let smsc: FakeSmsc;
  let voice: FakeVoiceProvider;
  let browser: Browser;
  let url: string;
  beforeAll(async () => {
    ({ gw, smsc, voice } = await channelGateway({ crm: { act: false } }, '2026-11-10T06:00:00Z'));
    await plantHabits(gw, smsc, voice, { callers: [CALLER], texters: [] }, '2026-11-10', 3);
    await gw.core.crm.runPass();
    await gw.console!.add(ACCOUNTS.editor.name, 'editor', ACCOUNTS.editor.password);
    url = `http://127.0.0.1:${(gw.app.server.address() as AddressInfo).port}`;
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await voice?.stop();
    await gw?.stop();
    await smsc?.stop();
  });

  it('shows the verdict and its evidence on the profile, and offers best channel in the campaign form, on a phone', async () => {
    const page = await browser.newPage({ viewport: { width: 360, height: 740 } });
    const problems = watchProblems(page);
    await logIn(page, url, ACCOUNTS.editor, `/console/subscribers/s${await subscriberId(gw.core, CALLER)}`);
    expect(await page.locator('#best-channel').textContent()).toBe('Works best: voice call');
    expect(await page.locator('#crm-best-channel tbody tr').count()).toBe(3);
    expect(await overflowing(page)).toEqual([]);
    expect(await axeViolations(page)).toEqual([]);

    await page.goto(`${url}/console/campaigns/new`);
    await page.getByLabel('Channel', { exact: true }).selectOption('best');
    await page.getByLabel('If the best is not known yet').selectOption('call');
    expect(await overflowing(page)).toEqual([]);
    expect(await axeViolations(page)).toEqual([]);
    expect(problems.filter((p) => !p.includes('404'))).toEqual([]);
    await page.close();
  }, 60_000);
});
