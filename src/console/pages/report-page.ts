// What the report pages share: reading the filters a report takes from the page's query string the way the
// API's schema would, running the report as the API does, and showing a report's refusal on the page.
import { profileHref } from './subscribers/profile-href';
import { MAX_REPORT_LIMIT, type ReportQuery } from '../../reports';
import { AppError } from '../../lib/errors';
import { LIVE_STATES, type LiveState } from '../../reports/risk';
import type { Core } from '../../core';
import { SubscriberSearchStore } from '../../subscribers/subscriber-search-store';
import { day } from '../format';
import { html, type Html } from '../html';
import type { Lang } from '../i18n';
import type { RangeValues } from '../ui/range';
import { texts } from '../i18n';

const T = texts(
  {
    allServices: 'All services',
    allStates: 'All live states',
    limitBad: `Enter a whole number from 1 to ${MAX_REPORT_LIMIT.toLocaleString('en-GB')}.`,
    serviceBad: 'Choose one of the services in the list.',
    stateBad: 'Choose one of the states in the list.',
    more: (n: string) => `Show more (up to ${n})`,
    dates: (from: string, to: string, tz: string) => `Figures for ${from} to ${to} (days in ${tz}).`,
    active: 'active',
    grace: 'in grace (renewal failing)',
    suspended: 'suspended (renewals failed)',
    graceShort: 'in grace',
    suspendedShort: 'suspended',
    backwards: 'The "From" date must not be after the "To" date.',
  },
  {
    allServices: 'Huduma zote',
    allStates: 'Hali zote hai',
    limitBad: `Weka nambari kamili kuanzia 1 hadi ${MAX_REPORT_LIMIT.toLocaleString('en-GB')}.`,
    serviceBad: 'Chagua mojawapo ya huduma zilizo kwenye orodha.',
    stateBad: 'Chagua mojawapo ya hali zilizo kwenye orodha.',
    more: (n: string) => `Onyesha zaidi (hadi ${n})`,
    dates: (from: string, to: string, tz: string) => `Takwimu za ${from} hadi ${to} (siku kwa saa za ${tz}).`,
    active: 'hai',
    grace: 'kipindi cha neema (malipo yanashindwa)',
    suspended: 'imesimamishwa (malipo yameshindwa)',
    graceShort: 'kipindi cha neema',
    suspendedShort: 'imesimamishwa',
    backwards: 'Tarehe ya "Kuanzia" isiwe baada ya tarehe ya "Hadi".',
  },
);

/** The query string of a page as text values (Fastify leaves repeated keys as arrays: the first one counts). */
export function queryOf(query: unknown): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    const first: unknown = Array.isArray(v) ? (v as unknown[])[0] : v;
    if (typeof first === 'string' && first !== '') out[k] = first;
  }
  return out;
}

/** `limit` as the reports take it (1..MAX_REPORT_LIMIT); an error message in the reader's language otherwise. */
export function limitFrom(lang: Lang, raw: string | undefined, fallback: number): { value: number; error: string | null } {
  if (raw === undefined) return { value: fallback, error: null };
  const n = /^\d{1,6}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_REPORT_LIMIT) return { value: fallback, error: T(lang).limitBad };
  return { value: n, error: null };
}

/** `service` checked against the configured services (the report would refuse an unknown one too). */
export function serviceFrom(core: Core, lang: Lang, raw: string | undefined): { value: string | undefined; error: string | null } {
  if (raw === undefined) return { value: undefined, error: null };
  return core.config.services.some((s) => s.id === raw) ? { value: raw, error: null } : { value: undefined, error: T(lang).serviceBad };
}

/** `state` (risk): one of the live states. */
export function stateFrom(lang: Lang, raw: string | undefined): { value: LiveState | undefined; error: string | null } {
  if (raw === undefined) return { value: undefined, error: null };
  return (LIVE_STATES as readonly string[]).includes(raw) ? { value: raw as LiveState, error: null } : { value: undefined, error: T(lang).stateBad };
}

