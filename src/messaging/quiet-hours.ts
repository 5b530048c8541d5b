/**
 * Quiet hours in a time zone: promotional messages that would arrive between `start` and `end` local
 * time wait until `end`. A window may cross midnight (20:00-07:00). Times are epoch ms.
 */

export interface QuietWindow {
  start: string;
  end: string;
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

interface LocalTime {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
}

// formatToParts costs microseconds; a campaign asks about the same minute thousands of times.
const minuteCache = new Map<string, LocalTime>();

function localParts(at: number, tz: string): LocalTime {
  const key = `${tz}|${Math.floor(at / 60_000)}`;
  const hit = minuteCache.get(key);
  if (hit) return { ...hit, s: Math.floor((at % 60_000) / 1000) };
  const out: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(at)) if (p.type !== 'literal') out[p.type] = Number(p.value);
  const l = { y: out.year!, mo: out.month!, d: out.day!, h: out.hour! % 24, mi: out.minute!, s: out.second! };
  if (minuteCache.size > 1000) minuteCache.clear();
  minuteCache.set(key, l);
  return l;
}

/** Offset of the zone from UTC at an instant, in ms (local = utc + offset). */
function offsetAt(at: number, tz: string): number {
  const l = localParts(at, tz);
  return Date.UTC(l.y, l.mo - 1, l.d, l.h, l.mi, l.s) - (at - (at % 1000));
}

/** The instant a local wall-clock time occurs in the zone (the later side of a DST gap). */
export function zonedTime(tz: string, y: number, mo: number, d: number, h: number, mi: number): number {
  const wall = Date.UTC(y, mo - 1, d, h, mi);
  let guess = wall - offsetAt(wall, tz);
  guess = wall - offsetAt(guess, tz);
  return guess;
}

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
  const now = l.h * 60 + l.mi;
  const inWindow = start < end ? now >= start && now < end : now >= start || now < end;
  if (!inWindow) return null;
  // The end falls today unless the window crosses midnight and we are in its evening half.
  const endIsTomorrow = start > end && now >= start;
  const base = Date.UTC(l.y, l.mo - 1, l.d + (endIsTomorrow ? 1 : 0));
  const day = new Date(base);
  return zonedTime(tz, day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate(), Math.floor(end / 60), end % 60);
}
