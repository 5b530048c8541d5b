import { describe, expect, it } from 'vitest';
import { inHoldout, meanDifference, uplift, wilson } from '../../src/crm/experiments';
import { hllAdd, hllCount, hllMerge, hllNew } from '../../src/crm/hll';
import { histogramMedian, dwellBucket } from '../../src/crm/dwell';
import { Days } from '../../src/crm/days';

describe('holdout assignment', () => {
  it('is deterministic, close to the configured share, and independent between kinds', () => {
    const ids = Array.from({ length: 20_000 }, (_, i) => i + 1);
    const nudge = ids.filter((id) => inHoldout('salt', 'nudge', id, 10));
    expect(nudge.length / ids.length).toBeGreaterThan(0.09);
    expect(nudge.length / ids.length).toBeLessThan(0.11);
    expect(ids.filter((id) => inHoldout('salt', 'nudge', id, 10))).toEqual(nudge);
    const both = nudge.filter((id) => inHoldout('salt', 'winback', id, 10)).length;
    expect(both / nudge.length).toBeGreaterThan(0.07);
    expect(both / nudge.length).toBeLessThan(0.13);
    expect(inHoldout('salt', 'nudge', 1, 0)).toBe(false);
    expect(inHoldout('salt', 'nudge', 1, 100)).toBe(true);
    expect(ids.filter((id) => inHoldout('other', 'nudge', id, 10))).not.toEqual(nudge);
  });
});

describe('uplift statistics', () => {
  it('Wilson intervals match known values', () => {
    expect(wilson(0, 10).map((v) => v.toFixed(4))).toEqual(['0.0000', '0.2775']);
    expect(wilson(5, 10).map((v) => v.toFixed(4))).toEqual(['0.2366', '0.7634']);
  });

  it('the interval of a difference contains it, narrows with more data and tells clear effects from noise', () => {
    const small = uplift({ n: 20, successes: 8 }, { n: 20, successes: 5 });
    expect(small.uplift).toBeCloseTo(0.15, 10);
    expect(small.ci95![0]).toBeLessThan(0.15);
    expect(small.ci95![1]).toBeGreaterThan(0.15);
    expect(small.significant).toBe(false);
    const big = uplift({ n: 2000, successes: 800 }, { n: 2000, successes: 500 });
    expect(big.ci95![1] - big.ci95![0]).toBeLessThan(small.ci95![1] - small.ci95![0]);
    expect(big.significant).toBe(true);
    expect(uplift({ n: 0, successes: 0 }, { n: 5, successes: 1 })).toMatchObject({ uplift: null, ci95: null, significant: false });
  });

  it('the difference of mean revenue has a Welch interval', () => {
    const sum = (xs: number[]) => ({ n: xs.length, sum: xs.reduce((a, b) => a + b, 0), sumSq: xs.reduce((a, b) => a + b * b, 0) });
    const d = meanDifference(sum([10, 12, 14, 16]), sum([5, 6, 7, 8]));
    expect(d.difference).toBeCloseTo(6.5, 10);
    expect(d.ci95![0]).toBeGreaterThan(0);
    expect(d.ci95![1]).toBeGreaterThan(6.5);
  });
});

describe('sketches and days', () => {
  it('HyperLogLog counts distinct subscribers within a few percent and merges like a union', () => {
    const a = hllNew();
    const b = hllNew();
    for (let i = 1; i <= 60_000; i++) hllAdd(a, i);
    for (let i = 40_001; i <= 100_000; i++) hllAdd(b, i);
    expect(Math.abs(hllCount(a) - 60_000) / 60_000).toBeLessThan(0.05);
    hllMerge(a, b);
    expect(Math.abs(hllCount(a) - 100_000) / 100_000).toBeLessThan(0.05);
    const few = hllNew();
    for (const id of [3, 3, 7, 9]) hllAdd(few, id);
    expect(hllCount(few)).toBe(3);
  });

  it('dwell histogram medians and local days in Nairobi', () => {
    const h: number[] = [];
    for (const ms of [1500, 4000, 4500, 9000, 60_000]) h[dwellBucket(ms)] = (h[dwellBucket(ms)] ?? 0) + 1;
    expect(histogramMedian(h)).toBeGreaterThan(3);
    expect(histogramMedian(h)).toBeLessThanOrEqual(5);
    const days = new Days('Africa/Nairobi');
    const d = days.of(Date.parse('2026-11-20T21:30:00Z')); // 00:30 on the 21st in Nairobi
    expect(days.iso(d)).toBe('2026-11-21');
    expect(new Date(days.start(d)).toISOString()).toBe('2026-11-20T21:00:00.000Z');
    expect(days.cohort(d, 'month')).toBe('2026-11');
    expect(days.cohort(d, 'week')).toBe('2026-11-16');
  });
});