/** The configured services as select options, "all" first. */
export function serviceOptions(core: Core, lang: Lang): { value: string; label: string }[] {
  return [{ value: '', label: T(lang).allServices }, ...core.config.services.map((s) => ({ value: s.id, label: s.name ?? s.id }))];
}

/** The live states as select options, "all" first. */
export function stateOptions(lang: Lang): { value: string; label: string }[] {
  return [{ value: '', label: T(lang).allStates }, ...LIVE_STATES.map((s) => ({ value: s, label: stateName(lang, s) }))];
}

/** A subscription state in plain words; `short` for table cells. */
export function stateName(lang: Lang, state: string, short = false): string {
  const t = T(lang);
  if (state === 'active') return t.active;
  if (state === 'grace') return short ? t.graceShort : t.grace;
  if (state === 'suspended') return short ? t.suspendedShort : t.suspended;
  return state;
}

/** A report as a page reads it: the JSON the API answers, or the refusal (a 4xx the reader can fix) to show on the page. */
export type ReportRun = { report: Record<string, unknown>; failure: null } | { report: null; failure: AppError };

/**
 * Runs report `name` exactly as GET /api/v1/reports/:name does. A query the report refuses (an AppError
 * 4xx, e.g. `from` after `to`) comes back as the failure to show; anything else is a bug and goes to the
 * console's error page.
 */
export async function runReport(core: Core, name: string, q: ReportQuery): Promise<ReportRun> {
  try {
    return { report: await core.reports.run(name, q), failure: null };
  } catch (err) {
    if (err instanceof AppError && err.status >= 400 && err.status < 500) return { report: null, failure: err };
    throw err;
  }
}

/** The reader's own words for a range the reports would refuse, or null when it is fine (the report checks the rest). */
export function rangeError(lang: Lang, r: RangeValues): string | null {
  return r.from && r.to && r.from > r.to ? T(lang).backwards : null;
}

/** A query-string value when it is one of `allowed`; `undefined` when absent or empty; `false` when it is something else. */
export function choice<T extends string>(query: unknown, name: string, allowed: readonly T[]): T | undefined | false {
  const v = ((query ?? {}) as Record<string, unknown>)[name];
  if (v === undefined || v === '') return undefined;
  return typeof v === 'string' && (allowed as readonly string[]).includes(v) ? (v as T) : false;
}

/** A page's own link with its query, one parameter changed (for "show more" paging). */
export function linkWith(path: string, q: Record<string, string | undefined>, change: Record<string, string>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...q, ...change })) if (v !== undefined && v !== '' && k !== 'notice') params.set(k, v);
  const s = params.toString();
  return `/console${path}${s ? `?${s}` : ''}`;
}

/** "Show more" under a ranked list that filled its limit. */
export function moreLink(lang: Lang, path: string, q: Record<string, string | undefined>, shown: number, limit: number): Html | null {
  if (shown < limit || limit >= MAX_REPORT_LIMIT) return null;
  const next = Math.min(limit * 2, MAX_REPORT_LIMIT);
  return html`<p><a href="${linkWith(path, q, { limit: String(next) })}">${T(lang).more(String(next))}</a></p>`;
}

/** Links a number to its subscriber's page; the number shown as the account may see it. */
export type SubscriberLink = (msisdn: string, shown: string) => Html;

/**
 * The links of a page's subscribers, their ids read at once (by id: the address never carries the number);
 * a number no subscriber has is shown without a link.
 */
export async function subscriberLinks(core: Core, msisdns: readonly string[]): Promise<SubscriberLink> {
  const ids = await SubscriberSearchStore.of(core.database).idsByMsisdn(msisdns);
  return (msisdn, shown) => {
    const id = ids.get(msisdn);
    return id !== undefined ? html`<a href="${profileHref(id)}">${shown}</a>` : html`${shown}`;
  };
}

/** The days a report covered (the default range when the form's dates are empty), as a line under the form. */
export function datesLine(lang: Lang, report: Record<string, unknown>): Html | null {
  const days = (report.range as { days?: { from: string; to: string; timezone: string } } | undefined)?.days;
  return days ? html`<p class="report-dates"><small>${T(lang).dates(day(lang, days.from), day(lang, days.to), days.timezone)}</small></p>` : null;
}
