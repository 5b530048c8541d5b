/**
 * Quiet hours in a time zone: promotional messages that would arrive between `start` and `end` local
 * time wait until `end`. A window may cross midnight (20:00-07:00). Times are epoch ms.
 *
 * A night's window is one unbroken stretch of time: it opens the first time the wall clock reads
 * `start` and closes the first time after that it reads `end`. On a DST night it is an hour shorter or
 * longer, never split in two (a fall-back hour that repeats the end time does not reopen it), and a
 * start or end the clocks skip is reached when they jump past it.
 */

import { addDays, localParts, wallClockReaches, zonedTime } from '../lib/timezone';

export interface QuietWindow {
  start: string;
  end: string;
}

export { zonedTime };

const minutes = (hhmm: string): number => {
  const [h, m] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
};

// A campaign asks about thousands of paced slots on the same few nights: each night is worked out once.
const nights = new Map<string, { from: number; until: number }>();

/** The instants a night's quiet window opens and closes, for the night that starts on a local date. */
function nightOf(date: { year: number; month: number; day: number }, start: number, end: number, tz: string): { from: number; until: number } {
  const key = `${tz}|${date.year}-${date.month}-${date.day}|${start}|${end}`;
  let night = nights.get(key);
  if (!night) {
    const endDate = start > end ? addDays(date, 1) : date;
    night = {
      from: wallClockReaches({ ...date, hour: Math.floor(start / 60), minute: start % 60, second: 0 }, tz),
      until: wallClockReaches({ ...endDate, hour: Math.floor(end / 60), minute: end % 60, second: 0 }, tz),
    };
    if (nights.size > 500) nights.clear();
    nights.set(key, night);
  }
  return night;
}

/** The quiet window (open and close instants) that contains `at`, or null when `at` is outside quiet hours. */
export function quietWindowAt(at: number, window: QuietWindow | null, tz: string): { from: number; until: number } | null {
  if (!window) return null;
  const start = minutes(window.start);
  const end = minutes(window.end);
  if (start === end) return null;
  const today = localParts(at, tz);
  // The night that contains `at` began today or yesterday (tomorrow too, in a zone whose clocks go back across midnight).
  for (const d of [-1, 0, 1]) {
    const night = nightOf(addDays(today, d), start, end, tz);
    if (at >= night.from && at < night.until) return night;
  }
  return null;
}

/**
 * When a promotional message due at `at` may go: `at` itself outside the window, else the window's
 * end in the zone. Returns null when `at` is outside quiet hours.
 */
export function quietUntil(at: number, window: QuietWindow | null, tz: string): number | null {
  return quietWindowAt(at, window, tz)?.until ?? null;
}
