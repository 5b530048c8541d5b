import { Cron } from 'croner';
import { validateDetailed, type ParsedFields } from 'node-cron';
import { badRequest } from '../lib/errors';
import { isTimezone, localParts, localToInstant, type LocalParts } from '../lib/timezone';

/**
 * Campaign schedules: a cron expression in node-cron's syntax (node-cron validates it and names the
 * wrong field) evaluated in an IANA time zone by croner. Due times are computed here from the injected
 * clock's "now" rather than by a library's timers, so that a test (or a replay) can advance a
 * ManualClock and see runs fire, and so that a restarted process knows what is due from the database alone.
 *
 * Both day fields must match (node-cron's rule, so croner runs with `domAndDow`). Across DST, croner's
 * rule applies: a fixed time in the skipped hour runs at the first minute after the gap, a fixed time
 * in the repeated hour runs once, and a stepped or wildcard time runs in both occurrences.
 */

export { isTimezone };

/** Throws a 400 naming the problem when `tz` is not an IANA time zone the runtime knows. */
export function assertTimezone(tz: string, field = 'schedule.timezone'): void {
  if (!isTimezone(tz)) {
    throw badRequest('INVALID_TIMEZONE', `${field} "${tz.slice(0, 64)}" is not a known IANA time zone (for example Africa/Nairobi or UTC).`);
  }
}

/** The parsed fields of a valid cron expression; a 400 saying which field is wrong otherwise. */
export function parseCron(expr: string, field = 'schedule.cron'): ParsedFields {
  const v = validateDetailed(expr);
  if (!v.valid || !v.fields) {
    const what = v.errors.map((e) => (e.field === 'expression' ? e.message : `${e.field}: ${e.message}`)).join('; ');
    throw badRequest(
      'INVALID_CRON',
      `${field} "${expr.slice(0, 64)}" is not a valid cron expression (${what || 'unreadable'}); use five fields "minute hour day-of-month month day-of-week", e.g. "0 6 * * 1" for Mondays at 06:00.`,
    );
  }
  return v.fields;
}

export { localParts, localToInstant, type LocalParts };

const FIVE_YEARS = 5 * 366 * 86_400_000;

/** One croner pattern, plus the "L-n" day (n days before the last) croner has no token for. */
interface Part {
  cron: Cron;
  lastMinus: number | null;
  /** croner found no run at all (it searches centuries, which takes a noticeable fraction of a second): do not ask again. */
  never?: boolean;
}

const list = (xs: readonly (number | string)[]) => xs.join(',');
const isFull = (xs: readonly (number | string)[], from: number, to: number) => xs.length === to - from + 1 && xs.every((x) => typeof x === 'number');

/**
 * Splits node-cron's day fields into patterns croner reads. croner refuses `LW` in a list and misreads
 * `5L` beside other weekdays, so each special day token gets a pattern of its own with plain numbers in
 * another; as both day fields must match, the schedule is the union over every pair.
 */
function dayGroups(xs: readonly (number | string)[], full: boolean): string[] {
  if (full) return ['*'];
  const plain = xs.filter((x) => typeof x === 'number');
  const special = xs.filter((x): x is string => typeof x === 'string');
  return [...(plain.length ? [list(plain)] : []), ...special];
}

function compile(f: ParsedFields, tz: string): Part[] {
  const time = `${list(f.second)} ${list(f.minute)} ${list(f.hour)}`;
  const month = isFull(f.month, 1, 12) ? '*' : list(f.month);
  const doms = dayGroups(f.dayOfMonth, isFull(f.dayOfMonth, 1, 31));
  const dows = dayGroups(
    f.dayOfWeek.map((x) => (x === 7 ? 0 : x)),
    new Set(f.dayOfWeek.map((x) => (x === 7 ? 0 : x))).size === 7 && f.dayOfWeek.every((x) => typeof x === 'number'),
  );
  const parts: Part[] = [];
  for (const dom of doms) {
    const minus = /^L-(\d{1,2})$/.exec(dom);
    const lastMinus = minus ? Number(minus[1]) : null;
    // L-n falls on one of four days (months have 28-31 days); croner finds candidates, nextCronRun keeps the right one.
    const domPattern = lastMinus === null ? dom : lastMinus > 30 ? null : `${Math.max(1, 28 - lastMinus)}-${31 - lastMinus}`;
    if (domPattern === null) continue;
    for (const dow of dows) {
      parts.push({ cron: new Cron(`${time} ${domPattern} ${month} ${dow}`, { timezone: tz, domAndDow: true, paused: true }), lastMinus });
    }
  }
  return parts;
}

const compiled = new Map<string, Part[]>();

function partsFor(expr: string, tz: string): Part[] {
  const key = `${tz}\u0000${expr}`;
  let parts = compiled.get(key);
  if (!parts) {
    parts = compile(parseCron(expr), tz);
    if (compiled.size > 500) compiled.clear();
    compiled.set(key, parts);
  }
  return parts;
}

const daysInMonth = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();

function nextOf(part: Part, tz: string, after: number, limit: number): number | null {
  let from = after;
  for (;;) {
    if (part.never) return null;
    const d = part.cron.nextRun(new Date(from));
    if (!d) part.never = true;
    if (!d || d.getTime() > limit) return null;
    const t = d.getTime();
    if (part.lastMinus === null) return t;
    const l = localParts(t, tz);
    if (l.day === daysInMonth(l.year, l.month) - part.lastMinus) return t;
    // Not the day this month: skip the rest of the local day (23:59:59, so the next day's 00:00 counts).
    const endOfDay = localToInstant({ year: l.year, month: l.month, day: l.day, hour: 23, minute: 59, second: 59 }, tz);
    from = Math.max(t, endOfDay ?? t);
  }
}

/**
 * The first instant strictly after `after` at which the cron expression fires in `tz`, or null when
 * none falls within the next 5 years (e.g. "0 0 29 2 1" fires only when 29 February is a Monday).
 */
export function nextCronRun(expr: string, tz: string, after: number): number | null {
  const limit = after + FIVE_YEARS;
  let best: number | null = null;
  for (const part of partsFor(expr, tz)) {
    const t = nextOf(part, tz, after, best ?? limit);
    if (t !== null && (best === null || t < best)) best = t;
  }
  return best;
}
