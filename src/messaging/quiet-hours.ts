/**
 * Quiet hours in a time zone: promotional messages that would arrive between `start` and `end` local
 * time wait until `end`. A window may cross midnight (20:00-07:00). Times are epoch ms.
 */

import { localParts, zonedTime } from '../lib/timezone';

export interface QuietWindow {
  start: string;
  end: string;
}

export { zonedTime };

const minutes = (hhmm: string): number => {
  const [h, m] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
};

/**
 * When a promotional message due at `at` may go: `at` itself outside the window, else the window's
 * end in the zone. Returns null when `at` is outside quiet hours.
 */
export function quietUntil(at: number, window: QuietWindow | null, tz: string): number | null {
  if (!window) return null;
  const start = minutes(window.start);
  const end = minutes(window.end);
  if (start === end) return null;
  const l = localParts(at, tz);
  const now = l.hour * 60 + l.minute;
  const inWindow = start < end ? now >= start && now < end : now >= start || now < end;
  if (!inWindow) return null;
  // The end falls today unless the window crosses midnight and we are in its evening half.
  const endIsTomorrow = start > end && now >= start;
  const base = Date.UTC(l.year, l.month - 1, l.day + (endIsTomorrow ? 1 : 0));
  const day = new Date(base);
  return zonedTime(tz, day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate(), Math.floor(end / 60), end % 60);
}
