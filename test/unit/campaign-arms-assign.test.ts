import { describe, expect, it } from 'vitest';
import { assignArm } from '../../src/campaigns/arms-assign';
import type { CampaignArm } from '../../src/db/schema/campaigns';

// The one assignment function: deterministic per (campaign, subscriber), the holdout share and the arms'
// weights honoured, independent between campaigns.
describe('assignArm', () => {
  const arms: CampaignArm[] = [{ name: 'A', share: 1 }, { name: 'B', share: 3 }];
  const tally = (campaign: string, holdout: number, n = 40_000) => {
    const out: Record<string, number> = { A: 0, B: 0, holdout: 0 };
    for (let i = 1; i <= n; i++) out[assignArm(campaign, i, arms, holdout)?.name ?? 'holdout']!++;
    return out;
  };

  it('splits by the holdout percent and the shares, within sampling error', () => {
    const t = tally('cmp_x', 20);
    expect(t.holdout! / 40_000).toBeCloseTo(0.2, 1);
    expect(t.A! / 40_000).toBeCloseTo(0.8 * 0.25, 1);
    expect(t.B! / 40_000).toBeCloseTo(0.8 * 0.75, 1);
  });

  it('gives a subscriber the same arm every time, and independent arms in another campaign', () => {
    for (let i = 1; i <= 200; i++) expect(assignArm('cmp_x', i, arms, 20)).toBe(assignArm('cmp_x', i, arms, 20));
    let same = 0;
    for (let i = 1; i <= 4000; i++) if ((assignArm('cmp_x', i, arms, 50)?.name ?? 'h') === (assignArm('cmp_y', i, arms, 50)?.name ?? 'h')) same++;
    // Independent draws agree about 0.5^2 + (0.5*0.25)^2 + (0.5*0.75)^2 = 40.6% of the time.
    expect(same / 4000).toBeGreaterThan(0.37);
    expect(same / 4000).toBeLessThan(0.44);
  });

  it('moves a subscriber only from holdout to an arm when a cap lowers their holdout percent', () => {
    for (let i = 1; i <= 2000; i++) {
      const full = assignArm('cmp_x', i, arms, 20);
      const capped = assignArm('cmp_x', i, arms, 5);
      if (full !== null) expect(capped).toBe(full);
    }
    expect(tally('cmp_x', 0).holdout).toBe(0);
  });
});
