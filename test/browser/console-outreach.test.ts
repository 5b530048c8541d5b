import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ACCOUNTS, consoleGateway, launchBrowser, logIn, watchProblems } from '../helpers/browser';
import { AUTH, type TestGateway } from '../helpers/gateway';

/**
 * watchProblems, less chromium's own favicon request (the console has no favicon; that request is
 * invisible to page events, so a 404 of anything the page itself loads is still counted here).
 */
function problemsOf(page: Page): string[] {
  const problems = watchProblems(page);
  page.on('response', (r) => {
    if (r.status() === 404) problems.push(`404: ${r.url()}`);
  });
  return problems;
}
/** The little of the page's DOM these checks read (the project's TypeScript has no DOM types). */
interface Box {
  getBoundingClientRect(): { right: number };
  closest(selector: string): unknown;
  tagName: string;
  className: string;
  dataset: Record<string, string | undefined>;
}
type Doc = { document: { getElementById(id: string): Box | null; querySelectorAll(selector: string): Iterable<Box>; documentElement: { clientWidth: number } } };
const real = (problems: string[]) => problems.filter((p) => p !== 'console: Failed to load resource: the server responded with a status of 404 (Not Found)');

// Polls and campaigns in a real browser: an editor creates a poll and schedules a campaign by clicking,
// the recipients preview follows the segment chosen, and a poll's results chart is drawn without problems.
describe('console polls and campaigns (chromium)', () => {
  let gw: TestGateway & { url: string };
  let browser: Browser;
  let segmentId: string;
  const api = async (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
    (await gw.app.inject({ method, url: `/api/v1${url}`, headers: AUTH, ...(payload ? { payload: payload as Record<string, unknown> } : {}) })).json() as Record<string, unknown>;

  beforeAll(async () => {
    gw = await consoleGateway({}, { now: '2026-11-20T06:00:00Z' });
    browser = await launchBrowser();
    for (let i = 1; i <= 6; i++) await api('PATCH', `/subscribers/+25474400000${i}`, { language: i % 2 ? 'sw' : 'en', crop: 'beans', region: i <= 3 ? 'Meru' : 'Embu' });
    segmentId = (await api('POST', '/segments', { name: 'Bean growers', filter: { crop: 'beans' } })).id as string;
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
  });

  it('creates a poll by clicking, then schedules a campaign with it; the preview follows the segment', async () => {
    const page = await browser.newPage();
    const problems = problemsOf(page);
    await logIn(page, gw.url, ACCOUNTS.editor, '/console/polls');
    await page.getByRole('link', { name: 'New poll' }).click();
    await page.getByLabel('Question (English)').fill('Did the bean seed grow well?');
    await page.getByLabel('Question (Kiswahili)').fill('Je, mbegu za maharagwe zilimea vizuri?');
    await page.getByLabel('Answers (English)').fill('Yes\nNo');
    await page.getByLabel('Answers (Kiswahili)').fill('Ndiyo\nHapana');
    await Promise.all([page.waitForURL(/\/console\/polls\/pol_/), page.getByRole('button', { name: 'Create poll' }).click()]);
    expect(await page.getByRole('status').textContent()).toBe('The poll is created.');
    expect(await page.locator('h1').textContent()).toBe('Did the bean seed grow well?');
    const pollId = new URL(page.url()).pathname.split('/').pop()!;
    expect((await api('GET', `/polls/${pollId}`)).answers).toEqual([{ en: 'Yes', sw: 'Ndiyo' }, { en: 'No', sw: 'Hapana' }]);

    await page.getByRole('link', { name: 'New campaign' }).click();
    await page.getByLabel('Name').fill('Bean seed check');
    await page.getByLabel('Segment').selectOption({ label: 'Bean growers' });
    // htmx asks for the preview when the segment changes.
    await page.locator('#preview-count').waitFor();
    expect(await page.locator('#preview-count').textContent()).toBe('6 subscribers are in this segment now (opted-out subscribers are left out).');
    expect(await page.getByLabel('Poll').inputValue()).toBe(pollId);
    await page.getByLabel('Channel').selectOption('sms');
    await page.getByLabel('Repeating').check();
    expect(await page.getByLabel('Date').isVisible()).toBe(false);
    await page.getByLabel('Once').check();
    expect(await page.getByLabel('Date').isVisible()).toBe(true);
    await page.getByLabel('Date').fill('2026-11-23');
    await page.getByLabel('Time', { exact: true }).fill('09:30');
    await Promise.all([page.waitForURL(/\/console\/campaigns\/cmp_/), page.getByRole('button', { name: 'Schedule campaign' }).click()]);
    expect(await page.getByRole('status').textContent()).toBe('The campaign is saved.');
    expect(await page.locator('#campaign-schedule').textContent()).toBe('Once, on Monday, 23 November 2026 at 09:30, Nairobi time');
    const id = new URL(page.url()).pathname.split('/').pop()!;
    expect(await api('GET', `/campaigns/${id}`)).toMatchObject({ kind: 'poll', pollId, segmentId, status: 'scheduled', schedule: { at: '2026-11-23T06:30:00.000Z' } });

    await Promise.all([page.waitForURL(/notice=pause/), page.getByRole('button', { name: 'Pause' }).click()]);
    expect(await page.locator('#campaign-status').textContent()).toBe('paused');
    expect(real(problems)).toEqual([]);
    await page.close();
  }, 60_000);

  it('draws a poll\'s results chart beside its table with no console errors or failed requests', async () => {
    const poll = await api('POST', '/polls', { type: 'choice', question: { en: 'Price fair?', sw: 'Bei ni nzuri?' }, answers: [{ en: 'Yes', sw: 'Ndiyo' }, { en: 'No', sw: 'Hapana' }] });
    await api('POST', '/campaigns', { kind: 'poll', segmentId, pollId: poll.id, schedule: { at: '2026-11-20T06:00:00Z' } });
    await gw.core.campaignScheduler.tick();
    for (const [i, text] of ['1', '2', '1'].entries()) await gw.core.messaging.routeMo({ from: `+25474400000${i + 1}`, to: '20123', text, at: gw.clock.now() });
    const page = await browser.newPage();
    const problems = problemsOf(page);
    await logIn(page, gw.url, ACCOUNTS.viewer, `/console/polls/${poll.id as string}`);
    await page.waitForFunction(() => (globalThis as unknown as Doc).document.getElementById('poll-answers')?.dataset.drawn === '1');
    expect(await page.locator('#answers-table tbody tr').count()).toBe(2);
    expect(await page.locator('#answers-table tbody tr').first().textContent()).toContain('1. Yes');
    expect(await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href')).toBe(`/console/polls/${poll.id as string}/results.csv`);
    expect(await page.getByRole('button', { name: 'Close poll' }).count()).toBe(0);
    await page.setViewportSize({ width: 360, height: 740 });
    // Chart.js redraws the canvas for the new width on its resize observer's next round.
    await page.waitForFunction(() => {
      const d = (globalThis as unknown as Doc).document;
      return (d.getElementById('poll-answers')?.getBoundingClientRect().right ?? 0) <= d.documentElement.clientWidth + 1;
    });
    // Nothing in the page's main part is wider than a phone, except inside the tables' own scrolling boxes.
    const overflow = await page.evaluate(() => {
      const d = (globalThis as unknown as Doc).document;
      return [...d.querySelectorAll('main *')].filter((e) => !e.closest('.table-wrap') && e.getBoundingClientRect().right > d.documentElement.clientWidth + 1).map((e) => `${e.tagName}.${e.className}`);
    });
    expect(overflow).toEqual([]);
    expect(real(problems)).toEqual([]);
    await page.close();
  }, 60_000);
});
