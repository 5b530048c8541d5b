import { isTimezone, localParts, parseCron } from '../../../campaigns/schedule';
import { AppError } from '../../../lib/errors';
import type { ScheduleInput } from '../../../campaigns/campaign-schedule';

// A campaign's schedule as the console's form holds it: once (date + time) or repeating (daily, weekly on
// chosen weekdays, monthly on a day, or a cron expression set elsewhere), at a time, in a time zone.
// The API takes `at` or `cron`; these functions translate both ways so the form round-trips.

/** How often a repeating campaign runs. */
export type Repeat = 'daily' | 'weekly' | 'monthly' | 'cron';

/** The schedule fields of the campaign form, as strings the way a browser sends them. */
export interface ScheduleFields {
  when: 'once' | 'repeating';
  date: string;
  time: string;
  repeat: Repeat;
  /** 0 = Sunday ... 6 = Saturday (cron's numbering). */
  weekdays: number[];
  monthDay: string;
  cron: string;
  timezone: string;
}

/** Which schedule field a problem belongs to. */
export type ScheduleProblem = 'date' | 'time' | 'weekdays' | 'monthDay' | 'cron' | 'timezone';

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const TIME_RE = /^([01]\d|2[0-3]):([0-5]\d)$/;
const pad = (n: number) => String(n).padStart(2, '0');

const str = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');
const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(str) : typeof v === 'string' ? [v.trim()] : []);

/** The schedule fields from a submitted form body. */
export function readScheduleFields(body: Record<string, unknown>, defaultTz: string): ScheduleFields {
  const repeat = str(body.repeat);
  const weekdays = [...new Set(list(body.weekdays).filter((d) => /^[0-6]$/.test(d)).map(Number))].sort((a, b) => a - b);
  return {
    when: str(body.when) === 'repeating' ? 'repeating' : 'once',
    date: str(body.date),
    time: str(body.time),
    repeat: repeat === 'weekly' || repeat === 'monthly' || repeat === 'cron' ? repeat : 'daily',
    weekdays,
    monthDay: str(body.monthDay),
    cron: str(body.cron),
    timezone: str(body.timezone) || defaultTz,
  };
}

/** Empty fields for a new campaign: once, in the service's time zone. */
export function blankSchedule(timezone: string): ScheduleFields {
  return { when: 'once', date: '', time: '', repeat: 'daily', weekdays: [], monthDay: '', cron: '', timezone };
}

/** The problems of the fields (each under the field it belongs to); empty when the API can take them. */
export function scheduleProblems(f: ScheduleFields): Partial<Record<ScheduleProblem, 'required' | 'invalid'>> {
  const p: Partial<Record<ScheduleProblem, 'required' | 'invalid'>> = {};
  if (!isTimezone(f.timezone)) p.timezone = 'invalid';
  const needsTime = f.when === 'once' || f.repeat !== 'cron';
  if (needsTime) {
    if (!f.time) p.time = 'required';
    else if (!TIME_RE.test(f.time)) p.time = 'invalid';
  }
  if (f.when === 'once') {
    if (!f.date) p.date = 'required';
    else if (!DATE_RE.test(f.date) || Number.isNaN(Date.parse(`${f.date}T00:00:00Z`))) p.date = 'invalid';
    return p;
  }
  if (f.repeat === 'weekly' && f.weekdays.length === 0) p.weekdays = 'required';
  if (f.repeat === 'monthly') {
    const d = Number(f.monthDay);
    if (!f.monthDay) p.monthDay = 'required';
    else if (!/^\d{1,2}$/.test(f.monthDay) || d < 1 || d > 31) p.monthDay = 'invalid';
  }
  if (f.repeat === 'cron') {
    if (!f.cron) p.cron = 'required';
    else {
      try {
        parseCron(f.cron);
      } catch (e) {
        if (!(e instanceof AppError)) throw e;
        p.cron = 'invalid';
      }
    }
  }
  return p;
}

/** The schedule as the API takes it (fields already checked by `scheduleProblems`). */
export function toScheduleInput(f: ScheduleFields): ScheduleInput {
  if (f.when === 'once') return { at: `${f.date}T${f.time}`, timezone: f.timezone };
  if (f.repeat === 'cron') return { cron: f.cron, timezone: f.timezone };
  const [h, m] = f.time.split(':').map(Number) as [number, number];
  const days = f.repeat === 'weekly' ? f.weekdays.join(',') : '*';
  const dom = f.repeat === 'monthly' ? String(Number(f.monthDay)) : '*';
  return { cron: `${m} ${h} ${dom} * ${days}`, timezone: f.timezone };
}

const DAILY = /^(\d{1,2}) (\d{1,2}) \* \* \*$/;
const WEEKLY = /^(\d{1,2}) (\d{1,2}) \* \* ([0-7](?:,[0-7])*)$/;
const MONTHLY = /^(\d{1,2}) (\d{1,2}) (\d{1,2}) \* \*$/;

/** The form's fields for a stored schedule (a cron of another shape stays a cron expression). */
export function scheduleFieldsOf(s: { scheduleAt: number | null; cron: string | null; timezone: string }): ScheduleFields {
  const base = blankSchedule(s.timezone);
  if (s.cron === null) {
    if (s.scheduleAt === null) return base;
    const l = localParts(s.scheduleAt, s.timezone);
    return { ...base, date: `${l.year}-${pad(l.month)}-${pad(l.day)}`, time: `${pad(l.hour)}:${pad(l.minute)}` };
  }
  const at = (m: string, h: string) => (Number(m) < 60 && Number(h) < 24 ? `${pad(Number(h))}:${pad(Number(m))}` : null);
  let x = DAILY.exec(s.cron);
  if (x && at(x[1]!, x[2]!)) return { ...base, when: 'repeating', repeat: 'daily', time: at(x[1]!, x[2]!)! };
  x = WEEKLY.exec(s.cron);
  if (x && at(x[1]!, x[2]!)) {
    const days = [...new Set(x[3]!.split(',').map((d) => Number(d) % 7))].sort((a, b) => a - b);
    return { ...base, when: 'repeating', repeat: 'weekly', time: at(x[1]!, x[2]!)!, weekdays: days };
  }
  x = MONTHLY.exec(s.cron);
  if (x && at(x[1]!, x[2]!) && Number(x[3]) >= 1 && Number(x[3]) <= 31) {
    return { ...base, when: 'repeating', repeat: 'monthly', time: at(x[1]!, x[2]!)!, monthDay: String(Number(x[3])) };
  }
  return { ...base, when: 'repeating', repeat: 'cron', cron: s.cron };
}
