import type { Days } from '../crm/days';
import { DAY } from '../lib/clock';
import { badRequest } from '../lib/errors';

/** The common filters of every report: a time range in local days, and optionally a channel and a flow. */
export interface ReportRange {
  from: number;
  to: number;
  fromDay: number;
  toDay: number;
  channel: string | null;
  flow: string | null;
}

/** The channels a report can be limited to. */
export const REPORT_CHANNELS = ['ussd', 'ivr', 'sms'] as const;
export type ReportChannel = (typeof REPORT_CHANNELS)[number];

/** from/to (checked here: dates in the gateway's days) and channel/flow (checked by the route's query-string schema). */
export interface RangeQuery {
  from?: string | undefined;
  to?: string | undefined;
  channel?: ReportChannel | undefined;
  flow?: string | undefined;
}
const MAX_DAYS = 3660;

function instant(raw: string, name: string, endOfDay: boolean, days: Days): number {
  // A bare date means the whole local day (the gateway's time zone): `from` its start, `to` its end.
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(raw);
  const t = Date.parse(dateOnly ? `${raw}T00:00:00Z` : raw);
  if (!/^\d{4}-\d{2}-\d{2}/.test(raw) || Number.isNaN(t)) throw badRequest('INVALID_RANGE', `${name} "${raw.slice(0, 40)}" is not a date (YYYY-MM-DD) or an ISO-8601 time.`);
  if (!dateOnly) return t;
  const day = Math.floor(t / DAY);
  return endOfDay ? days.start(day + 1) - 1 : days.start(day);
}

/** Parses from/to/channel/flow; default range: the 30 days up to now. */
export function parseRange(q: RangeQuery, now: number, days: Days, defaultDays = 30): ReportRange {
  const to = q.to ? instant(q.to, 'to', true, days) : now;
  const from = q.from ? instant(q.from, 'from', false, days) : to - defaultDays * DAY;
  if (from > to) throw badRequest('INVALID_RANGE', 'from must not be after to.');
  if (to - from > MAX_DAYS * DAY) throw badRequest('INVALID_RANGE', `A report covers at most ${MAX_DAYS} days.`);
  return { from, to, fromDay: days.of(from), toDay: days.of(to), channel: q.channel ?? null, flow: q.flow ?? null };
}

/** The range as the reports echo it. */
export function rangeJson(r: ReportRange, days: Days): Record<string, unknown> {
  return {
    from: new Date(r.from).toISOString(),
    to: new Date(r.to).toISOString(),
    days: { from: days.iso(r.fromDay), to: days.iso(r.toDay), timezone: days.timeZone },
    ...(r.channel ? { channel: r.channel } : {}),
    ...(r.flow ? { flow: r.flow } : {}),
  };
}

/** A share rounded for reading (null when the denominator is zero). */
export const rate = (num: number, den: number): number | null => (den > 0 ? Math.round((num / den) * 10000) / 10000 : null);
