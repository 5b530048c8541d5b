import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MenuSuggestion } from '../../src/reports/menu-recommendations';
import { apiGet } from '../helpers/crm';
import { MENU_CONFIG, MENU_DAY, MENU_DIR, plantMenuSituations } from '../helpers/menu-recommendations';
import { testGateway, type TestGateway } from '../helpers/gateway';

// The flow plants one of each situation: main option 4 (Loans) nobody picks; District's prompt draws
// invalid replies; Compost is found only after going back; Pests comes by shortcut dial; Prices pages.
const FILE = path.join(MENU_DIR, 'farm.yaml');
const line = (nodeId: string) => readFileSync(FILE, 'utf8').split('\n').indexOf(`  ${nodeId}:`) + 1;

let gw: TestGateway;
let report: Record<string, unknown> & { suggestions: MenuSuggestion[] };

beforeAll(async () => {
  gw = await testGateway(MENU_CONFIG, { now: `${MENU_DAY}T05:00:00Z` });
  await plantMenuSituations(gw);
  const r = await apiGet(gw, `/reports/menu-recommendations?from=${MENU_DAY}&to=${MENU_DAY}`);
  expect(r.status).toBe(200);
  report = r.body as typeof report;
});
afterAll(async () => {
  await gw?.stop();
});

const find = (kind: string, nodeId: string) => report.suggestions.find((s) => s.kind === kind && s.nodeId === nodeId);

describe('menu-design recommendations from real USSD sessions', () => {
  it('lists exactly the five planted situations, none for the healthy nodes', () => {
    expect(report.suggestions.map((s) => `${s.kind}:${s.nodeId}`).sort()).toEqual(
      ['buried_content:compost', 'long_screen:prices', 'rare_option:main', 'shortcut_only:pests', 'unclear_prompt:district'].sort(),
    );
    for (const s of report.suggestions) {
      expect(s.flowId).toBe('farm');
      expect(s.file).toBe(FILE);
      expect(s.line).toBe(line(s.nodeId));
      expect(s.line).toBeGreaterThan(0);
    }
  });

  it('names the option almost no one picks, with the menu choices it is a share of', () => {
    const s = find('rare_option', 'main')!;
    // 30 Advice + 12 Prices + 12 District + 0 Loans choices on the main menu.
    expect(s).toMatchObject({ option: { key: '4', next: 'loans', label: { en: 'Loans', sw: 'Mikopo' } }, count: 0, sample: 54, share: 0, threshold: 0.1, label: { en: 'Farm help', sw: 'Msaada wa shamba' } });
    expect(s.interval95[1]).toBeLessThan(0.1);
    expect(s.message).toContain('Loans');
  });

  it('flags the prompt that draws invalid replies, with its rate and 95% interval', () => {
    const s = find('unclear_prompt', 'district')!;
    expect(s).toMatchObject({ count: 10, sample: 12, share: 0.8333, threshold: 0.2, label: { en: 'District', sw: 'Wilaya' } });
    expect(s.interval95[0]).toBeGreaterThan(0.2);
  });

  it('flags content reached only after a detour, with its shortcut to advertise', () => {
    const s = find('buried_content', 'compost')!;
    expect(s).toMatchObject({ count: 12, sample: 12, share: 1, shortcut: '*500*1*2*2#' });
    // The same callers' visits, as first-go discovery counts them: none found it at the first go.
    expect(s.discovery).toMatchObject({ episodes: 12, foundFirstGo: 0, firstGoRate: 0 });
    expect(s.interval95[0]).toBeGreaterThan(0.5);
  });

  it('flags content reached mostly by shortcut dial: add it to the main menu', () => {
    const s = find('shortcut_only', 'pests')!;
    expect(s).toMatchObject({ count: 20, sample: 23, depth: 2 });
    expect(s.interval95[0]).toBeGreaterThan(0.5);
    expect(s.message).toContain('main menu');
  });

  it('flags the screen callers page through', () => {
    const s = find('long_screen', 'prices')!;
    expect(s).toMatchObject({ count: 10, sample: 12, share: 0.8333 });
    expect(s.interval95[0]).toBeGreaterThan(0.3);
  });

  it('makes no suggestion on a small sample, and answers 400 on a bad range', async () => {
    const r = await apiGet(gw, '/reports/menu-recommendations?from=2026-11-19&to=2026-11-19');
    expect(r.status).toBe(200);
    expect(r.body.suggestions).toEqual([]);
    const bad = await apiGet(gw, '/reports/menu-recommendations?from=yesterday');
    expect(bad.status).toBe(400);
    expect((bad.body.error as { code: string }).code).toBeTruthy();
  });
});
