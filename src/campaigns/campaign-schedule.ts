import { badRequest } from '../lib/errors';
import { assertTimezone, localToInstant, nextCronRun, parseCron } from './schedule';

/** The schedule as the API takes it. */
export interface ScheduleInput {
  at?: string;
  cron?: string;
  timezone?: string;
}

/** A validated schedule with its first due time. */
export interface ParsedSchedule {
  scheduleAt: number | null;
  cron: string | null;
  timezone: string;
  /** When the first run is due (a past `at` means now). */
  nextRunAt: number | null;
}

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Reads an ISO-8601 time. With an offset (`Z`, `+03:00`) it is that instant; without one it is the
 * wall-clock time in `tz` (what a content team in Nairobi means by "2026-11-20T06:00").
 */
export function parseAt(at: string, tz: string): number {
  const m = ISO_RE.exec(at.trim());
  const bad = () => badRequest('INVALID_SCHEDULE', `schedule.at "${at.slice(0, 40)}" is not an ISO-8601 time such as 2026-11-20T06:00:00+03:00 (without an offset it is read in schedule.timezone).`);
  if (!m) throw bad();
  const [, y, mo, d, h = '00', mi = '00', s = '00', offset] = m;
  const parts = { year: Number(y), month: Number(mo), day: Number(d), hour: Number(h), minute: Number(mi), second: Number(s) };
  if (parts.month < 1 || parts.month > 12 || parts.day < 1 || parts.day > 31 || parts.hour > 23 || parts.minute > 59 || parts.second > 59) throw bad();
  if (offset) {
    const t = Date.parse(at.trim().replace(' ', 'T'));
    if (Number.isNaN(t)) throw bad();
    return t;
  }
  const t = localToInstant(parts, tz);
  if (t === null) throw badRequest('INVALID_SCHEDULE', `schedule.at "${at}" does not exist in ${tz} (the clocks skip it); pick another time.`);
  return t;
}

/** Validates a schedule (exactly one of `at` and `cron`, a known time zone) and computes the first due time. */
export function parseSchedule(input: ScheduleInput, defaultTz: string, now: number): ParsedSchedule {
  const timezone = input.timezone ?? defaultTz;
  assertTimezone(timezone);
  if (input.at !== undefined && input.cron !== undefined) throw badRequest('INVALID_SCHEDULE', 'schedule takes either at (one send) or cron (recurring), not both.');
  if (input.at === undefined && input.cron === undefined) {
    throw badRequest('INVALID_SCHEDULE', 'schedule needs at (ISO-8601 time of one send) or cron (e.g. "0 6 * * 1" for Mondays at 06:00, in schedule.timezone).');
  }
  if (input.cron !== undefined) {
    parseCron(input.cron);
    const next = nextCronRun(input.cron, timezone, now);
    if (next === null) throw badRequest('INVALID_CRON', `schedule.cron "${input.cron}" never fires in the next five years (check the day and month).`);
    return { scheduleAt: null, cron: input.cron, timezone, nextRunAt: next };
  }
  const at = parseAt(input.at!, timezone);
  return { scheduleAt: at, cron: null, timezone, nextRunAt: Math.max(at, now) };
}
