import { describe, expect, it } from 'vitest';
import { nextCronRun } from '../../src/campaigns/schedule';

/** The next `n` runs after `after`, as ISO instants (null once the schedule never fires again). */
function runs(expr: string, tz: string, after: string, n: number): (string | null)[] {
  const out: (string | null)[] = [];
  let t = Date.parse(after);
  for (let i = 0; i < n; i++) {
    const next = nextCronRun(expr, tz, t);
    out.push(next === null ? null : new Date(next).toISOString());
    if (next === null) break;
    t = next;
  }
  return out;
}

const z = (s: string) => (s.length === 16 ? `${s}:00.000Z` : `${s}.000Z`);

// Expected times worked out by hand from a calendar (weekdays noted) and each zone's offset rules.
describe('campaign cron schedules: next runs', () => {
  it.each([
    ['Mondays 06:00 in Nairobi (UTC+3)', '0 6 * * 1', 'Africa/Nairobi', '2026-11-20T06:00:00Z', ['2026-11-23T03:00', '2026-11-30T03:00', '2026-12-07T03:00']],
    ['steps and ranges with weekday names', '*/20 8-10/2 * * mon-fri', 'Africa/Nairobi', '2026-11-20T04:50:00Z', ['2026-11-20T05:00', '2026-11-20T05:20', '2026-11-20T05:40', '2026-11-20T07:00', '2026-11-20T07:20', '2026-11-20T07:40', '2026-11-23T05:00']],
    ['month names in a list', '0 9 * jan,jul *', 'Africa/Nairobi', '2026-01-30T10:00:00Z', ['2026-01-31T06:00', '2026-07-01T06:00']],
    ['six fields (seconds first)', '15 0 9 * * *', 'UTC', '2026-01-01T00:00:00Z', ['2026-01-01T09:00:15', '2026-01-02T09:00:15']],
    ['L: last day of the month, leap year too', '30 7 L * *', 'Africa/Nairobi', '2027-12-15T00:00:00Z', ['2027-12-31T04:30', '2028-01-31T04:30', '2028-02-29T04:30']],
    ['L-2: two days before the last', '0 9 L-2 * *', 'UTC', '2026-01-01T00:00:00Z', ['2026-01-29T09:00', '2026-02-26T09:00', '2026-03-29T09:00', '2026-04-28T09:00']],
    ['15W: nearest weekday to the 15th (Sun 15 Feb -> Mon 16, Sat 15 Aug -> Fri 14)', '0 9 15W * *', 'UTC', '2026-01-01T00:00:00Z', ['2026-01-15T09:00', '2026-02-16T09:00', '2026-03-16T09:00']],
    ['15W in August', '0 9 15W 8 *', 'UTC', '2026-01-01T00:00:00Z', ['2026-08-14T09:00']],
    ['1W stays in its month (Sat 1 Aug -> Mon 3)', '0 9 1W 8 *', 'UTC', '2026-01-01T00:00:00Z', ['2026-08-03T09:00']],
    ['31W skips months without a 31st', '0 9 31W * *', 'UTC', '2026-02-01T00:00:00Z', ['2026-03-31T09:00', '2026-05-29T09:00']],
    ['LW: last weekday (Sat 31 Jan -> Fri 30, Sun 31 May -> Fri 29)', '0 9 LW * *', 'UTC', '2026-01-01T00:00:00Z', ['2026-01-30T09:00', '2026-02-27T09:00', '2026-03-31T09:00']],
    ['LW beside a plain day', '0 9 1,LW 5 *', 'UTC', '2026-01-01T00:00:00Z', ['2026-05-01T09:00', '2026-05-29T09:00', '2027-05-01T09:00']],
    ['5#2: second Friday', '0 9 * * 5#2', 'UTC', '2026-01-01T00:00:00Z', ['2026-01-09T09:00', '2026-02-13T09:00', '2026-03-13T09:00']],
    ['5L: last Friday', '0 9 * * 5L', 'UTC', '2026-01-01T00:00:00Z', ['2026-01-30T09:00', '2026-02-27T09:00', '2026-03-27T09:00']],
    ['Mondays and the last Friday', '0 9 * * 1,5L', 'UTC', '2026-01-18T00:00:00Z', ['2026-01-19T09:00', '2026-01-26T09:00', '2026-01-30T09:00', '2026-02-02T09:00']],
    ['7 is Sunday, #1 the first', '0 9 * * 7#1', 'UTC', '2026-01-01T00:00:00Z', ['2026-01-04T09:00', '2026-02-01T09:00']],
    ['both day fields must match: the 1st when it is a Monday', '0 9 1 * 1', 'UTC', '2026-01-01T00:00:00Z', ['2026-06-01T09:00', '2027-02-01T09:00', '2027-03-01T09:00']],
    // Europe/London springs forward at 01:00 GMT on 29 March 2026 and falls back at 01:00 GMT on 25 October.
    ['London: a fixed time the clocks skip runs when they jump', '30 1 * * *', 'Europe/London', '2026-03-28T12:00:00Z', ['2026-03-29T01:00', '2026-03-30T00:30']],
    ['London: a fixed time the clocks repeat runs once', '30 1 * * *', 'Europe/London', '2026-10-24T12:00:00Z', ['2026-10-25T00:30', '2026-10-26T01:30']],
    ['London: a stepped time runs in both occurrences of the repeated hour', '*/30 1 * * *', 'Europe/London', '2026-10-24T12:00:00Z', ['2026-10-25T00:00', '2026-10-25T00:30', '2026-10-25T01:00', '2026-10-25T01:30', '2026-10-26T01:00']],
    ['London: 09:00 keeps its local time across the change', '0 9 * * *', 'Europe/London', '2026-03-28T12:00:00Z', ['2026-03-29T08:00', '2026-03-30T08:00']],
    // America/New_York springs forward at 02:00 EST on 8 March 2026 and falls back at 02:00 EDT on 1 November.
    ['New York: 02:30 does not exist on 8 March', '30 2 * * *', 'America/New_York', '2026-03-07T12:00:00Z', ['2026-03-08T07:00', '2026-03-09T06:30']],
    ['New York: 09:00 EDT then 09:00 EST', '0 9 * * *', 'America/New_York', '2026-10-31T12:00:00Z', ['2026-10-31T13:00', '2026-11-01T14:00']],
  ] as const)('%s: %s in %s', (_what, expr, tz, after, expected) => {
    expect(runs(expr, tz, after, expected.length)).toEqual(expected.map(z));
  });

  it('says when a valid expression never fires within five years', () => {
    expect(nextCronRun('0 6 1 * 1#5', 'Africa/Nairobi', Date.parse('2026-01-01T00:00:00Z'))).toBeNull();
    expect(nextCronRun('0 9 29 2 1', 'UTC', Date.parse('2026-01-01T00:00:00Z'))).toBeNull(); // 29 Feb on a Monday: 2044
  });

  it('is strictly after the given instant', () => {
    expect(runs('0 9 * * *', 'UTC', '2026-01-01T09:00:00Z', 1)).toEqual([z('2026-01-02T09:00')]);
    expect(runs('0 9 * * *', 'UTC', '2026-01-01T08:59:59.999Z', 1)).toEqual([z('2026-01-01T09:00')]);
  });
});
