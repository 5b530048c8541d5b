import { describe, expect, it } from 'vitest';
import { quietUntil } from '../../src/messaging/quiet-hours';
import { isQuiet, lastAllowedAtOrBefore, nextAllowedAtOrAfter } from '../../src/subscriptions/quiet-hours';

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
const at = (s: string) => Date.parse(s);
const night = { start: '20:00', end: '07:00' };

// Each row: zone, quiet window, an instant, and what a subscriber's clock says should happen.
describe('quiet hours on the nights the clocks change', () => {
  it.each([
    // Europe/London springs forward at 01:00 GMT on 29 March 2026: the night is an hour shorter.
    ['Europe/London', night, '2026-03-29T05:00:00Z', 'quiet until 07:00 BST', '2026-03-29T06:00:00.000Z', '2026-03-28T19:59:00.000Z'],
    ['Europe/London', night, '2026-03-28T19:59:00Z', 'not quiet at 19:59 GMT', null, '2026-03-28T19:59:00.000Z'],
    // ... and falls back at 01:00 GMT on 25 October 2026: the night is an hour longer.
    ['Europe/London', night, '2026-10-25T06:00:00Z', 'quiet until 07:00 GMT', '2026-10-25T07:00:00.000Z', '2026-10-24T18:59:00.000Z'],
    ['Europe/London', night, '2026-10-25T01:30:00Z', 'quiet in the repeated hour', '2026-10-25T07:00:00.000Z', '2026-10-24T18:59:00.000Z'],
    // America/New_York springs forward at 02:00 EST on 8 March 2026 and falls back at 02:00 EDT on 1 November.
    ['America/New_York', { start: '21:00', end: '08:00' }, '2026-03-08T11:00:00Z', 'quiet until 08:00 EDT', '2026-03-08T12:00:00.000Z', '2026-03-08T01:59:00.000Z'],
    ['America/New_York', { start: '21:00', end: '08:00' }, '2026-11-01T12:30:00Z', 'quiet until 08:00 EST', '2026-11-01T13:00:00.000Z', '2026-11-01T00:59:00.000Z'],
    // An end the clocks skip (01:30 on a spring-forward night) is reached when they jump to 02:00 BST.
    ['Europe/London', { start: '22:00', end: '01:30' }, '2026-03-29T00:59:00Z', 'quiet until the jump', '2026-03-29T01:00:00.000Z', '2026-03-28T21:59:00.000Z'],
    // An end the clocks repeat (01:30 on a fall-back night) closes the window the first time; it does not reopen.
    ['Europe/London', { start: '22:00', end: '01:30' }, '2026-10-25T00:29:00Z', 'quiet until the first 01:30', '2026-10-25T00:30:00.000Z', '2026-10-24T20:59:00.000Z'],
    ['Europe/London', { start: '22:00', end: '01:30' }, '2026-10-25T01:10:00Z', 'not quiet in the repeated hour', null, '2026-10-25T01:10:00.000Z'],
    // A start the clocks repeat (01:30 on a fall-back night) opens the window the first time; it is not closed by the repeat.
    ['Europe/London', { start: '01:30', end: '07:00' }, '2026-10-25T01:10:00Z', 'quiet after the first 01:30', '2026-10-25T07:00:00.000Z', '2026-10-25T00:29:00.000Z'],
    // Nairobi has no DST: the plain case stays plain.
    ['Africa/Nairobi', night, '2026-03-29T02:00:00Z', 'quiet until 07:00 EAT', '2026-03-29T04:00:00.000Z', '2026-03-28T16:59:00.000Z'],
  ] as const)('%s %o at %s: %s', (tz, window, t, _what, until, lastBefore) => {
    expect(iso(quietUntil(at(t), window, tz))).toBe(until);
    expect(isQuiet(at(t), window, tz)).toBe(until !== null);
    expect(iso(nextAllowedAtOrAfter(at(t), window, tz))).toBe(until ?? new Date(at(t)).toISOString());
    expect(iso(lastAllowedAtOrBefore(at(t), window, tz))).toBe(lastBefore);
  });

  it('a reminder moved before quiet hours on a DST night lands outside them', () => {
    for (const [tz, t] of [
      ['Europe/London', '2026-10-25T06:00:00Z'],
      ['Europe/London', '2026-03-29T05:00:00Z'],
      ['America/New_York', '2026-03-08T10:00:00Z'],
      ['America/New_York', '2026-11-01T11:30:00Z'],
    ] as const) {
      const moved = lastAllowedAtOrBefore(at(t), night, tz);
      expect(moved).toBeLessThan(at(t));
      expect(isQuiet(moved, night, tz)).toBe(false);
      expect(isQuiet(moved + 60_000, night, tz)).toBe(true);
    }
  });
});
