import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Config } from '../../src/config';
import type { GenerateSummary } from '../../src/crm/generator/population';
import { generateWithCrm } from './crm-pass';
import { testGateway, type DeepPartial, type TestGateway } from './gateway';

// Browser tests: Debian's chromium driven by playwright-core against a gateway listening on 127.0.0.1.

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The chromium binary, or null when none is installed (`.ci/run` installs Debian's). */
export function chromiumPath(): string | null {
  return CANDIDATES.find((p): p is string => !!p && existsSync(p)) ?? null;
}

/** Starts a headless chromium. */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error('no chromium: install Debian package chromium (bash .ci/run does) or set CHROMIUM_PATH');
  // --no-sandbox: CI runs as root, where chromium's sandbox cannot start.
  return chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** A console account made for a test. */
export interface TestAccount {
  name: string;
  password: string;
}

export const ACCOUNTS = {
  admin: { name: 'ana.admin', password: 'admin-password-1' },
  editor: { name: 'esi.editor', password: 'editor-password-1' },
  viewer: { name: 'vic.viewer', password: 'viewer-password-1' },
} as const satisfies Record<string, TestAccount>;

/** A gateway listening on a free port of 127.0.0.1 with an admin, an editor and a viewer account. */
export async function consoleGateway(overrides: DeepPartial<Config> = {}, opts: Parameters<typeof testGateway>[1] = {}): Promise<TestGateway & { url: string }> {
  const gw = await testGateway(overrides, opts);
  const accounts = gw.console;
  if (!accounts) throw new Error('the console is disabled in this config');
  await accounts.add(ACCOUNTS.admin.name, 'admin', ACCOUNTS.admin.password);
  await accounts.add(ACCOUNTS.editor.name, 'editor', ACCOUNTS.editor.password);
  await accounts.add(ACCOUNTS.viewer.name, 'viewer', ACCOUNTS.viewer.password);
  await gw.app.listen({ port: 0, host: '127.0.0.1' });
  const address = gw.app.server.address();
  if (!address || typeof address === 'string') throw new Error('not listening');
  return Object.assign(gw, { url: `http://127.0.0.1:${address.port}` });
}

/** Collects what a user would call broken: console errors, uncaught exceptions, failed requests, 5xx answers. */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // ERR_ABORTED: the user moved on before a request finished (a page left while loading); nothing broke.
  page.on('requestfailed', (r) => {
    const why = r.failure()?.errorText ?? '';
    if (why !== 'net::ERR_ABORTED') problems.push(`request failed: ${r.url()} ${why}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 500) problems.push(`${r.status()}: ${r.url()}`);
  });
  return problems;
}

/** Logs in through the login form and waits for the page after it. */
export async function logIn(page: Page, baseUrl: string, account: TestAccount, next = ''): Promise<void> {
  await page.goto(`${baseUrl}/console/login${next ? `?next=${encodeURIComponent(next)}` : ''}`);
  await page.getByLabel(/^(Name|Jina)$/).fill(account.name);
  await page.getByLabel(/^(Password|Nenosiri)$/).fill(account.password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/console/login')), page.getByRole('button', { name: /^(Log in|Ingia)$/ }).click()]);
}

/**
 * Fills the gateway's database with a generated population (sessions, stuck ones, billing, churn) and runs
 * the CRM day by day as the scheduler would, so the console's pages have figures to show. Leaves the
 * clock at the end of the generated period.
 */
export async function populate(gw: TestGateway, opts: { subscribers?: number; days?: number; seed?: number; start?: string } = {}): Promise<GenerateSummary> {
  const start = Date.parse(opts.start ?? '2026-10-01T21:00:00Z'); // midnight in Nairobi
  const days = opts.days ?? 21;
  const summary = await generateWithCrm(gw, { subscribers: opts.subscribers ?? 400, days, seed: opts.seed ?? 1, start });
  gw.clock.set(start + days * 86_400_000 + 9 * 3_600_000);
  return summary;
}
