/** Wall-clock time in IANA time zones (quiet hours, cron schedules, reminders), without a library. */

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

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

// formatToParts costs microseconds; a campaign asks about the same minute thousands of times.
const minuteCache = new Map<string, LocalParts>();

/** Wall-clock parts of an instant in a time zone. */
export function localParts(ms: number, tz: string): LocalParts {
  const key = `${tz}|${Math.floor(ms / 60_000)}`;
  const second = Math.floor((((ms % 60_000) + 60_000) % 60_000) / 1000);
  const hit = minuteCache.get(key);
  if (hit) return { ...hit, second };
  const out: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(ms)) if (p.type !== 'literal') out[p.type] = Number(p.value);
  const l = { year: out.year!, month: out.month!, day: out.day!, hour: out.hour! % 24, minute: out.minute!, second };
  if (minuteCache.size > 1000) minuteCache.clear();
  minuteCache.set(key, l);
  return { ...l };
}

/** The instant at which the zone's wall clock shows `p`, or null when that local time does not exist (DST gap). */
export function localToInstant(p: LocalParts, tz: string): number | null {
  const guess = settle(p, tz);
  const back = localParts(guess, tz);
  const same = back.year === p.year && back.month === p.month && back.day === p.day && back.hour === p.hour && back.minute === p.minute && back.second === p.second;
  return same ? guess : null;
}

/** The instant a local wall-clock time occurs in the zone (the later side of a DST gap). */
export function zonedTime(tz: string, year: number, month: number, day: number, hour: number, minute: number): number {
  return settle({ year, month, day, hour, minute, second: 0 }, tz);
}

// Two rounds of offset correction settle on the right side of a DST change.
function settle(p: LocalParts, tz: string): number {
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  let guess = asUtc;
  for (let i = 0; i < 2; i++) {
    const l = localParts(guess, tz);
    guess = asUtc - (Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second) - guess);
  }
  return guess;
}
