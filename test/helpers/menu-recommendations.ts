import { ussdSession } from './crm';
import type { Config } from '../../src/config';
import type { DeepPartial, TestGateway } from './gateway';

/** The flow that plants one of each menu-design situation (test/fixtures/menu-recommendations/farm.yaml). */
export const MENU_DIR = 'test/fixtures/menu-recommendations';

/** Thresholds small enough for a few dozen sessions. */
export const MENU_CONFIG: DeepPartial<Config> = {
  flows: { dir: MENU_DIR },
  crm: { act: false, menuRecommendations: { minSample: 10, rareOptionShare: 0.1, invalidRate: 0.2, detourRate: 0.5, shortcutShare: 0.5, pagingRate: 0.3 } },
};

/** The day the sessions happen on (the gateway's clock must be on it, early morning Nairobi time). */
export const MENU_DAY = '2026-11-20';

let n = 0;

/**
 * Real USSD sessions, one new subscriber each (language menu first), planting: main option 4 (Loans) that
 * nobody picks; District's prompt drawing invalid replies; Compost found only after going back; Pests
 * reached by shortcut dial; Prices paged. Then the sessions time out and a CRM pass runs.
 */
export async function plantMenuSituations(gw: TestGateway): Promise<void> {
  const times = async (k: number, keys: string[], code = '*500#') => {
    for (let i = 0; i < k; i++) await ussdSession(gw, `+2547680${String(++n).padStart(5, '0')}`, ['1', ...keys], { code, stepMs: 3_000 });
  };
  await times(10, ['1', '1']); // Advice > Planting, straight there
  await times(5, ['1', '2', '1']); // Advice > Soil > Soil test, straight there
  await times(12, ['1', '2', '0', '2', '2']); // Advice > Soil, back, Soil again > Compost: a detour every time
  await times(3, ['1', '3']); // Advice > Pests through the menu
  await times(20, [], '*500*1*3#'); // Pests by the shortcut an education SMS carries
  await times(10, ['2', '98']); // Prices, then the next page
  await times(2, ['2']); // Prices, first page only
  await times(10, ['3', 'Nakuru', '123']); // District: a name first (invalid), then the code
  await times(2, ['3', '123']); // District: the code at once
  // Sessions left on a screen end as timeouts when the sweeper runs after the USSD timeout.
  gw.clock.advance(200_000);
  await gw.core.sessions.sweep();
  gw.clock.advance(3_600_000);
  await gw.core.crm.runPass();
}
