import { AppError } from '../../lib/errors';
import type { ReportQuery } from '../../reports';
import type { ConsoleDeps } from '../context';
import { texts, type Lang } from '../i18n';
import type { RangeValues } from '../ui/range';

const T = texts(
  { backwards: 'The "From" date must not be after the "To" date.' },
  { backwards: 'Tarehe ya "Kuanzia" isiwe baada ya tarehe ya "Hadi".' },
);

/** The reader's own words for a range the reports would refuse, or null when it is fine (the report checks the rest). */
export function rangeError(lang: Lang, r: RangeValues): string | null {
  return r.from && r.to && r.from > r.to ? T(lang).backwards : null;
}

/** A report as a page reads it: the JSON the API answers, or the reason (a 4xx the reader can fix) it could not run. */
export type ReportResult = { ok: true; body: Record<string, unknown> } | { ok: false; message: string };

/**
 * Runs report `name` exactly as GET /api/v1/reports/:name does. A query the report refuses (an AppError,
 * e.g. `from` after `to`) comes back as its message for the page to show above its form; anything else
 * is a bug and is thrown.
 */
export function runReport(deps: ConsoleDeps, name: string, q: ReportQuery): ReportResult {
  try {
    return { ok: true, body: deps.core.reports.run(name, q) };
  } catch (e) {
    if (e instanceof AppError && e.status < 500) return { ok: false, message: e.message };
    throw e;
  }
}

/** A query-string value when it is one of `allowed`; `undefined` when absent or empty; `false` when it is something else. */
export function choice<T extends string>(query: unknown, name: string, allowed: readonly T[]): T | undefined | false {
  const v = ((query ?? {}) as Record<string, unknown>)[name];
  if (v === undefined || v === '') return undefined;
  return typeof v === 'string' && (allowed as readonly string[]).includes(v) ? (v as T) : false;
}
