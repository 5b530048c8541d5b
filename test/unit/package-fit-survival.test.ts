import { describe, expect, it } from 'vitest';
import { usagePattern } from '../../src/crm/package-fit';
import { kaplanMeier } from '../../src/reports/survival';

const CFG = { dailyFrom: 0.5, weeklyFrom: 0.1, lapsedAfterDays: 30 };

describe('Kaplan-Meier over a life table in days', () => {
  // Four runs: ended on days 1 and 3, still live at days 2 and 5 (worked by hand).
  const km = kaplanMeier(
    [
      [1, 1],
      [3, 1],
    ],
    [
      [2, 1],
      [5, 1],
    ],
  );

  it('survival, median and restricted mean as worked by hand', () => {
    expect(km.at(1)!.survival).toBe(1);
    expect(km.at(2)!.survival).toBe(0.75);
    expect(km.at(3)!.survival).toBe(0.75);
    expect(km.at(4)!.survival).toBe(0.375);
    expect(km.median()).toBe(3);
    expect(km.restrictedMean(4)).toBeCloseTo(2.875, 10);
  });

  it('says nothing past the longest follow-up, unless every run has ended', () => {
    expect(km.at(30)).toBeNull();
    const allEnded = kaplanMeier([[10, 5]], []);
    expect(allEnded.at(30)).toMatchObject({ survival: 0, atRisk: 0 });
    expect(allEnded.at(30)!.ci95[1]).toBeGreaterThan(0);
  });

  it('an interval inside 0..1 that holds the estimate', () => {
    const p = km.at(4)!;
    expect(p.ci95[0]).toBeGreaterThanOrEqual(0);
    expect(p.ci95[0]).toBeLessThan(0.375);
    expect(p.ci95[1]).toBeGreaterThan(0.375);
    expect(p.ci95[1]).toBeLessThanOrEqual(1);
  });
});

describe('usage patterns', () => {
  it('daily, weekly, seasonal and lapsed from first, last and active days', () => {
    expect(usagePattern(CFG, 100, 0, 100, 80)).toBe('daily');
    expect(usagePattern(CFG, 100, 0, 99, 20)).toBe('weekly');
    expect(usagePattern(CFG, 100, 0, 95, 5)).toBe('seasonal');
    expect(usagePattern(CFG, 100, 0, 60, 50)).toBe('lapsed');
    expect(usagePattern(CFG, 100, null, null, 0)).toBe('lapsed');
  });
});
