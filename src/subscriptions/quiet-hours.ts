import { MINUTE } from '../lib/clock';
import { quietUntil, quietWindowAt } from '../messaging/quiet-hours';

/** Quiet hours as configured (`messaging.quietHours`): local "HH:MM" start and end; null = none. */
export type QuietHours = { start: string; end: string } | null;

/** Whether `t` falls in quiet hours in `tz` (the messaging policy's own test, so both always agree). */
export function isQuiet(t: number, quiet: QuietHours, tz: string): boolean {
  return quietUntil(t, quiet, tz) !== null;
}

/**
 * `t` itself, or the last minute before the quiet window that contains it began. The window's start is
 * an instant worked out in the zone, so a DST change inside the window does not shift the answer.
 */
export function lastAllowedAtOrBefore(t: number, quiet: QuietHours, tz: string): number {
  const window = quietWindowAt(t, quiet, tz);
  return window ? window.from - MINUTE : t;
}

/** `t` itself, or the end of the quiet window that contains it (as the messaging policy computes it). */
export function nextAllowedAtOrAfter(t: number, quiet: QuietHours, tz: string): number {
  return quietUntil(t, quiet, tz) ?? t;
}
