/**
 * Wall-clock time in IANA time zones (quiet hours, cron schedules, reminders), with Intl only. The one
 * place that turns instants into local times and back, exact across DST changes: a local time the
 * clocks skip has no instant, and a local time the clocks repeat has two (the earlier is the one meant).
 */

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const MINUTE = 60_000;
const DAY = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** True when Intl knows the time zone. */
export function isTimezone(tz: string): boolean {
  if (!tz || tz.length > 64) return false;
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

// formatToParts costs microseconds; a campaign asks about the same minute thousands of times. Offsets
// change on whole minutes in every zone since 1970, so the minute is the unit cached.
const minuteCache = new Map<string, LocalParts>();

/** Wall-clock parts of an instant in a time zone. */
export function localParts(ms: number, tz: string): LocalParts {
  const key = `${tz}|${Math.floor(ms / MINUTE)}`;
  const second = Math.floor((((ms % MINUTE) + MINUTE) % MINUTE) / 1000);
  const hit = minuteCache.get(key);
  if (hit) return { ...hit, second };
  const out: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(ms)) if (p.type !== 'literal') out[p.type] = Number(p.value);
  const l = { year: out.year!, month: out.month!, day: out.day!, hour: out.hour! % 24, minute: out.minute!, second };
  if (minuteCache.size > 1000) minuteCache.clear();
  minuteCache.set(key, l);
  return { ...l };
}

const asUtc = (p: LocalParts) => Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);

/** The zone's offset from UTC at an instant (ms; +3 h for Nairobi). */
export function offsetAt(ms: number, tz: string): number {
  const whole = Math.floor(ms / 1000) * 1000;
  return asUtc(localParts(whole, tz)) - whole;
}

/**
 * The instants at which the zone's wall clock shows `p`, earliest first: one on most days, none in a
 * spring-forward gap, two in a fall-back hour. No zone changes offset twice within a day, so the
 * offsets a day either side are the only ones `p` can have.
 */
function instantsOf(p: LocalParts, tz: string): number[] {
  const wall = asUtc(p);
  const out: number[] = [];
  for (const off of [offsetAt(wall - DAY, tz), offsetAt(wall + DAY, tz)]) {
    const t = wall - off;
    if (offsetAt(t, tz) === off && !out.includes(t)) out.push(t);
  }
  return out.sort((a, b) => a - b);
}

/** The instant at which the zone's wall clock shows `p` (the first of two in a fall-back hour), or null when that local time does not exist (DST gap). */
export function localToInstant(p: LocalParts, tz: string): number | null {
  return instantsOf(p, tz)[0] ?? null;
}

/**
 * The first instant at which the zone's wall clock reads `p` or later: `p` itself (its first
 * occurrence), or, when the clocks skip `p`, the instant they jump (the end of the gap).
 */
export function wallClockReaches(p: LocalParts, tz: string): number {
  const at = localToInstant(p, tz);
  if (at !== null) return at;
  // In a gap: before the change the wall clock shows less than `p`, after it more. Find the change to the minute.
  const wall = asUtc(p);
  let lo = Math.floor((wall - offsetAt(wall + DAY, tz)) / MINUTE); // before the change
  let hi = Math.ceil((wall - offsetAt(wall - DAY, tz)) / MINUTE); // after the change
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (asUtc(localParts(mid * MINUTE, tz)) >= wall) hi = mid;
    else lo = mid;
  }
  return hi * MINUTE;
}

/** The instant a local wall-clock time is reached in the zone (the end of a DST gap for a skipped time). */
export function zonedTime(tz: string, year: number, month: number, day: number, hour: number, minute: number): number {
  return wallClockReaches({ year, month, day, hour, minute, second: 0 }, tz);
}

/** The calendar date `days` after the given one (months and years roll over). */
export function addDays(p: Pick<LocalParts, 'year' | 'month' | 'day'>, days: number): { year: number; month: number; day: number } {
  const d = new Date(Date.UTC(p.year, p.month - 1, p.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}
