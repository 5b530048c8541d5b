import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { roleAllows } from '../../src/console/auth/accounts';
import type { Role } from '../../src/console/auth/account-repo';
import { NAV, type NavEntry } from '../../src/console/nav';

// The console-wide browser checks walk NAV, so every page is covered as it lands.

/** Every page in the navigation, with the least role that may open it. */
export function navPages(): NavEntry[] {
  return NAV.flatMap((s) => s.pages);
}

/** The pages `role` may open, and those it may not. */
export function pagesFor(role: Role): { allowed: NavEntry[]; refused: NavEntry[] } {
  const all = navPages();
  return { allowed: all.filter((p) => roleAllows(role, p.role)), refused: all.filter((p) => !roleAllows(role, p.role)) };
}

let axeSource: string | undefined;

/**
 * axe-core's serious and critical violations on the page, one line each. The script is evaluated through
 * the browser's debugging protocol: the console's CSP rightly refuses an injected inline <script>.
 */
export async function seriousViolations(page: Page): Promise<string[]> {
  axeSource ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  // Strings run in the browser (this program has no DOM types).
  if (!(await page.evaluate("typeof window.axe !== 'undefined'"))) await page.evaluate(axeSource);
  return page.evaluate(`(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => v.id + ' (' + v.impact + '): ' + v.help + ' at ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | '));
  })()`) as Promise<string[]>;
}

/** Whether the page is wider than the window (the reader would have to scroll sideways), with the two widths. */
export async function sidewaysScroll(page: Page): Promise<string | null> {
  const [scroll, inner] = (await page.evaluate('[document.documentElement.scrollWidth, window.innerWidth]')) as [number, number];
  return scroll > inner ? `scrolls sideways: ${scroll}px wide in a ${inner}px window` : null;
}
