import { validateDetailed, type ParsedFields } from 'node-cron';
import { badRequest } from '../lib/errors';
import { localParts, localToInstant, type LocalParts } from '../lib/timezone';

/**
 * Campaign schedules: a cron expression (node-cron's syntax, validated by node-cron) evaluated in an
 * IANA time zone. Due times are computed here from the injected clock's "now" rather than by node-cron's
 * own timers, so that a test (or a replay) can advance a ManualClock and see runs fire, and so that a
 * restarted process knows what is due from the database alone.
 */

/** Throws a 400 naming the problem when `tz` is not an IANA time zone the runtime knows. */
export function assertTimezone(tz: string, field = 'schedule.timezone'): void {
  if (!isTimezone(tz)) {
    throw badRequest('INVALID_TIMEZONE', `${field} "${tz.slice(0, 64)}" is not a known IANA time zone (for example Africa/Nairobi or UTC).`);
  }
}

/** True when Intl knows the time zone. */
export function isTimezone(tz: string): boolean {
  if (!tz || tz.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
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

const daysInMonth = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();
const weekdayOf = (y: number, m: number, d: number) => new Date(Date.UTC(y, m - 1, d)).getUTCDay();

function nearestWeekday(y: number, m: number, target: number): number {
  const last = daysInMonth(y, m);
  const d = Math.min(target, last);
  const wd = weekdayOf(y, m, d);
  if (wd === 6) return d === 1 ? d + 2 : d - 1;
  if (wd === 0) return d === last ? d - 2 : d + 1;
  return d;
}

// Day matching mirrors node-cron 4 (both day fields must match; L, W, L-n, nL and n#k tokens), so
// the due time computed here is the one node-cron itself would fire at.
function matchesDayOfMonth(field: (number | string)[], y: number, m: number, d: number): boolean {
  const last = daysInMonth(y, m);
  for (const v of field) {
    if (v === d) return true;
    if (typeof v !== 'string') continue;
    if (v === 'L' && d === last) return true;
    const w = /^(\d{1,2}|L)W$/.exec(v);
    if (w && nearestWeekday(y, m, w[1] === 'L' ? last : Number(w[1])) === d) return true;
    const off = /^L-(\d{1,2})$/.exec(v);
    if (off && last - Number(off[1]) === d) return true;
  }
  return false;
}

function matchesDayOfWeek(field: (number | string)[], y: number, m: number, d: number): boolean {
  const wd = weekdayOf(y, m, d);
  for (const v of field) {
    if (v === wd || (v === 7 && wd === 0)) return true;
    if (typeof v !== 'string') continue;
    const nth = /^([0-7])#([1-5])$/.exec(v);
    if (nth && Number(nth[1]) % 7 === wd && Math.floor((d - 1) / 7) + 1 === Number(nth[2])) return true;
    const lastOf = /^([0-7])L$/i.exec(v);
    if (lastOf && Number(lastOf[1]) % 7 === wd && d + 7 > daysInMonth(y, m)) return true;
  }
  return false;
}

const asc = (xs: number[]) => [...xs].sort((a, b) => a - b);

/**
 * The first instant strictly after `after` at which the cron expression fires in `tz`, or null when
 * none falls within the next 5 years (e.g. "0 0 30 2 *"). Walks days, not minutes, so it is cheap.
 */
export function nextCronRun(expr: string | ParsedFields, tz: string, after: number): number | null {
  const f = typeof expr === 'string' ? parseCron(expr) : expr;
  const seconds = asc(f.second);
  const minutes = asc(f.minute);
  const hours = asc(f.hour);
  const start = localParts(after, tz);
  let { year, month, day } = start;
  for (let i = 0; i < 366 * 5; i++) {
    if (f.month.includes(month) && matchesDayOfMonth(f.dayOfMonth, year, month, day) && matchesDayOfWeek(f.dayOfWeek, year, month, day)) {
      for (const hour of hours) {
        if (i === 0 && hour < start.hour) continue;
        for (const minute of minutes) {
          if (i === 0 && hour === start.hour && minute < start.minute) continue;
          for (const second of seconds) {
            const t = localToInstant({ year, month, day, hour, minute, second }, tz);
            if (t !== null && t > after) return t;
          }
        }
      }
    }
    const next = new Date(Date.UTC(year, month - 1, day + 1));
    year = next.getUTCFullYear();
    month = next.getUTCMonth() + 1;
    day = next.getUTCDate();
  }
  return null;
}
