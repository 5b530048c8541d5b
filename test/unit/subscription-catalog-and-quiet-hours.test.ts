import { describe, expect, it } from 'vitest';
import { ServiceCatalog } from '../../src/subscriptions/service-catalog';
import { isQuiet, lastAllowedAtOrBefore, nextAllowedAtOrAfter } from '../../src/subscriptions/quiet-hours';
import { fill, formatDate } from '../../src/subscriptions/texts';
import type { Service } from '../../src/subscriptions/types';

const svc = (o: Partial<Service>): Service => ({
  id: 's',
  name: 'S',
  price: 5,
  currency: 'KES',
  period: 'daily',
  shortCode: '20123',
  keywords: [],
  operators: {},
  ...o,
});

describe('service catalog', () => {
  const catalog = new ServiceCatalog([
    svc({ id: 'crop-daily', keywords: ['SHAMBA'], operators: { africastalking: { shortCode: '20123', keyword: 'SHAMBA' }, sdp: { productID: 'P1', serviceID: 'S1' } } }),
    svc({ id: 'weather-weekly', period: 'weekly', shortCode: '20124', keywords: ['HEWA'] }),
  ]);

  it('finds a service by every name an operator uses', () => {
    expect(catalog.byAfricasTalking('20123', 'shamba')?.id).toBe('crop-daily');
    expect(catalog.bySdp('P1', null)?.id).toBe('crop-daily');
    expect(catalog.bySdp('nope', 'S1')?.id).toBe('crop-daily');
    expect(catalog.byKeyword(' hewa ', '20124')?.id).toBe('weather-weekly');
    expect(catalog.byKeyword('HEWA', '+20123')).toBeNull();
    expect(catalog.byKeyword('HEWA')?.id).toBe('weather-weekly');
  });

  it('says which services exist when one is unknown', () => {
    expect(() => catalog.require('horoscope')).toThrowError('Service "horoscope" is not configured (known: crop-daily, weather-weekly).');
  });

  it('refuses configuration where two services answer to the same name', () => {
    expect(() => new ServiceCatalog([svc({ id: 'a' }), svc({ id: 'a' })])).toThrowError(/service id a appears twice/);
    expect(() => new ServiceCatalog([svc({ id: 'a', keywords: ['X'] }), svc({ id: 'b', keywords: ['x'] })])).toThrowError(/keyword x is used by both a and b/);
    expect(() => new ServiceCatalog([svc({ id: 'a', operators: { sdp: { productID: 'P' } } }), svc({ id: 'b', operators: { sdp: { productID: 'P' } } })])).toThrowError(/productID P/);
    expect(() => new ServiceCatalog([svc({ id: 'a', operators: { africastalking: { shortCode: '1' } } })])).toThrowError(/needs shortCode and keyword/);
    // The same keyword on different short codes is fine.
    expect(() => new ServiceCatalog([svc({ id: 'a', keywords: ['X'] }), svc({ id: 'b', shortCode: '999', keywords: ['X'] })])).not.toThrow();
  });
});

describe('quiet hours for reminders (20:00-07:00, Africa/Nairobi = UTC+3)', () => {
  const q = { start: '20:00', end: '07:00' };
  const tz = 'Africa/Nairobi';
  const at = (s: string) => Date.parse(s);

  it('knows the window, across midnight', () => {
    expect(isQuiet(at('2026-11-20T16:59:00Z'), q, tz)).toBe(false); // 19:59
    expect(isQuiet(at('2026-11-20T17:00:00Z'), q, tz)).toBe(true); // 20:00
    expect(isQuiet(at('2026-11-21T03:59:00Z'), q, tz)).toBe(true); // 06:59
    expect(isQuiet(at('2026-11-21T04:00:00Z'), q, tz)).toBe(false); // 07:00
    expect(isQuiet(at('2026-11-21T04:00:00Z'), null, tz)).toBe(false);
  });

  it('moves a time inside the window back to the last minute before it, or forward to its end', () => {
    expect(new Date(lastAllowedAtOrBefore(at('2026-11-21T01:30:00Z'), q, tz)).toISOString()).toBe('2026-11-20T16:59:00.000Z');
    expect(new Date(lastAllowedAtOrBefore(at('2026-11-20T19:00:30Z'), q, tz)).toISOString()).toBe('2026-11-20T16:59:00.000Z');
    expect(lastAllowedAtOrBefore(at('2026-11-20T10:00:00Z'), q, tz)).toBe(at('2026-11-20T10:00:00Z'));
    expect(new Date(nextAllowedAtOrAfter(at('2026-11-20T19:00:00Z'), q, tz)).toISOString()).toBe('2026-11-21T04:00:00.000Z');
  });
});

describe('subscription texts', () => {
  it('fills placeholders and leaves unknown ones visible', () => {
    expect(fill('{service} for {currency} {price} {oops}', { service: 'Crop', currency: 'KES', price: '5' })).toBe('Crop for KES 5 {oops}');
    expect(formatDate(Date.parse('2026-11-21T03:00:00Z'), 'Africa/Nairobi')).toBe('21 Nov 06:00');
  });
});
