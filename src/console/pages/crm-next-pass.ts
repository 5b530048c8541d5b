import { parse } from 'node-cron';

const MINUTE = 60_000;
const LOOK_AHEAD_MINUTES = 366 * 24 * 60;

// The scheduler's own task uses the wall clock; the console reads the injected clock, so the next tick is
// worked out here from the same cron expression, in the same time zone.

type Local = { month: number; day: number; weekday: number; hour: number; minute: number };
const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
const formats = new Map<string, Intl.DateTimeFormat>();

function local(ms: number, timeZone: string): Local {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', month: 'numeric', day: 'numeric', weekday: 'short', hour: 'numeric', minute: 'numeric' });
    formats.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return { month: Number(p.month), day: Number(p.day), weekday: WEEKDAYS[p.weekday ?? ''] ?? 0, hour: Number(p.hour), minute: Number(p.minute) };
}

/** When a cron expression next fires after `after` (ms) in `timeZone`, to the minute; null if not within a year. */
export function nextCronRun(expression: string, after: number, timeZone: string): number | null {
  let fields;
  try {
    fields = parse(expression);
  } catch {
    return null;
  }
  const nums = (xs: (number | string)[]) => new Set(xs.filter((x): x is number => typeof x === 'number').map((x) => (x === 7 ? 0 : x)));
  const minutes = new Set(fields.minute);
  const hours = new Set(fields.hour);
  const months = new Set(fields.month);
  const doms = nums(fields.dayOfMonth);
  const dows = nums(fields.dayOfWeek);
  // Standard cron: when both day fields are restricted, either may match.
  const domAll = doms.size >= 31;
  const dowAll = dows.size >= 7;
  const dayMatches = (l: Local) => (domAll || dowAll ? doms.has(l.day) && dows.has(l.weekday) : doms.has(l.day) || dows.has(l.weekday));
  let t = Math.floor(after / MINUTE) * MINUTE + MINUTE;
  for (let steps = 0; steps < LOOK_AHEAD_MINUTES; steps++) {
    const l = local(t, timeZone);
    if (!months.has(l.month) || !dayMatches(l)) t += ((23 - l.hour) * 60 + (60 - l.minute)) * MINUTE;
    else if (!hours.has(l.hour)) t += (60 - l.minute) * MINUTE;
    else if (!minutes.has(l.minute)) t += MINUTE;
    else return t;
  }
  return null;
}
