import { describe, expect, it } from 'vitest';
import { nextCronRun } from '../../src/console/pages/crm-next-pass';

// The overview says when the first CRM pass will run: the next tick of crm.schedule in the service's zone.
describe('next CRM pass', () => {
  const at = (iso: string) => Date.parse(iso);
  it('finds the next hour for the default hourly schedule', () => {
    expect(nextCronRun('0 * * * *', at('2026-11-20T09:15:30Z'), 'Africa/Nairobi')).toBe(at('2026-11-20T10:00:00Z'));
  });
  it('reads daily and weekly schedules in the local zone', () => {
    // 02:30 Nairobi is 23:30 UTC the day before.
    expect(nextCronRun('30 2 * * *', at('2026-11-20T09:00:00Z'), 'Africa/Nairobi')).toBe(at('2026-11-20T23:30:00Z'));
    // Mondays 09:00 Nairobi; 2026-11-20 is a Friday.
    expect(nextCronRun('0 9 * * 1', at('2026-11-20T09:00:00Z'), 'Africa/Nairobi')).toBe(at('2026-11-23T06:00:00Z'));
  });
  it('answers null for an expression it cannot read', () => {
    expect(nextCronRun('not cron', at('2026-11-20T09:00:00Z'), 'UTC')).toBeNull();
  });
});
