import { MINUTE } from '../lib/clock';
import { quietUntil } from '../messaging/quiet-hours';

/** Quiet hours as configured (`messaging.quietHours`): local "HH:MM" start and end; null = none. */
export type QuietHours = { start: string; end: string } | null;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(tz, f);
  }
  return f;
}

const toMinutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Minutes since local midnight in `tz`. */
function localMinutes(t: number, tz: string): number {
  let h = 0;
  let m = 0;
  for (const p of formatter(tz).formatToParts(t)) {
    if (p.type === 'hour') h = Number(p.value);
    else if (p.type === 'minute') m = Number(p.value);
  }
  return h * 60 + m;
}

/** Whether `t` falls in quiet hours in `tz` (the messaging policy's own test, so both always agree). */
export function isQuiet(t: number, quiet: QuietHours, tz: string): boolean {
  return quietUntil(t, quiet, tz) !== null;
}

// The shift back counts whole minutes of local time; a zone that changes offset inside a quiet window
// (none of the African zones this serves) would be off by that change for that one night.

/** `t` itself, or the last minute before the quiet window that contains it began. */
export function lastAllowedAtOrBefore(t: number, quiet: QuietHours, tz: string): number {
  if (!quiet || !isQuiet(t, quiet, tz)) return t;
  const sinceStart = (localMinutes(t, tz) - toMinutes(quiet.start) + 1440) % 1440;
  return t - (t % MINUTE) - sinceStart * MINUTE - MINUTE;
}

/** `t` itself, or the end of the quiet window that contains it (as the messaging policy computes it). */
export function nextAllowedAtOrAfter(t: number, quiet: QuietHours, tz: string): number {
  return quietUntil(t, quiet, tz) ?? t;
}
