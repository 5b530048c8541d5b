import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { cheaperPackage } from '../../src/crm/exit-reasons/exit-surveys';
import { numberedOptions, parseExitReply, tenureBand } from '../../src/crm/exit-reasons/reasons';
import type { Service } from '../../src/subscriptions/types';

const cfg = loadConfig({ env: {}, overrides: {} }).crm.exitReasons;

describe('reading an answer to the exit question', () => {
  it('takes the number, the reason in English or Kiswahili (any case, punctuation), else free text as other', () => {
    expect(parseExitReply(' 3 ', cfg.words)).toEqual({ reason: 'hard_to_use', freeText: null });
    expect(parseExitReply('Bei ghali!', cfg.words)).toEqual({ reason: 'too_expensive', freeText: null });
    expect(parseExitReply('poor network', cfg.words)).toEqual({ reason: 'poor_network', freeText: null });
    expect(parseExitReply('6', cfg.words)).toEqual({ reason: 'other', freeText: '6' });
    expect(parseExitReply('  I moved to town ', cfg.words)).toEqual({ reason: 'other', freeText: 'I moved to town' });
    expect(parseExitReply(' ?! ', cfg.words)).toBeNull();
  });

  it('numbers the reasons in the subscriber language', () => {
    expect(numberedOptions(cfg.labels, 'sw', 'en')).toBe('1 Bei ghali, 2 Haina manufaa, 3 Ngumu kutumia, 4 Mtandao mbaya, 5 Nyingine');
    expect(numberedOptions(cfg.labels, 'fr', 'en')).toBe('1 Too expensive, 2 Not useful, 3 Hard to use, 4 Poor network, 5 Other');
  });

  it('puts tenures in bands', () => {
    expect([null, 0, 6, 7, 27, 28, 90, 91, 400].map(tenureBand)).toEqual(['unknown', 'under_1_week', 'under_1_week', '1_4_weeks', '1_4_weeks', '1_3_months', '1_3_months', '3_months_plus', '3_months_plus']);
  });
});

describe('the package an exit offer proposes', () => {
  const s = (id: string, price: number, family?: string, currency = 'KES'): Service =>
    ({ id, name: id, price, currency, period: 'daily', shortCode: '', keywords: [], operators: {}, ...(family ? { family } : {}) }) as Service;
  it('is the cheapest other package of the same family and currency that costs less per charge', () => {
    const all = [s('monthly', 100, 'crop'), s('weekly', 25, 'crop'), s('daily', 5, 'crop'), s('usd', 1, 'crop', 'USD'), s('news', 2, 'news')];
    expect(cheaperPackage(all, all[0])?.id).toBe('daily');
    expect(cheaperPackage(all, all[2])).toBeNull();
    expect(cheaperPackage(all, s('lonely', 50))).toBeNull();
  });
});
